// A test per diagnostic: each construct outside the subset and each width or pointer mismatch, with its message
// and position (1-based line and column, as tsc prints them).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileKernel, formatDiagnostic, nodeFs } from '../index.js';
import { compile, firstError, kernelDir, memoryFs, repoRoot, subDir } from './helpers.js';
import { diagnosticTemplates } from './templates.js';

/** Defensive diagnostics no program can reach (every case of the switch before them is handled). */
const unreachable = [/^this unary operator is not part/, /^unknown intrinsic/];

/** A kit source file outside the folders a kernel may import from, as a path relative to the virtual submission. */
const outsideRoots = path.relative(subDir, path.join(repoRoot, 'hypervisor/public/xen')).split(path.sep).join('/');

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
  ['void pointer to a typed pointer', 'export function f(q: VoidPtr): Ptr<u32> { return @q; }', /return value: VoidPtr is not assignable to Ptr<u32>/],
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
  ['import outside allowed roots', 'import { x } from @"../../etc/thing";', /^import of '..\/..\/etc\/thing' is not allowed: it leads outside the folders this kernel may use/],
  ['import of a Node module', 'import fs from @"node:fs";', /^import of 'node:fs' is not allowed: a kernel cannot use Node modules or npm packages$/],
  ['import of an npm package', 'import { z } from @"zod";', /^import of 'zod' is not allowed: a kernel cannot use Node modules or npm packages$/],
  ['import escaping the kit library', 'import { x } from @"minios/../../grader/grade.ts";', /^import of 'minios\/..\/..\/grader\/grade.ts' is not allowed: it leads out of the kit library/],
  ['import of a missing file of the submission', 'import { x } from @"./nothere.js";', /^cannot find kernel module '.\/nothere.js'$/],
  ['missing export', 'import { @nothing_here } from "xen/public";', /module 'xen\/public' has no export named 'nothing_here'/],
  ['duplicate symbol across files', 'import "minios/hypercalls";\nexport function @HYPERVISOR_console_io(): void {}', /the symbol 'HYPERVISOR_console_io' is already defined/],
  ['import of a kit file outside the allowed folders', `import { HYPERVISOR } from @"${outsideRoots}";\nexport function f(): void {}`, /^import of '.*' is not allowed: it leads outside the folders this kernel may use/],
  ['imported and declared', 'import { @strlen } from "minios/string";\nfunction strlen(): void {}\nexport function f(): void {}', /'strlen' is imported and also declared in this file/],
  ['declared twice', 'function g(): void {}\nfunction @g(): void {}\nexport function f(): void {}', /'g' is declared twice in this file/],
  ['function without a name', '@export default function (): void {}', /a function needs a name/],
  ['destructuring global', 'const @{ a } = { a: 1 };\nexport function f(): void {}', /destructuring is not part of the kernel language/],
  ['export list', 'function g(): void {}\n@export { g };', /export lists and re-exports are not part of the kernel language/],
  ['namespace', '@namespace N { }\nexport function f(): void {}', /namespaces are not part of the kernel language/],
  // calls
  ['optional call', 'function g(): void {}\nexport function f(): void { @g?.(); }', /optional calls '\?\.' are not part of the kernel language/],
  ['type arguments on a function pointer call', 'export function f(h: () => void): void { @h<u8>(); }', /type arguments are only for intrinsics/],
  ['call of a non-function', 'export function f(a: u32): void { @a(); }', /^u32 is not a function/],
  ['spread argument', 'function g(a: u32): void {}\nexport function f(p: Ptr<u32>): void { g(@...p); }', /spread arguments are not part of the kernel language/],
  ['void as a variable argument', 'function h(): void {}\nfunction g(fmt: cstr, ...args: VarArg[]): void {}\nexport function f(): void { g("x", @h()); }', /a void cannot be passed as a variable argument/],
  ['pointer method with two arguments', 'export function f(p: Ptr<u32>): Ptr<u32> { return @p.add(1, 2); }', /p\.add takes one argument/],
  ['p.diff of another pointer type', 'export function f(p: Ptr<u32>, q: Ptr<u8>): i32 { return p.diff(@q); }', /p\.diff needs a Ptr<u32>, not Ptr<u8>/],
  ['conversion with two arguments', 'export function f(a: u32): u8 { return @u8(a, a); }', /u8\(x\) takes one argument/],
  ['address to a narrow integer', 'export function f(p: Ptr<u8>): u16 { return @u16(p); }', /an address is 32 bits: convert it with u32\(p\), not u16\(p\)/],
  ['conversion of void', 'function h(): void {}\nexport function f(): u32 { return u32(@h()); }', /cannot convert void to u32/],
  // expressions
  ['constant beyond 64 bits', 'export function f(): void { let x = @0x1ffffffffffffffffn; }', /constant 36893488147419103231 does not fit in 64 bits/],
  ['void as a condition', 'function h(): void {}\nexport function f(): u32 { if (@h()) { return 1; } return 0; }', /a void cannot be a condition/],
  ['untyped parameter', 'export function f(@a): void { }', /parameter 'a' needs a type/],
  ['missing return type', 'export function @f(a: u32) { return a; }', /function 'f' needs a return type/],
  ['static_buffer without element type', 'const b = @static_buffer(16);\nexport function f(): void {}', /static_buffer needs its element type: static_buffer<u8>\(\.\.\.\)/],
  ['static_struct of an integer', 'const b = static_struct<@u32>();\nexport function f(): void {}', /static_struct needs a struct type/],
  ['global without type', 'let @x;\nexport function f(): void {}', /global 'x' needs a type/],
  ['constant defined by itself', 'const @a: u32 = a + 1;\nexport function f(): u32 { return a; }', /constant 'a' is defined in terms of itself/],
  ['module-level const of a run-time value', 'function g(): u32 { return 1; }\nconst a: u32 = @g();\nexport function f(): u32 { return a; }', /module-level const 'a' must be a compile-time constant/],
  ['enum member not constant', 'function g(): u32 { return 1; }\nconst enum E { A = @g() }\nexport function f(): i32 { return E.A; }', /an enum member must be an integer constant/],
  ['index a string literal', 'export function f(): u8 { return @"abc"[0]; }', /indexing a string literal is not supported/],
  ['index by a bool', 'export function f(p: Ptr<u8>): u8 { return p[@true]; }', /an index must be an integer, not bool/],
  ['index by a u64', 'export function f(p: Ptr<u8>, i: u64): u8 { return p[@i]; }', /an index must be an integer of at most 32 bits, not u64/],
  ['assign to a call', 'function g(): u32 { return 1; }\nexport function f(): void { @g() = 2; }', /cannot assign to this expression/],
  ['asm as a value', 'export function f(): u32 { return @asm`nop`; }', /asm`\.\.\.` is a statement, not a value/],
  ['intrinsic not called', 'export function f(): void { const g = @barrier; }', /'barrier' is an intrinsic and must be called/],
  ['global in a constant', 'let g: u32 = 1;\nconst c: u32 = @g;\nexport function f(): u32 { return c; }', /global variable 'g' is not a compile-time constant/],
  ['enum as a value', 'const enum E { A, B }\nexport function f(): i32 { return @E; }', /'E' is an enum; name a member: E\.A/],
  ['type as a value', 'interface S { a: u32; }\nexport function f(): u32 { return @S; }', /'S' is a type, not a value/],
  ['unknown enum member', 'const enum E { A, B }\nexport function f(): i32 { return E.@C; }', /enum E has no member 'C'/],
  ['length of a run-time string', 'export function f(s: cstr): u32 { return @s.length; }', /the length of a run-time string is not known while compiling/],
  ['pointer method not called', 'export function f(p: Ptr<u8>): u32 { return u32(@p.add); }', /p\.add is a method: call it, p\.add\(n\)/],
  ['bitwise and of pointers', 'export function f(p: Ptr<u8>, q: Ptr<u8>): u32 { return @p & q; }', /'&' needs integer operands, not Ptr<u8>/],
  ['constant division by zero', 'export function f(): u32 { return @4 / 0; }', /division by zero in a constant expression/],
  ['shift by a bool', 'export function f(a: u32): u32 { return a << @true; }', /a shift count must be an integer, not bool/],
  ['pointer compared with an integer', 'export function f(p: Ptr<u8>, a: u32): bool { return @p == a; }', /cannot compare Ptr<u8> with u32/],
  ['ordering bools', 'export function f(a: bool, b: bool): bool { return @a < b; }', /'<' does not order truth values/],
  ['comparing voids', 'function h(): void {}\nexport function f(): bool { return @h() == h(); }', /cannot compare void values/],
  ['??', 'export function f(a: u32): u32 { return a @?? 1; }', /'\?\?' is not part of the kernel language/],
  ['**=', 'export function f(a: u32): u32 { let b: u32 = a; b @**= 2; return b; }', /operator '\*\*=' is not part of the kernel language/],
  ['compound assignment to a pointer', 'export function f(p: Ptr<u8>): void { @p += 1; }', /'\+=' needs an integer variable, not Ptr<u8>/],
  ['compound shift by a bool', 'export function f(a: u32): u32 { let b: u32 = a; b <<= @true; return b; }', /a shift count must be an integer, not bool/],
  ['++ on a pointer', 'export function f(p: Ptr<u8>): void { @p++; }', /'\+\+' needs an integer variable, not Ptr<u8>/],
  ['unary plus on a pointer', 'export function f(p: Ptr<u8>): Ptr<u8> { return @+p; }', /unary '\+' needs an integer, not Ptr<u8>/],
  // intrinsics
  ['sizeof without a type', 'export function f(): u32 { return @sizeof(); }', /sizeof needs a type argument: sizeof<T>\(\.\.\.\)/],
  ['stack_buffer at module level', 'const b = @stack_buffer<u8>(4);\nexport function f(): void {}', /stack_buffer can only be used inside a function/],
  ['xchg on an integer', 'export function f(a: u32): u32 { return xchg(@a, 1); }', /xchg needs a pointer, not u32/],
  ['xchg on 64 bits', 'export function f(p: Ptr<u64>): u64 { return xchg(@p, 1n); }', /xchg works on 8-, 16- and 32-bit integers, not u64/],
  ['ref of an integer type', 'export function f(a: u32): u32 { const r = @ref<u32>(a); return 0; }', /ref<T> needs a struct type, not u32/],
  ['ptr of a u8', 'export function f(a: u8): Ptr<u8> { return ptr<u8>(@a); }', /ptr<T>\(x\) needs a 32-bit integer or an address, not u8/],
  ['addr_of a value', 'export function f(a: u32): Ptr<u32> { return addr_of(@a + 1); }', /addr_of needs a variable, a field, an element or a struct/],
  ['offsetof with a run-time path', 'import { type start_info_t } from "xen/public";\nexport function f(s: cstr): u32 { return offsetof<start_info_t>(@s); }', /offsetof needs the field path as a string literal/],
  ['offsetof past a scalar', 'import { type start_info_t } from "xen/public";\nexport function f(): u32 { return offsetof<start_info_t>(@"nr_pages.x"); }', /'x' in "nr_pages\.x" follows a u32, which has no fields/],
  ['stack_struct of an integer', 'export function f(): void { const s = @stack_struct<u32>(); }', /stack_struct needs a struct type, not u32/],
  ['stack_buffer too big', 'export function f(): void { const s = stack_buffer<u8>(@100000); }', /stack_buffer of 100000 elements: the count must be 1\.\.65536/],
  ['volatile_read of a struct', 'interface S { a: u32; }\nexport function f(p: Ptr<S>): void { const x = volatile_read(@p); }', /volatile_read reads a scalar, not a S/],
  ['volatile_write of a struct', 'interface S { a: u32; }\nexport function f(p: Ptr<S>): void { volatile_write(@p, 0); }', /volatile_write writes a scalar, not a S/],
  ['bit operation on an integer', 'export function f(a: u32): void { synch_set_bit(1, @a); }', /synch_set_bit needs a pointer to the bitmap, not u32/],
  ['hypercall with six arguments', 'export function f(): i32 { return @hypercall(1, 1, 2, 3, 4, 5, 6); }', /hypercall takes the hypercall number and up to 5 arguments/],
  ['hypercall number out of the page', 'export function f(): i32 { return hypercall(@200); }', /hypercall number 200 is outside the hypercall page \(0\.\.127\)/],
  ['64-bit hypercall argument', 'export function f(a: u64): i32 { return hypercall(1, @a); }', /hypercall arguments are 32 bits/],
  ['void hypercall argument', 'function h(): void {}\nexport function f(): i32 { return hypercall(1, @h()); }', /a void cannot be a hypercall argument/],
  ['asm called like a function', 'export function f(): void { @asm("nop"); }', /asm is a tagged template: asm`\.\.\.`, not a call/],
  // types
  ['generic function type', 'export function f(g: @<T>(x: u32) => void): void { }', /generic function types are not part of the kernel language/],
  ['untyped parameter of a function type', 'export function f(g: (@x) => void): void { }', /a parameter of a function type needs a type/],
  ['qualified type name', 'export function f(x: @A.B): void { }', /qualified type names are not part of the kernel language/],
  ['type arguments on u32', 'export function f(x: @u32<u8>): void { }', /'u32' takes no type arguments/],
  ['Ptr without a type argument', 'export function f(x: @Ptr): void { }', /Ptr takes one type argument/],
  ['CArray without a length', 'interface S { a: @CArray<u8>; }\nexport function f(s: S): void { }', /CArray takes an element type and a length/],
  ['CArray with a named length', 'const N = 4;\ninterface S { a: CArray<u8, @N>; }\nexport function f(s: S): void { }', /the length of a CArray must be a number literal/],
  ['CArray of length zero', 'interface S { a: CArray<u8, @0>; }\nexport function f(s: S): void { }', /array length 0 must be a positive integer/],
  ['unknown type', 'export function f(x: @nosuch): void { }', /unknown type 'nosuch'/],
  ['value as a type', 'function g(): void {}\nexport function f(x: @g): void { }', /'g' is a value, not a type/],
  ['self-referring alias', 'type @A = A;\nexport function f(x: A): void { }', /type alias 'A' refers to itself/],
  ['generic alias', '@type A<T> = u32;\nexport function f(x: A): void { }', /generic type aliases are not part of the kernel language/],
  ['generic interface', '@interface S<T> { a: u32; }\nexport function f(s: S): void { }', /generic interfaces are not part of the kernel language/],
  ['extends', 'interface A { a: u32; }\ninterface B @extends A { b: u32; }\nexport function f(s: B): void { }', /'extends' is not part of the kernel language/],
  ['method in a struct', 'interface S { @m(): void; }\nexport function f(s: S): void { }', /a struct interface holds only fields/],
  ['optional field', 'interface S { @a?: u32; }\nexport function f(s: S): void { }', /optional fields are not part of the kernel language/],
  ['quoted field name', 'interface S { @"a-b": u32; }\nexport function f(s: S): void { }', /a field name must be an identifier/],
  ['field without a type', 'interface S { @a; }\nexport function f(s: S): void { }', /field 'a' needs a type/],
  ['void field', 'interface S { a: @void; }\nexport function f(s: S): void { }', /a field cannot be void/],
  ['structs embedding each other', 'interface A { b: B; }\ninterface B { a: @A; }\nexport function f(s: A): void { }', /struct 'B' contains itself through 'a'/],
  // declarations and statements
  ['tagged template other than asm', 'function g(): void {}\nexport function f(): void { @g`x`; }', /the only tagged template in the kernel language is asm`\.\.\.`/],
  ['static_buffer with three arguments', 'const b = @static_buffer<u8>(1, 2, 3);\nexport function f(): void {}', /static_buffer<T>\(count, align\?\) takes a count and an optional alignment/],
  ['static_buffer of nothing', 'const b = static_buffer<u8>(@0);\nexport function f(): void {}', /the count of static_buffer must be a constant from 1 to 16M/],
  ['static_struct with two arguments', 'interface S { a: u32; }\nconst b = @static_struct<S>(4, 4);\nexport function f(): void {}', /static_struct<T>\(align\?\) takes an optional alignment/],
  ['alignment not a power of two', 'const b = static_buffer<u8>(16, @3);\nexport function f(): void {}', /the alignment must be a constant power of two/],
  ['global of type void', 'let @x: void;\nexport function f(): void {}', /a global of type void is not supported/],
  ['generator function', '@export function* f(): void {}', /generator functions are not part of the kernel language/],
  ['async function', '@export async function f(): void {}', /async functions are not part of the kernel language/],
  ['destructuring parameter', 'export function f(@{ a }: u32): void {}', /destructuring parameters are not part of the kernel language/],
  ['local declared twice', 'export function f(): void { let a: u32 = 1; let @a: u32 = 2; }', /'a' is already declared in this block/],
  ['naked after a statement', 'export function f(): void { asm`nop`; @"naked"; }', /"naked" must be the first statement of the function/],
  ['switch on a u64', 'export function f(a: u64): void { switch (@a) { default: break; } }', /switch needs an integer of at most 32 bits, not u64/],
  ['labeled continue', 'export function f(): void { while (true) { continue @out; } }', /labeled continue is not part of the kernel language/],
  ['continue outside a loop', 'export function f(): void { @continue; }', /'continue' outside a loop/],
  ['return without a value', 'export function f(): u32 { @return; }', /'f' must return a u32/],
  ['value returned from void', 'export function f(): void { return @1; }', /'f' returns nothing \(void\)/],
  ['interface inside a function', 'export function f(): void { @interface S { a: u32; } }', /interface declaration belongs at module level/],
  ['destructuring local', 'export function f(p: Ptr<u32>): void { const @{ a } = p; }', /destructuring is not part of the kernel language/],
  ['local without a type or value', 'export function f(): void { let @a; }', /'a' needs a type or an initial value/],
  ['local of type void', 'export function f(): void { let @a: void; }', /a local of type void is not supported/],
  // the boot contract with minios/bootstrap, reported at the kernel's first statement rather than inside the kit
  ['no bootstrap import', '@import { HYPERVISOR_console_io } from "minios/hypercalls";\nexport function start_kernel(si: VoidPtr): void { HYPERVISOR_console_io(0, 0, NULL); }',
    /^the kernel does not import "minios\/bootstrap", which defines 'hypercall_page' \(used at minios\/hypercalls\.ts:\d+\)$/],
  ['no start_kernel', '@import "minios/bootstrap";\nexport function start_kern(si: VoidPtr): void {}', /^the kernel has no start_kernel for minios\/bootstrap's _start to call \(used at minios\/bootstrap\.ts:\d+\)$/],
];

describe('diagnostics', () => {
  const seen: string[] = [];
  for (const [name, marked, message] of cases) {
    it(name, () => {
      const lines = marked.split('\n');
      const line = lines.findIndex((l) => l.includes('@')) + 1;
      const column = lines[line - 1].indexOf('@') + 1;
      const src = marked.replace('@', '');
      const d = firstError({ 'main.ts': src });
      seen.push(d.message);
      expect(d.message).toMatch(message);
      expect({ file: d.file.endsWith('main.ts') || d.file.includes('hypercalls'), line: d.line, column: d.column }).toEqual({ file: true, line, column });
    });
  }

  it('reports a file that exists but cannot be read', () => {
    const file = path.join(subDir, 'main.ts');
    const r = compileKernel({ files: [file], kitRoot: repoRoot, allowedRoots: [subDir], fs: { exists: () => true, readFile: () => undefined } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics[0]).toMatchObject({ file, line: 1, column: 1, message: `cannot read '${file}'`, hint: 'check the path' });
      seen.push(r.diagnostics[0].message);
    }
  });

  it('refuses a forbidden import by its specifier, before looking for the file (as under the grader sandbox, where it cannot be seen)', () => {
    // A file system like the permission model's: nothing outside the kit library and the submission exists.
    const visible = (f: string) => [kernelDir, subDir].some((r) => !path.relative(r, f).startsWith('..'));
    const probed: string[] = [];
    const sandboxFs = { exists: (f: string) => (probed.push(f), visible(f) && nodeFs.exists(f)), readFile: (f: string) => (visible(f) ? memoryFs(files).readFile(f) : undefined) };
    const solution = path.relative(subDir, path.join(repoRoot, 'grader/solutions/01-hello/kernel/hello.ts')).split(path.sep).join('/');
    const imports = ['node:fs', 'zod', `${solution}`, path.join(repoRoot, 'grader/api.ts'), 'minios/../../grader/grade.ts'];
    const files = { 'main.ts': [...imports.map((s) => `import { x } from ${JSON.stringify(s)};`), 'import "minios/bootstrap";', 'export function start_kernel(si: VoidPtr): void {}', ''].join('\n') };
    const r = compileKernel({ files: [path.join(subDir, 'main.ts')], kitRoot: repoRoot, allowedRoots: [kernelDir, subDir], fs: sandboxFs });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => [d.line, d.message.replace(/: [^:]*$/, '')])).toEqual(imports.map((s, i) => [i + 1, `import of '${s}' is not allowed`]));
    for (const d of r.diagnostics) expect(d.hint).toBe('a kernel may import only files in its own folder ("./util.js"), the kit library ("minios/<module>") and "xen/public"');
    expect(probed.filter((f) => !visible(f))).toEqual([]);
  });

  it('puts an error found while assembling or linking an asm template on its line of the kernel file', () => {
    const head = 'import "minios/bootstrap";\nexport function start_kernel(si: VoidPtr): void {}\n';
    const at = (src: string) => {
      const d = firstError({ 'main.ts': head + src });
      return `${path.basename(d.file)}:${d.line}: ${d.message}`;
    };
    expect(at('asm`\n  section .data\n  resb 0x8000000\n  resb 0x8000000\n  db 1\n`;\n'))
      .toBe("main.ts:7: section .data would hold 268435457 bytes, more than 268435456: use .bss (resb) for large zeroed areas (in 'db 1')");
    expect(at('asm`\n  nop\n  global not_defined_anywhere\n`;\n')).toBe("main.ts:5: global symbol 'not_defined_anywhere' is not defined (in 'global not_defined_anywhere')");
    expect(at('export function f(): void {\n  asm`\n    nop\n    jmp nowhere_at_all\n  `;\n}\n')).toBe("main.ts:6: undefined symbol 'nowhere_at_all' (in 'jmp nowhere_at_all')");
    expect(at('asm`nop\n  mov eax, [ebx+ecx+edx]`;\n')).toMatch(/^main\.ts:4: invalid effective address/);
  });

  it('one mistake in a module-level constant is one error, not a crash where it is used', () => {
    for (const src of ['const a: u32 = a + 1;\nexport function f(): u32 { return a; }', 'let g: u32 = 1;\nconst c: u32 = g;\nexport function f(): u32 { return c + 1; }']) {
      const r = compile({ 'main.ts': src });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.diagnostics.map((d) => d.message)).toEqual([expect.not.stringMatching(/internal compiler error/)]);
    }
  });

  it('has a case above for every diagnostic the compiler can report', () => {
    const templates = diagnosticTemplates(path.join(repoRoot, 'minios/lang')).filter((t) => !unreachable.some((re) => re.test(t.text)));
    expect(templates.length).toBeGreaterThan(150);
    expect(seen.length).toBeGreaterThan(cases.length); // every case ran first (and the unreadable file)
    const untested = templates.filter((t) => !seen.some((m) => t.re.test(m))).map((t) => `${t.where}: ${t.text}`);
    expect(untested).toEqual([]);
  });

  it('formats like tsc, with the source line and a hint', () => {
    const d = firstError({ 'main.ts': 'export function f(a: u32, b: i32): u32 {\n  return a + b;\n}\n' });
    const text = formatDiagnostic(d, { source: 'export function f(a: u32, b: i32): u32 {\n  return a + b;\n}\n' });
    expect(text).toMatch(/^\/virtual\/submission\/main\.ts:2:10: error: operands of '\+' have different types: u32 and i32/);
    expect(text).toContain('    2 |   return a + b;');
    expect(text).toMatch(/\n {6}\| {10}\^/);
    expect(text).toMatch(/hint: convert one side explicitly/);
  });

  it('names the module that exports a name used without importing it', () => {
    const hint = (src: string, files: Record<string, string> = {}) => firstError({ 'main.ts': 'import "minios/bootstrap";\n' + src, ...files }).hint;
    expect(hint('export function start_kernel(si: VoidPtr): void { let r: u32 = SHUTDOWN_crash; }'))
      .toBe('it is exported by "xen/public": import { SHUTDOWN_crash } from "xen/public";');
    expect(hint('export function start_kernel(si: VoidPtr): void { HYPERVISOR_console_io(0, 0, NULL); }'))
      .toBe('it is exported by "minios/hypercalls": import { HYPERVISOR_console_io } from "minios/hypercalls";');
    expect(hint('import { twice } from "./util.js";\nexport function start_kernel(si: VoidPtr): void { let r: u32 = twice(thrice(1)); }', { 'util.ts': 'export function twice(x: u32): u32 { return x * 2; }\nexport function thrice(x: u32): u32 { return x * 3; }\n' }))
      .toBe('it is exported by "./util.js": import { thrice } from "./util.js";');
    expect(hint('export function start_kernel(si: VoidPtr): void { let r: u32 = no_such_name_anywhere; }')).toBe('declare it, or import it from the file that exports it');
    expect(hint('export function start_kernel(si: Ptr<start_info_t>): void {}')).toBe('it is exported by "xen/public": import { start_info_t } from "xen/public";');
  });

  it('says what minios/bootstrap provides when a kernel leaves it out, and where start_kernel goes', () => {
    const missing = firstError({ 'main.ts': '// a kernel\nimport { HYPERVISOR_console_io } from "minios/hypercalls";\nexport function start_kernel(si: VoidPtr): void { HYPERVISOR_console_io(0, 0, NULL); }\n' });
    expect([path.basename(missing.file), missing.line, missing.column]).toEqual(['main.ts', 2, 1]);
    expect(missing.hint).toBe('add import "minios/bootstrap"; to main.ts: it provides _start (where Xen enters the kernel: it loads the boot stack and calls start_kernel(start_info)), hypercall_page and shared_info_page');
    const noStart = firstError({ 'main.ts': 'import "minios/bootstrap";\n' });
    expect(noStart.message).toMatch(/^the kernel has no start_kernel/);
    expect(noStart.hint).toBe("define it in main.ts: export function start_kernel(si: VoidPtr): void { ... } (si points at Xen's start_info)");
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
