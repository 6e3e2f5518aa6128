// Every operator at every width, run on the machine and checked against BigInt reference semantics (written here,
// independently of the compiler's constant folder) over edge and seeded random operands.
import { describe, expect, it } from 'vitest';
import { KernelRunner } from './machine.js';

type T = { name: string; bits: number; signed: boolean };
const types: T[] = [
  { name: 'u8', bits: 8, signed: false }, { name: 'u16', bits: 16, signed: false }, { name: 'u32', bits: 32, signed: false },
  { name: 'i8', bits: 8, signed: true }, { name: 'i16', bits: 16, signed: true }, { name: 'i32', bits: 32, signed: true },
  { name: 'u64', bits: 64, signed: false }, { name: 'i64', bits: 64, signed: true },
];
const binOps: [string, string][] = [
  ['add', '+'], ['sub', '-'], ['mul', '*'], ['div', '/'], ['rem', '%'], ['and', '&'], ['or', '|'], ['xor', '^'],
  ['shl', '<<'], ['sar', '>>'], ['shr', '>>>'],
];
const cmpOps: [string, string][] = [
  ['eq', '=='], ['seq', '==='], ['ne', '!='], ['sne', '!=='], ['lt', '<'], ['le', '<='], ['gt', '>'], ['ge', '>='],
];

const wrap = (t: T, v: bigint) => (t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v));

/** The language's semantics: C at each width; shift counts taken as u32 and masked like the x86 (& 31, & 63). */
function reference(t: T, op: string, a: bigint, b: bigint): bigint | 'skip' {
  const count = BigInt.asUintN(32, b) & (t.bits === 64 ? 63n : 31n);
  switch (op) {
    case '+': return wrap(t, a + b);
    case '-': return wrap(t, a - b);
    case '*': return wrap(t, a * b);
    case '/': case '%':
      if (b === 0n) return 'skip';
      if (t.bits === 32 && t.signed && a === -(1n << 31n) && b === -1n) return 'skip'; // #DE, tested separately
      return wrap(t, op === '/' ? a / b : a % b);
    case '&': return wrap(t, a & b);
    case '|': return wrap(t, a | b);
    case '^': return wrap(t, a ^ b);
    case '<<': return wrap(t, a << count);
    case '>>': return wrap(t, a >> count);
    case '>>>': return wrap(t, BigInt.asUintN(t.bits, a) >> count);
  }
  throw new Error(op);
}

function compareRef(op: string, a: bigint, b: bigint): bigint {
  const r = { '==': a === b, '===': a === b, '!=': a !== b, '!==': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b }[op]!;
  return r ? 1n : 0n;
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

function operands(t: T, n: number, seed: number): bigint[] {
  const min = t.signed ? -(1n << BigInt(t.bits - 1)) : 0n;
  const max = t.signed ? (1n << BigInt(t.bits - 1)) - 1n : (1n << BigInt(t.bits)) - 1n;
  const edge = [0n, 1n, 2n, 3n, 7n, 8n, 15n, 16n, 31n, 32n, 33n, 63n, 64n, 100n, -1n, -2n, -7n, min, max, min + 1n, max - 1n, 0x55n, 0xaaaan, 0x12345678n];
  const r = rng(seed);
  const out = edge.map((v) => wrap(t, v));
  for (let i = 0; i < n; i++) {
    let v = 0n;
    for (let w = 0; w < t.bits; w += 32) v = (v << 32n) | BigInt(r());
    // Mix in small magnitudes so division and shifts see interesting counts.
    if (i % 3 === 0) v = BigInt(r() % 70) - 5n;
    out.push(wrap(t, v));
  }
  return [...new Set(out)];
}

const words = (t: T, v: bigint): number[] =>
  t.bits === 64 ? [Number(BigInt.asUintN(64, v) & 0xffffffffn), Number(BigInt.asUintN(64, v) >> 32n)] : [Number(BigInt.asUintN(32, v))];

function result(t: T, eax: number, edx: number): bigint {
  if (t.bits === 64) return wrap(t, (BigInt(edx >>> 0) << 32n) | BigInt(eax >>> 0));
  return BigInt(eax >>> 0);
}

function source(): string {
  let s = '';
  for (const t of types) {
    for (const [name, op] of binOps) {
      s += `export function ${name}_${t.name}(a: ${t.name}, b: ${t.name}): ${t.name} { return a ${op} b; }\n`;
      s += `export function c${name}_${t.name}(a: ${t.name}, b: ${t.name}): ${t.name} { let x: ${t.name} = a; x ${op}= b; return x; }\n`;
    }
    for (const [name, op] of cmpOps) {
      s += `export function ${name}_${t.name}(a: ${t.name}, b: ${t.name}): bool { return a ${op} b; }\n`;
      s += `export function b${name}_${t.name}(a: ${t.name}, b: ${t.name}): u32 { if (a ${op} b) { return 7; } else { return 9; } }\n`;
    }
    s += `export function neg_${t.name}(a: ${t.name}): ${t.name} { return -a; }\n`;
    s += `export function not_${t.name}(a: ${t.name}): ${t.name} { return ~a; }\n`;
    s += `export function lnot_${t.name}(a: ${t.name}): bool { return !a; }\n`;
    s += `export function inc_${t.name}(a: ${t.name}): ${t.name} { let x: ${t.name} = a; x++; return x; }\n`;
    s += `export function postinc_${t.name}(a: ${t.name}): ${t.name} { let x: ${t.name} = a; const old: ${t.name} = x++; return old ^ x; }\n`;
    s += `export function dec_${t.name}(a: ${t.name}): ${t.name} { let x: ${t.name} = a; --x; return x; }\n`;
    for (const to of types) s += `export function cv_${t.name}_${to.name}(a: ${t.name}): ${to.name} { return ${to.name}(a); }\n`;
  }
  return s;
}

describe('integer operators on the machine', () => {
  const k = KernelRunner.of({ 'ops.ts': source() });

  for (const t of types) {
    const vals = operands(t, 24, t.bits * 7 + (t.signed ? 1 : 0));
    it(`binary operators on ${t.name}`, () => {
      const failures: string[] = [];
      for (const [name, op] of binOps) {
        for (let i = 0; i < vals.length; i++) {
          for (let j = 0; j < vals.length; j += 1 + (i % 3)) {
            const a = vals[i], b = vals[j];
            const want = reference(t, op, a, b);
            if (want === 'skip') continue;
            for (const fn of [`${name}_${t.name}`, `c${name}_${t.name}`]) {
              const { eax, edx } = k.call(fn, [...words(t, a), ...words(t, b)]);
              const got = result(t, eax, edx);
              const wantBits = t.bits === 64 ? want : BigInt.asUintN(32, want);
              if (got !== wantBits) failures.push(`${fn}(${a}, ${b}) = ${got}, want ${want}`);
            }
          }
        }
      }
      expect(failures.slice(0, 10)).toEqual([]);
    });

    it(`comparisons on ${t.name}`, () => {
      const failures: string[] = [];
      for (const [name, op] of cmpOps) {
        for (const a of vals) {
          for (const b of vals) {
            const want = compareRef(op, a, b);
            const v = k.call(`${name}_${t.name}`, [...words(t, a), ...words(t, b)]).eax;
            if (BigInt(v) !== want) failures.push(`${name}_${t.name}(${a}, ${b}) = ${v}, want ${want}`);
            const br = k.call(`b${name}_${t.name}`, [...words(t, a), ...words(t, b)]).eax;
            if (br !== (want ? 7 : 9)) failures.push(`b${name}_${t.name}(${a}, ${b}) took the wrong branch`);
          }
        }
      }
      expect(failures.slice(0, 10)).toEqual([]);
    });

    it(`unary operators, ++/-- and conversions from ${t.name}`, () => {
      const failures: string[] = [];
      const check = (fn: string, a: bigint, got: bigint, want: bigint) => {
        if (got !== want) failures.push(`${fn}(${a}) = ${got}, want ${want}`);
      };
      const norm = (to: T, v: bigint) => (to.bits === 64 ? wrap(to, v) : BigInt.asUintN(32, wrap(to, v)));
      for (const a of vals) {
        const call = (fn: string, to: T) => {
          const { eax, edx } = k.call(fn, words(t, a));
          return result(to, eax, edx);
        };
        check(`neg_${t.name}`, a, call(`neg_${t.name}`, t), norm(t, -a));
        check(`not_${t.name}`, a, call(`not_${t.name}`, t), norm(t, ~a));
        check(`lnot_${t.name}`, a, BigInt(k.call(`lnot_${t.name}`, words(t, a)).eax), a === 0n ? 1n : 0n);
        check(`inc_${t.name}`, a, call(`inc_${t.name}`, t), norm(t, a + 1n));
        check(`dec_${t.name}`, a, call(`dec_${t.name}`, t), norm(t, a - 1n));
        check(`postinc_${t.name}`, a, call(`postinc_${t.name}`, t), norm(t, a ^ wrap(t, a + 1n)));
        for (const to of types) check(`cv_${t.name}_${to.name}`, a, call(`cv_${t.name}_${to.name}`, to), norm(to, a));
      }
      expect(failures.slice(0, 10)).toEqual([]);
    });
  }

  it('i32 division of the minimum by -1 and division by zero raise #DE, as in C on x86', () => {
    expect(k.fault('div_i32', [0x80000000, 0xffffffff])).toBe(0);
    expect(k.fault('div_u32', [5, 0])).toBe(0);
    expect(k.fault('div_u64', [5, 0, 0, 0])).toBe(0);
  });
});

/** Pairs where the narrower operand widens losslessly to the other's type (the language's only implicit conversion). */
const widening: [T, T][] = types.flatMap((n) => types.filter((w) => w.bits > n.bits && (n.signed === w.signed || !n.signed)).map((w) => [n, w] as [T, T]));

function mixedSource(): string {
  let s = '';
  for (const [n, w] of widening) {
    for (const [name, op] of [...binOps, ...cmpOps]) {
      const ret = cmpOps.some(([c]) => c === name) ? 'bool' : w.name;
      s += `export function m${name}_${n.name}_${w.name}(a: ${n.name}, b: ${w.name}): ${ret} { return a ${op} b; }\n`;
      s += `export function r${name}_${n.name}_${w.name}(a: ${w.name}, b: ${n.name}): ${ret} { return a ${op} b; }\n`;
    }
    // compound assignment and initialisation of the wider variable from the narrower value
    s += `export function cadd_${n.name}_${w.name}(a: ${w.name}, b: ${n.name}): ${w.name} { let x: ${w.name} = a; x += b; return x; }\n`;
    s += `export function init_${n.name}_${w.name}(a: ${n.name}): ${w.name} { const x: ${w.name} = a; return x; }\n`;
  }
  return s;
}

describe('operators on mixed widths (the narrower operand widened as C does)', () => {
  const k = KernelRunner.of({ 'mixed.ts': mixedSource() });
  it(`every operator on ${widening.length} widening pairs, both operand orders`, () => {
    expect(widening.length).toBe(18);
    const failures: string[] = [];
    const pick = (t: T, seed: number) => { const v = operands(t, 3, seed); return [...v.slice(0, 3), ...v.slice(14, 19), ...v.slice(-3)]; };
    for (const [n, w] of widening) {
      const nv = pick(n, n.bits + w.bits), wv = pick(w, n.bits * w.bits);
      for (const a of nv) {
        for (const b of wv) {
          for (const [name, op] of [...binOps, ...cmpOps]) {
            const isCmp = cmpOps.some(([c]) => c === name);
            for (const [fn, x, y, args] of [[`m${name}_${n.name}_${w.name}`, a, b, [...words(n, a), ...words(w, b)]], [`r${name}_${n.name}_${w.name}`, b, a, [...words(w, b), ...words(n, a)]]] as const) {
              // a shift has the type of its left operand (the count is only a count); the others work at the wider type
              const shiftAt = fn.startsWith('m') ? n : w;
              const want = isCmp ? compareRef(op, x, y) : /^(<<|>>|>>>)$/.test(op) ? reference(shiftAt, op, x, y) : reference(w, op, x, y);
              if (want === 'skip') continue;
              const { eax, edx } = k.call(fn, [...args]);
              const got = isCmp ? BigInt(eax) : result(w, eax, edx);
              const wantBits = isCmp || w.bits === 64 ? want : BigInt.asUintN(32, want);
              if (got !== wantBits) failures.push(`${fn}(${x}, ${y}) = ${got}, want ${want}`);
            }
          }
          const c = k.call(`cadd_${n.name}_${w.name}`, [...words(w, b), ...words(n, a)]);
          const cw = wrap(w, a + b);
          if (result(w, c.eax, c.edx) !== (w.bits === 64 ? cw : BigInt.asUintN(32, cw))) failures.push(`cadd_${n.name}_${w.name}(${b}, ${a})`);
        }
        const i = k.call(`init_${n.name}_${w.name}`, words(n, a));
        if (result(w, i.eax, i.edx) !== (w.bits === 64 ? a : BigInt.asUintN(32, a))) failures.push(`init_${n.name}_${w.name}(${a})`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });
});
