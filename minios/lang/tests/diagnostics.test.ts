// A test per diagnostic: each construct outside the subset and each width or pointer mismatch, with its message
// and position (1-based line and column, as tsc prints them).
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../index.js';
import { compile, firstError } from './helpers.js';

/** A case: source of main.ts, the marker `@` where the error must point (removed before compiling), the message. */
const cases: [string, string, RegExp][] = [
  // constructs outside the subset
  ['arrow function', 'export function f(): void { const g = @() => 1; }', /arrow function \(closure\) is not part of the kernel language/],
  ['function expression', 'export function f(): void { const g = @function () { return 1; }; }', /function expression \(closure\) is not part of the kernel language/],
  ['nested function', 'export function f(): void { @function g(): void {} }', /nested functions are closures/],
  ['class', '@class A {}', /classes are not part of the kernel language/],
  ['object literal', 'export function f(): void { const o = @{ a: 1 }; }', /object literal would build an object at run time/],
  ['array literal', 'export function f(): void { const a = @[1, 2]; }', /array literal would build an object at run time/],
  ['new', 'interface S { a: u32; }\nexport function f(): void { const o = @new S(); }', /'new' expression is not part of the kernel language/],
  ['template with substitutions', 'export function f(x: u32): void { const s = @`x=${x}`; }', /template string with substitutions builds a string at run time/],
  ['try', 'export function f(): void { @try { } catch (e) { } }', /'try' statement \(exceptions\) is not part of the kernel language/],
  ['throw', 'export function f(): void { @throw 1; }', /'throw' statement \(exceptions\) is not part of the kernel language/],
  ['any', 'export function f(x: @any): void { }', /'any' is not part of the kernel language/],
  ['number', 'export function f(x: @number): void { }', /'number' has no width/],
  ['bigint', 'export function f(x: @bigint): void { }', /'bigint' has no width/],
  ['string', 'export function f(x: @string): void { }', /'string' values are not part of the kernel language/],
  ['as cast', 'export function f(x: u32): u8 { return @x as u8; }', /'as' casts are not part of the kernel language/],
  ['null', 'export function f(): Ptr<u8> { return @null; }', /'null' is not part of the kernel language/],
  ['undefined', 'export function f(): u32 { return @undefined; }', /'undefined' is not part of the kernel language/],
  ['for of', 'export function f(p: Ptr<u8>): void { @for (const x of p) { } }', /'for...of' loop is not part of the kernel language/],
  ['labeled break', 'export function f(): void { while (true) { break @out; } }', /labeled break is not part of the kernel language/],
  ['var', 'export function f(): void { @var x: u32 = 1; }', /'var' is not part of the kernel language/],
  ['generic function', 'export function f<@T>(x: u32): void { }', /generic functions are not part of the kernel language/],
  ['optional parameter', 'export function f(@x?: u32): void { }', /optional and default parameters are not part of the kernel language/],
  ['rest parameter', 'export function f(@...x: u32[]): void { }', /rest parameters are not part of the kernel language/],
  ['plain enum', 'enum @E { A }', /only 'const enum' is part of the kernel language/],
  ['union type', 'export function f(x: @u32 | u8): void { }', /union types are not part of the kernel language/],
  ['module-level code', '@console.log(1);', /cannot appear at module level/],
  ['exponent', 'export function f(x: u32): u32 { return x @** 2; }', /'\*\*' is not part of the kernel language/],
  ['typeof', 'export function f(x: u32): u32 { return @typeof x; }', /'typeof' expression is not part of the kernel language/],
  ['this', 'export function f(): u32 { return @this; }', /'this' is not part of the kernel language/],
  ['non-integer literal', 'export function f(): u32 { return @1.5; }', /'1.5' is not an integer/],
  ['default import', 'import @x from "minios/hypercalls";\nexport function f(): void {}', /default imports are not part of the kernel language/],
  ['namespace import', 'import @* as x from "xen/public";', /namespace imports \(import \* as x\) are not part of the kernel language/],
  // widths
  ['mixed widths', 'export function f(a: u32, b: i32): u32 { return @a + b; }', /operands of '\+' have different types: u32 and i32/],
  ['narrowing assignment', 'export function f(a: u32): u8 { let b: u8 = 0; b = @a; return b; }', /assignment: u32 is not assignable to u8/],
  ['narrowing return', 'export function f(a: i32): i16 { return @a; }', /return value: i32 is not assignable to i16/],
  ['constant too big', 'export function f(): u8 { return @300; }', /constant 300 does not fit in u8/],
  ['negative unsigned', 'export function f(): u32 { let x: u32 = @-1; return x; }', /constant -1 does not fit in u32/],
  ['signed to unsigned argument', 'function g(x: u32): void {}\nexport function f(a: i32): void { g(@a); }', /argument 1 of 'g': i32 is not assignable to u32/],
  ['bool to int', 'export function f(a: u32): u32 { return @a > 3; }', /return value: bool is not assignable to u32/],
  ['shift of bool', 'export function f(a: bool): u32 { return @a << 1; }', /'<<' needs an integer, not bool/],
  ['division by constant zero', 'export function f(a: u32): u32 { return a / @0; }', /division by zero/],
  // pointers
  ['pointer plus', 'export function f(p: Ptr<u32>): Ptr<u32> { return @p + 1; }', /'\+' on a pointer/],
  ['pointer mismatch', 'export function f(p: Ptr<u32>): Ptr<u8> { return @p; }', /return value: Ptr<u32> is not assignable to Ptr<u8>/],
  ['integer to pointer', 'export function f(a: u32): Ptr<u8> { return @a; }', /return value: u32 is not assignable to Ptr<u8>/],
  ['index a non-pointer', 'export function f(a: u32): u32 { return @a[0]; }', /only pointers can be indexed, not u32/],
  ['index a void pointer', 'export function f(p: VoidPtr): u32 { return @p[0]; }', /a VoidPtr points to nothing in particular and cannot be indexed/],
  ['unknown field', 'interface S { a: u32; }\nexport function f(s: S): u32 { return s.@b; }', /struct S has no field 'b'/],
  ['struct copy', 'interface S { a: u32; }\ninterface T { s: S; }\nexport function f(t: T, u: T): void { @t.s = u.s; }', /cannot assign to a whole S/],
  ['self-embedding struct', 'interface S { a: u32; me: @S; }\nexport function f(s: S): u32 { return s.a; }', /struct 'S' contains itself/],
  // names, calls, control flow
  ['unknown name', 'export function f(): u32 { return @nope; }', /cannot find name 'nope'/],
  ['wrong argument count', 'function g(x: u32): void {}\nexport function f(): void { @g(1, 2); }', /'g' takes 1 argument, not 2/],
  ['missing return', 'export function @f(a: u32): u32 { if (a) { return 1; } }', /can reach its end without returning a u32/],
  ['break outside loop', 'export function f(): void { @break; }', /'break' outside a loop or switch/],
  ['assign to const', 'export function f(): void { const x: u32 = 1; @x = 2; }', /cannot assign to 'x' because it is a constant/],
  ['assign to an import', 'import { start_info } from "minios/hypervisor";\nexport function f(): void { @start_info = NULL; }', /cannot assign to 'start_info' because it is an import/],
  ['va_start of a non-rest value', 'export function f(n: u32, ...args: VarArg[]): void { const p = va_start(@n); }', /va_start takes the rest parameter of this function/],
  ['variadic call with too few arguments', 'function g(fmt: cstr, ...args: VarArg[]): void {}\nexport function f(): void { @g(); }', /'g' takes at least 1 argument, not 0/],
  ['char of two bytes', 'export function f(): u8 { return char(@"ab"); }', /char takes a string literal of one byte/],
  ['declare const without a type', 'declare const @thing;', /declared variable 'thing' needs a type/],
  ['duplicate case', 'export function f(a: u32): void { switch (a) { case 1: break; case @1: break; } }', /duplicate case label 1/],
  ['non-constant case', 'export function f(a: u32, b: u32): void { switch (a) { case @b: break; } }', /a case label must be a compile-time constant/],
  ['hypercall number not constant', 'export function f(n: u32): i32 { return hypercall(@n); }', /the hypercall number must be a compile-time constant/],
  ['naked with statements', 'export function f(): void { "naked"; @let x: u32 = 1; }', /a naked function holds only asm`...` statements/],
  ['asm with run-time value', 'export function f(x: u32): void { asm`mov eax, ${@x}`; }', /a value inside asm`...` must be a constant, a function or a global/],
  ['static_buffer in a function', 'export function f(): void { const b = @static_buffer<u8>(16); }', /static_buffer declares static storage and belongs at module level/],
  ['global initialised at run time', 'function g(): u32 { return 1; }\nlet x: u32 = @g();', /the initial value of global 'x' must be known while compiling/],
  ['import outside allowed roots', 'import { x } from @"../../etc/thing";', /cannot find kernel module|outside the folders/],
  ['missing export', 'import { @nothing_here } from "xen/public";', /module 'xen\/public' has no export named 'nothing_here'/],
  ['duplicate symbol across files', 'import "minios/hypercalls";\nexport function @HYPERVISOR_console_io(): void {}', /the symbol 'HYPERVISOR_console_io' is already defined/],
];

describe('diagnostics', () => {
  for (const [name, marked, message] of cases) {
    it(name, () => {
      const lines = marked.split('\n');
      const line = lines.findIndex((l) => l.includes('@')) + 1;
      const column = lines[line - 1].indexOf('@') + 1;
      const src = marked.replace('@', '');
      const d = firstError({ 'main.ts': src });
      expect(d.message).toMatch(message);
      expect({ file: d.file.endsWith('main.ts') || d.file.includes('hypercalls'), line: d.line, column: d.column }).toEqual({ file: true, line, column });
    });
  }

  it('formats like tsc, with the source line and a hint', () => {
    const d = firstError({ 'main.ts': 'export function f(a: u32, b: i32): u32 {\n  return a + b;\n}\n' });
    const text = formatDiagnostic(d, { source: 'export function f(a: u32, b: i32): u32 {\n  return a + b;\n}\n' });
    expect(text).toMatch(/^\/virtual\/submission\/main\.ts:2:10: error: operands of '\+' have different types: u32 and i32/);
    expect(text).toContain('    2 |   return a + b;');
    expect(text).toMatch(/\n {6}\| {10}\^/);
    expect(text).toMatch(/hint: convert one side explicitly/);
  });

  it('suggests a type for a counter declared from a bare number', () => {
    const d = firstError({ 'main.ts': 'export function f(n: u32): u32 {\n  let s: u32 = 0;\n  for (let i = 0; i < n; i++) s += 1;\n  return s;\n}\n' });
    expect(d.message).toBe("operands of '<' have different types: i32 and u32");
    expect([d.line, d.column]).toEqual([3, 19]);
    expect(d.hint).toBe("'i' became an i32 because it was declared from a bare number; give it the type you mean: let i: u32 = ...");
  });

  it('reports every error of a file, not just the first', () => {
    const r = compile({ 'main.ts': 'export function f(): u8 { return 300; }\nexport function g(): u32 { return nope; }\n' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map((d) => [d.line, d.message])).toEqual([[1, expect.stringMatching(/300 does not fit/)], [2, "cannot find name 'nope'"]]);
  });
});

describe('bad input never throws', () => {
  it('reports asm errors with their position', () => {
    const d = firstError({ 'main.ts': 'asm`\n    mov eax, [nowhere_defined]\n`;\nexport function start_kernel(): void {}\n' });
    expect(d.message).toMatch(/undefined symbol 'nowhere_defined'/);
    expect(d.line).toBe(2);
  });
  it('reports a kernel without _start', () => {
    const d = firstError({ 'main.ts': 'export function start_kernel(): void {}\n' });
    expect(d.message).toMatch(/no entry point _start/);
    expect(d.hint).toMatch(/minios\/bootstrap/);
  });
  it('reports syntax errors as tsc does', () => {
    const d = firstError({ 'main.ts': 'export function f(: void {}\n' });
    expect(d.line).toBe(1);
    expect(d.message).toMatch(/expected/i);
  });
});
