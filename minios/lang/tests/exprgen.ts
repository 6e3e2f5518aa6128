// Random integer expression trees for the differential fuzz tests: generation, kernel-language text, and a BigInt
// reference evaluator with the language's rules (every operation at its operands' type, shifts at the left operand's
// type with the count masked as the x86 masks it, explicit conversions truncate then extend as C does).
export type T = { name: string; bits: number; signed: boolean };
export const types: T[] = [
  { name: 'u8', bits: 8, signed: false }, { name: 'u16', bits: 16, signed: false }, { name: 'u32', bits: 32, signed: false },
  { name: 'i8', bits: 8, signed: true }, { name: 'i16', bits: 16, signed: true }, { name: 'i32', bits: 32, signed: true },
  { name: 'u64', bits: 64, signed: false }, { name: 'i64', bits: 64, signed: true },
];

export const wrap = (t: T, v: bigint) => (t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v));

export type Node =
  | { k: 'var'; i: number }
  | { k: 'lit'; v: bigint }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'div'; op: '/' | '%'; a: Node; b: Node }
  | { k: 'un'; op: '-' | '~'; a: Node }
  | { k: 'sel'; cmp: string; a: Node; b: Node; x: Node; y: Node }
  /** An explicit conversion T(x) of a value of another type (truncate, then extend as C does). */
  | { k: 'conv'; from: T; a: Node }
  /** An operator with one operand of a narrower type that widens implicitly (u8 + u32), on either side. */
  | { k: 'wide'; op: string; a: Node; nt: T; b: Node; swap: boolean };

export function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

export function edge(t: T, r: (n: number) => number): bigint {
  const min = t.signed ? -(1n << BigInt(t.bits - 1)) : 0n;
  const max = t.signed ? (1n << BigInt(t.bits - 1)) - 1n : (1n << BigInt(t.bits)) - 1n;
  const picks = [0n, 1n, 2n, 3n, 7n, 31n, 32n, 63n, -1n, min, max, min + 1n, max - 1n];
  if (r(3) === 0) return wrap(t, picks[r(picks.length)]);
  let v = 0n;
  for (let w = 0; w < t.bits; w += 16) v = (v << 16n) | BigInt(r(65536));
  return wrap(t, v);
}

/** Variable names: the index of a var node. */
export const VARS = 'abcxyz';

/** A tree of type t; the first `nvars` variables of VARS have type `root` (converted when t differs). */
export function gen(t: T, root: T, r: (n: number) => number, depth: number, nvars = 3): Node {
  if (depth === 0 || r(4) === 0) {
    if (r(3) === 0) return { k: 'lit', v: edge(t, r) };
    const v: Node = { k: 'var', i: r(nvars) };
    return t === root ? v : { k: 'conv', from: root, a: v };
  }
  const d = depth - 1;
  const narrower = types.filter((n) => n.bits < t.bits && (n.signed === t.signed || !n.signed));
  switch (r(11)) {
    case 0: case 1: case 2: case 3:
      return { k: 'bin', op: ['+', '-', '*', '&', '|', '^', '<<', '>>', '>>>'][r(9)], a: gen(t, root, r, d, nvars), b: gen(t, root, r, d, nvars) };
    case 4: return { k: 'div', op: r(2) ? '/' : '%', a: gen(t, root, r, d, nvars), b: gen(t, root, r, d, nvars) };
    case 5: return { k: 'un', op: r(2) ? '-' : '~', a: gen(t, root, r, d, nvars) };
    case 6: { const from = types[r(types.length)]; return { k: 'conv', from, a: gen(from, root, r, d, nvars) }; }
    case 7: {
      if (!narrower.length) return gen(t, root, r, depth, nvars);
      const nt = narrower[r(narrower.length)];
      return { k: 'wide', op: ['+', '-', '*', '&', '|', '^'][r(6)], a: gen(t, root, r, d, nvars), nt, b: gen(nt, root, r, d, nvars), swap: r(2) === 1 };
    }
    default: return { k: 'sel', cmp: ['==', '!=', '<', '<=', '>', '>='][r(6)], a: gen(t, root, r, d, nvars), b: gen(t, root, r, d, nvars), x: gen(t, root, r, d, nvars), y: gen(t, root, r, d, nvars) };
  }
}

/** Source text; a literal is written as a conversion, T(v), so it is a constant of the type. */
export function text(t: T, n: Node): string {
  const lit = (v: bigint) => (t.bits === 64 ? `${t.name}(${v}n)` : `${t.name}(${v})`);
  switch (n.k) {
    case 'var': return VARS[n.i];
    case 'lit': return lit(n.v);
    // (x << ((b > ...: TypeScript's parser (tsc too) takes `<(` for type parameters; a unary + keeps it an operand
    case 'bin': return n.op === '<<' ? `(${text(t, n.a)} << +${text(t, n.b)})` : `(${text(t, n.a)} ${n.op} ${text(t, n.b)})`;
    // the divisor is 2..9: never zero, never -1
    case 'div': return `(${text(t, n.a)} ${n.op} ((${text(t, n.b)} & ${lit(7n)}) + ${lit(2n)}))`;
    case 'un': return `(${n.op}${text(t, n.a)})`;
    // a < b is written b > a: TypeScript would read `x < (y) => ...`-like text as the start of type arguments
    case 'conv': return `${t.name}(${text(n.from, n.a)})`;
    case 'wide': return n.swap ? `(${text(n.nt, n.b)} ${n.op} ${text(t, n.a)})` : `(${text(t, n.a)} ${n.op} ${text(n.nt, n.b)})`;
    case 'sel': return n.cmp === '<'
      ? `(${text(t, n.b)} > ${text(t, n.a)} ? ${text(t, n.x)} : ${text(t, n.y)})`
      : `(${text(t, n.a)} ${n.cmp} ${text(t, n.b)} ? ${text(t, n.x)} : ${text(t, n.y)})`;
  }
}

export function evaluate(t: T, n: Node, env: bigint[]): bigint {
  switch (n.k) {
    case 'var': return env[n.i];
    case 'lit': return n.v;
    case 'bin': {
      const a = evaluate(t, n.a, env), b = evaluate(t, n.b, env);
      const count = BigInt.asUintN(32, b) & (t.bits === 64 ? 63n : 31n);
      switch (n.op) {
        case '+': return wrap(t, a + b);
        case '-': return wrap(t, a - b);
        case '*': return wrap(t, a * b);
        case '&': return wrap(t, a & b);
        case '|': return wrap(t, a | b);
        case '^': return wrap(t, a ^ b);
        case '<<': return wrap(t, a << count);
        case '>>': return wrap(t, a >> count);
        default: return wrap(t, BigInt.asUintN(t.bits, a) >> count);
      }
    }
    case 'div': {
      const a = evaluate(t, n.a, env), b = wrap(t, (evaluate(t, n.b, env) & 7n) + 2n);
      return wrap(t, n.op === '/' ? a / b : a % b);
    }
    case 'un': return wrap(t, n.op === '-' ? -evaluate(t, n.a, env) : ~evaluate(t, n.a, env));
    case 'conv': return wrap(t, evaluate(n.from, n.a, env));
    case 'wide': {
      const a = evaluate(t, n.a, env), b = evaluate(n.nt, n.b, env); // b, in its narrower range, is the same value at t
      const [x, y] = n.swap ? [b, a] : [a, b];
      return wrap(t, { '+': x + y, '-': x - y, '*': x * y, '&': x & y, '|': x | y, '^': x ^ y }[n.op]!);
    }
    case 'sel': {
      const a = evaluate(t, n.a, env), b = evaluate(t, n.b, env);
      const c = { '==': a === b, '!=': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b }[n.cmp]!;
      return evaluate(t, c ? n.x : n.y, env);
    }
  }
}

export const words = (t: T, v: bigint): number[] =>
  t.bits === 64 ? [Number(BigInt.asUintN(64, v) & 0xffffffffn), Number(BigInt.asUintN(64, v) >> 32n)] : [Number(BigInt.asUintN(32, v))];
