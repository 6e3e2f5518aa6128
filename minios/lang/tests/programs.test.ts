// Programs beyond single operators: control flow, structs and pointers, globals, strings, function pointers,
// calls between the language and hand-written assembly, atomics.
import { describe, expect, it } from 'vitest';
import { KernelRunner } from './machine.js';

const program = `
interface point { x: i32; y: i32; }
interface node { value: u32; next: Ptr<node>; tag: u8; small: CArray<u16, 3>; where: point; }

const pool = static_buffer<node>(8);
const page = static_buffer<u8>(4096, 4096);
let counter: u32 = 5;
let head: Ptr<node> = NULL;
let greeting: cstr = "hi there";
let handler: (x: u32) => u32 = twice;
const enum Color { Red, Green = 5, Blue }
const K = 3 * 4 + Color.Blue;

export function twice(x: u32): u32 { return x * 2; }
export function thrice(x: u32): u32 { return x * 3; }

export function list_sum(n: u32): u32 {
  head = NULL;
  for (let i: u32 = 0; i < n; i++) {
    const nd = pool.add(i);
    nd.value = i * 10;
    nd.next = head;
    nd.small[2] = u16(i + 1000);
    nd.where.y = i32(i) - 3;
    head = nd;
  }
  let s: u32 = 0;
  let p = head;
  while (p != NULL) {
    s += p.value + p.small[2] + u32(p.where.y);
    p = p.next;
  }
  return s;
}

export function layout(): u32 {
  // offsets as gcc -m32 lays the struct out: value 0, next 4, tag 8, small 10, where 16; size 24
  return sizeof<node>() * 0x1000000 + offsetof<node>("small") * 0x10000 + offsetof<node>("where.y") * 0x100 + offsetof<node>("tag");
}

export function swap_points(): i32 {
  const a = stack_struct<point>();
  const b = stack_struct<point>();
  a.x = 1; a.y = 2; b.x = 30; b.y = 40;
  swap(addr_of(a.x), addr_of(b.x));
  return a.x * 1000 + b.x;
}

function swap(p: Ptr<i32>, q: Ptr<i32>): void {
  const t = p[0];
  p[0] = q[0];
  q[0] = t;
}

export function strlen(s: CharPtr): u32 {
  const p = ptr<u8>(s);
  let n: u32 = 0;
  while (p[n] != 0) n++;
  return n;
}

export function greeting_len(): u32 { return strlen(greeting) * 100 + "abc".length; }

export function bump(): u32 { counter += 3; counter++; return counter; }

export function classify(n: i32): u32 {
  switch (n) {
    case 0: return 100;
    case 1:
    case 2: return 200;
    case Color.Green: { let r: u32 = 0; r = 500; return r; }
    case -7: break;
    default: return 900;
  }
  return 77;
}

export function loops(n: u32): u32 {
  let s: u32 = 0;
  let i: u32 = 0;
  do {
    i++;
    if (i % 2 == 0) continue;
    if (i > n) break;
    s += i;
  } while (i < 1000);
  return s;
}

export function logic(a: u32, b: u32): u32 {
  let r: u32 = 0;
  if (a > 3 && b > 3) r |= 1;
  if (a > 3 || b > 3) r |= 2;
  if (!(a == b)) r |= 4;
  const c: bool = a < b;
  if (c) r |= 8;
  r |= (a > b ? 16 : 32);
  return r;
}

export function indirect(x: u32, which: u32): u32 {
  if (which == 1) handler = thrice;
  else handler = twice;
  return handler(x);
}

export function bytes(): u32 {
  page[0] = 0x12; page[1] = 0x34; page[2] = 0x56; page[3] = 0x78;
  const w = ptr<u32>(page);
  const h = ptr<u16>(page);
  return w[0] + u32(h[1]) + u32(page.add(4).diff(page));
}

export function constants(): u32 { return K; }

export function atomics(): u32 {
  const w = ptr<u32>(page.add(64));
  w[0] = 5;
  const old = xchg(w, 9);
  const seen = cmpxchg(w, 9, 11);
  const miss = cmpxchg(w, 9, 13);
  const before = atomic_add(w, 4);
  synch_set_bit(33, w);
  const t = synch_test_and_clear_bit(33, w);
  const t2 = synch_test_bit(33, w);
  return old * 0x1000000 + seen * 0x10000 + miss * 0x100 + before + (t ? 0x80000000 : 0) + (t2 ? 0x40000000 : 0) + w[0] * 0;
}

export function volatile_io(): u32 {
  const w = ptr<u32>(page.add(128));
  volatile_write(w, 0xabcd);
  mb();
  return volatile_read(w);
}

declare function asm_add3(a: u32, b: u32, c: u32): u32;

export function call_asm(): u32 { return asm_add3(1, 20, 300); }

asm\`
    global asm_add3
asm_add3:
    mov eax, [esp+4]
    add eax, [esp+8]
    add eax, [esp+12]
    ret
    global asm_calls_lang
asm_calls_lang:
    push 21
    call twice
    add esp, 4
    ret
\`;

export function naked_seven(): u32 {
  "naked";
  asm\`
    mov eax, 7
    ret
  \`;
}

export function wide(a: u64, b: u32): u64 {
  const x: u64 = a + u64(b) * 0x100000000n;
  return x - 1n;
}

export function nested_calls(a: u32): u32 { return twice(thrice(twice(a)) + twice(a)); }

export function deep(n: u32): u32 { if (n == 0) return 0; return 1 + deep(n - 1); }
`;

describe('programs on the machine', () => {
  const k = KernelRunner.of({ 'prog.ts': program });
  it('builds and walks a linked list of structs through pointers', () => {
    let want = 0;
    for (let i = 0; i < 6; i++) want += i * 10 + i + 1000 + (i - 3);
    expect(k.call('list_sum', [6]).eax).toBe(want >>> 0);
  });
  it('lays structs out as gcc -m32 does', () => expect(k.call('layout').eax).toBe((24 << 24) | (10 << 16) | (20 << 8) | 8));
  it('passes pointers to stack structs and their fields', () => expect(k.call('swap_points').eax).toBe(30 * 1000 + 1));
  it('reads string literals and globals initialised with them', () => expect(k.call('greeting_len').eax).toBe(803));
  it('updates initialised globals', () => {
    expect(k.call('bump').eax).toBe(9);
    expect(k.call('bump').eax).toBe(13);
  });
  it('switches with fallthrough, blocks, enum and negative labels', () => {
    expect([0, 1, 2, 5, -7, 42].map((n) => k.call('classify', [n >>> 0]).eax)).toEqual([100, 200, 200, 500, 77, 900]);
  });
  it('runs do/while with break and continue', () => expect(k.call('loops', [10]).eax).toBe(1 + 3 + 5 + 7 + 9));
  it('short-circuits logic and picks ternaries', () => {
    expect(k.call('logic', [5, 9]).eax).toBe(1 | 2 | 4 | 8 | 32);
    expect(k.call('logic', [1, 1]).eax).toBe(32);
    expect(k.call('logic', [9, 1]).eax).toBe(2 | 4 | 16);
  });
  it('calls through function pointers', () => {
    expect(k.call('indirect', [7, 1]).eax).toBe(21);
    expect(k.call('indirect', [7, 0]).eax).toBe(14);
  });
  it('reinterprets bytes through typed pointers of a page-aligned buffer', () => {
    expect(k.addr('page') % 4096).toBe(0);
    expect(k.call('bytes').eax).toBe((0x78563412 + 0x7856 + 4) >>> 0);
  });
  it('folds constants and enums', () => expect(k.call('constants').eax).toBe(18));
  it('does atomic exchange, compare-exchange, add and bit operations', () => {
    const r = k.call('atomics').eax;
    expect((r >>> 24) & 0x3f).toBe(5);
    expect((r >>> 16) & 0xff).toBe(9);
    expect((r >>> 8) & 0xff).toBe(11);
    expect(r & 0x3fffffff & 0xff).toBe(11);
    expect(r & 0x80000000).not.toBe(0);
    expect(r & 0x40000000).toBe(0);
  });
  it('does volatile reads and writes', () => expect(k.call('volatile_io').eax).toBe(0xabcd));
  it('calls assembly cdecl and is called by it', () => {
    expect(k.call('call_asm').eax).toBe(321);
    expect(k.call('asm_calls_lang').eax).toBe(42);
  });
  it('compiles naked functions to their asm only', () => expect(k.call('naked_seven').eax).toBe(7));
  it('mixes 64-bit and 32-bit values', () => {
    const { eax, edx } = k.call('wide', [5, 0, 3]);
    expect([eax, edx]).toEqual([4, 3]);
  });
  it('nests calls and recurses deeply', () => {
    expect(k.call('nested_calls', [5]).eax).toBe(2 * (3 * 10 + 10));
    expect(k.call('deep', [5000], 10_000_000).eax).toBe(5000);
  });
});

describe('module-private names', () => {
  it('lets two files each keep a private function and global of the same name (as C static)', () => {
    const k = KernelRunner.of({
      'a.ts': `import { b_value } from "./b";\nlet count: u32 = 1;\nfunction helper(): u32 { return 10 + count; }\nexport function a_value(): u32 { return helper() * 1000 + b_value(); }\n`,
      'b.ts': `let count: u32 = 2;\nfunction helper(): u32 { return 20 + count; }\nexport function b_value(): u32 { return helper(); }\n`,
    });
    expect(k.call('a_value').eax).toBe(11 * 1000 + 22);
    expect(k.image.symbols.has('helper@a')).toBe(true);
    expect(k.image.symbols.has('helper@b')).toBe(true);
  });
});

describe('assignments through computed addresses', () => {
  const k = KernelRunner.of({
    'm.ts': `interface rec { a: u16; b: u64; c: i8; }
const recs = static_buffer<rec>(4);
let calls: u32 = 0;
function idx(i: u32): u32 { calls++; return i; }
function val(v: u32): u32 { calls++; return v; }
export function run(): u32 {
  calls = 0;
  recs[idx(1)].a = 65530;
  recs[idx(1)].a += u16(val(10));
  recs[idx(2)].b = 0xffffffffn;
  recs[idx(2)].b += u64(val(1));
  recs[idx(3)].c = -100;
  recs[idx(3)].c -= i8(val(100));
  recs[idx(3)].c++;
  return u32(recs[1].a) * 1000000 + u32(recs[2].b >> 32n) * 1000 + u32(i32(recs[3].c) + 200) + calls * 0;
}
export function call_count(): u32 { return calls; }
`,
  });
  it('evaluate the address once, wrap at the field width, and keep 64-bit carries', () => {
    // a: 65530 + 10 wraps to 4; b: 0xffffffff + 1 = 1 << 32; c: -100 - 100 wraps to 56, then 57
    expect(k.call('run').eax).toBe(4 * 1000000 + 1 * 1000 + (57 + 200));
    expect(k.call('call_count').eax).toBe(10);
  });
});

describe('inline asm and odd conditions', () => {
  const k = KernelRunner.of({
    'i.ts': `export function clobber(x: u32): u32 {
  let y: u32 = x + 1;
  asm\`
    mov ebx, 0x11111111
    mov esi, 0x22222222
    mov edi, 0x33333333
  \`;
  return y;
}
export function odd(c: bool): u32 { if (c ? 1 : 0) return 5; return 6; }
`,
  });
  it('keeps callee-saved registers across inline asm that uses them', () => expect(k.call('clobber', [41]).eax).toBe(42));
  it('accepts a conditional of constants as a condition', () => {
    expect(k.call('odd', [1]).eax).toBe(5);
    expect(k.call('odd', [0]).eax).toBe(6);
  });
});

describe('evaluation order, as TypeScript has it', () => {
  const k = KernelRunner.of({
    'order.ts': `let log: u32 = 0;
let g: u32 = 5;
let fp: (a: u32, b: u32, c: u32) => u32 = three;
function step(d: u32): u32 { log = log * 10 + d; return d; }
function bump(): u32 { g++; return 0; }
function swap_fp(): u32 { fp = other; return 0; }
function three(a: u32, b: u32, c: u32): u32 { return a * 100 + b * 10 + c; }
function other(a: u32, b: u32, c: u32): u32 { return 999; }
function two64(a: u64, b: u32): u64 { return a * 10n + u64(b); }
export function args(): u32 { log = 0; three(step(1), step(2), step(3)); return log; }
export function global_read(): u32 { g = 5; return three(g, bump(), g); }
export function local_assigned(): u32 { let x: u32 = 1; return three(x, x = 7, x); }
export function wide(): u32 { log = 0; return u32(two64(u64(step(4)), step(2))) * 1000 + log; }
export function through_pointer(): u32 { log = 0; fp = three; return fp(step(1), step(2), swap_fp()) * 100 + log; }
export function hypercall_args(): u32 { log = 0; hypercall(0, step(1), step(2), step(3)); return log; }
export function operands(): u32 { log = 0; const x = step(1) * 10 + step(2); return log * 100 + x; }
const buf = static_buffer<u32>(8);
const big = static_buffer<u64>(4);
interface S { x: u32; y: u32; }
const s = static_struct<S>();
function at(d: u32): Ptr<u32> { log = log * 10 + d; return buf; }
function st(d: u32): S { log = log * 10 + d; return s; }
export function store(): u32 { log = 0; at(1)[step(2)] = step(3); return log; }
export function compound(): u32 { log = 0; buf[step(1)] += step(2); return log; }
export function field(): u32 { log = 0; st(1).x = step(2); return log; }
export function compare(): u32 { log = 0; const b = step(1) < step(2); return log; }
export function ops64(): u32 { log = 0; const v = (u64(step(1)) * u64(step(2))) << u64(step(3)); return log; }
export function store64(): u32 { log = 0; big[step(1)] = u64(step(2)); return log; }
export function atomics(): u32 { log = 0; cmpxchg(at(1), step(2), step(3)); volatile_write(at(4), step(5)); return log; }
`,
  });
  it('evaluates call arguments left to right', () => {
    expect(k.call('args').eax).toBe(123);
    expect(k.call('wide').eax).toBe(42042);
    expect(k.call('hypercall_args').eax).toBe(123);
    expect(k.call('operands').eax).toBe(1212);
  });
  it('reads a global argument before a later argument changes it', () => expect(k.call('global_read').eax).toBe(506));
  it('reads a local argument before a later argument assigns it', () => expect(k.call('local_assigned').eax).toBe(177));
  it('takes the function pointer before the arguments are evaluated', () => expect(k.call('through_pointer').eax).toBe(12000 + 12));
  it('evaluates the place of a store before the stored value, and operands left to right', () => {
    for (const [fn, want] of [['store', 123], ['compound', 12], ['field', 12], ['compare', 12], ['ops64', 123], ['store64', 12], ['atomics', 12345]] as const) {
      expect([fn, k.call(fn).eax]).toEqual([fn, want]);
    }
  });
});

describe('a signed operation used where a u32 is expected stays signed', () => {
  const k = KernelRunner.of({
    'signed.ts': `const buf = static_buffer<u32>(16);
export function fill(): void { for (let i: u32 = 0; i < 16; i++) buf[i] = i * 10; }
export function count(c: u32, a: i32): u32 { return c >>> (a / 6); }
export function count_assign(c: u32, a: i32): u32 { let x: u32 = c; x >>= a >> 1; return x; }
export function index(a: i32): u32 { const p = buf.add(8); return p[a / 2]; }
export function address(a: i32): u32 { return u32(ptr<u8>(a / 2)); }
export function pointer_add(a: i32): u32 { return buf.add(8).add(a % 3)[0]; }
`,
  });
  it('in a shift count, an index, a pointer and an element offset (they were unsigned divisions and shifts)', () => {
    k.call('fill');
    expect(k.call('count', [0x80000000, -12 >>> 0]).eax).toBe(2); // -12 / 6 = -2, & 31 = 30
    expect(k.call('count_assign', [0x80000000, -4 >>> 0]).eax).toBe(2); // -4 >> 1 = -2
    expect(k.call('index', [-4 >>> 0]).eax).toBe(60); // p[-2] = buf[6]
    expect(k.call('address', [-8 >>> 0]).eax).toBe(0xfffffffc);
    expect(k.call('pointer_add', [-5 >>> 0]).eax).toBe(60); // -5 % 3 = -2
  });
});
