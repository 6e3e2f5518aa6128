// Constant folding with the language's exact semantics, so that a folded expression means what the machine code would.
import type { BinOp, CmpOp } from './ir.js';
import { wrapTo, type IntBits } from './types.js';

export type IntType = { bits: IntBits; signed: boolean };

/**
 * a op b at type t (both already in t's range), or at infinite precision when t is undefined (untyped constants).
 * Returns undefined for division by zero. Shift counts are masked as the x86 does (& 31; & 63 at 64 bits).
 */
export function foldBinary(op: BinOp, a: bigint, b: bigint, t?: IntType): bigint | undefined {
  const mask = t?.bits === 64 ? 63n : 31n;
  let r: bigint;
  switch (op) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/': if (b === 0n) return undefined; r = a / b; break;
    case '%': if (b === 0n) return undefined; r = a % b; break;
    case '&': r = a & b; break;
    case '|': r = a | b; break;
    case '^': r = a ^ b; break;
    case '<<': r = t ? a << (b & mask) : a << b; break;
    case '>>': r = t ? a >> (b & mask) : a >> b; break;
    case '>>>': {
      if (!t) { r = a >> b; break; }
      r = BigInt.asUintN(t.bits, a) >> (b & mask);
      break;
    }
  }
  return t ? wrapTo(r, t) : r;
}

export function foldCompare(op: CmpOp, a: bigint, b: bigint): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
}
