// nasm expressions as linear values (constant + coefficients of labels, `$`, `$$` and registers), folded where known.
import type { Assembler } from './assembler.js';
import { AsmError } from './errors.js';
import type { Tok } from './lexer.js';
import { registers, type Register, type SymRef } from './operands.js';

/** A linear value: constant + sum of coef * term, where a term is a symbol, `$`, `$$` or a register. */
export interface Lin {
  k: number;
  terms: Map<string, number>;
}

const regKey = (r: Register) => `%${r.name}`;
/** Shared empty term map for constants (never mutated). */
const NONE: Map<string, number> = new Map();

export class LineParser {
  i = 0;
  constructor(readonly toks: Tok[], readonly asm: Assembler) {}
  peek(): Tok | undefined { return this.toks[this.i]; }
  isOp(v: string): boolean { const t = this.peek(); return !!t && t.t === 'op' && t.v === v; }
  eat(v: string): boolean { if (this.isOp(v)) { this.i++; return true; } return false; }
  expect(v: string): void {
    if (!this.eat(v)) throw new AsmError(`expected '${v}'${this.peek() ? ` at column ${this.peek()!.col}` : ' at end of line'}`);
  }
  atEnd(): boolean { return this.i >= this.toks.length; }

  // expression grammar, lowest precedence first: | ^ & << >> + - * / % unary
  expr(): Lin { return this.binary(0); }
  private static levels = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%', '//', '%%']];
  private binary(level: number): Lin {
    if (level === LineParser.levels.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (!t || t.t !== 'op' || !LineParser.levels[level].includes(t.v)) return left;
      this.i++;
      left = combine(t.v, left, this.binary(level + 1));
    }
  }
  private unary(): Lin {
    if (this.eat('-')) return scale(this.unary(), -1);
    if (this.eat('+')) return this.unary();
    if (this.eat('~')) return { k: ~constOf(this.unary(), '~'), terms: NONE };
    if (this.eat('!')) return { k: constOf(this.unary(), '!') ? 0 : 1, terms: NONE };
    if (this.eat('(')) { const v = this.expr(); this.expect(')'); return v; }
    const t = this.peek();
    if (!t) throw new AsmError('expression expected at end of line');
    this.i++;
    if (t.t === 'num') return { k: t.v, terms: NONE };
    if (t.t === 'str') {
      let v = 0;
      const b = new TextEncoder().encode(t.v);
      if (b.length > 4) throw new AsmError(`character constant '${t.v}' is longer than 4 bytes`);
      b.forEach((x, i) => { v += x * 2 ** (8 * i); });
      return { k: v, terms: NONE };
    }
    if (t.t === 'id') {
      const r = registers.get(t.v.toLowerCase());
      if (r) return { k: 0, terms: new Map([[regKey(r), 1]]) };
      if (t.v === '$' || t.v === '$$') return { k: 0, terms: new Map([[t.v, 1]]) };
      const name = this.asm.qualify(t.v);
      const c = this.asm.constants.get(name);
      if (c !== undefined) return { k: c, terms: NONE };
      return { k: 0, terms: new Map([[name, 1]]) };
    }
    throw new AsmError(`unexpected '${t.v}' at column ${t.col}`);
  }
}

function constOf(v: Lin, op: string): number {
  for (const c of v.terms.values()) if (c !== 0) throw new AsmError(`operator '${op}' needs constant operands, not addresses`);
  return v.k;
}
function scale(v: Lin, f: number): Lin {
  if (v.terms.size === 0) return { k: v.k * f, terms: NONE };
  return { k: v.k * f, terms: new Map([...v.terms].map(([n, c]) => [n, c * f])) };
}
function combine(op: string, a: Lin, b: Lin): Lin {
  if (op === '+' || op === '-') {
    const s = op === '+' ? 1 : -1;
    if (a.terms.size === 0 && b.terms.size === 0) return { k: a.k + s * b.k, terms: NONE };
    const terms = new Map(a.terms);
    for (const [n, c] of b.terms) terms.set(n, (terms.get(n) ?? 0) + s * c);
    for (const [n, c] of terms) if (c === 0) terms.delete(n);
    return { k: a.k + s * b.k, terms };
  }
  if (op === '*') {
    if (a.terms.size === 0) return scale(b, a.k);
    if (b.terms.size === 0) return scale(a, b.k);
    throw new AsmError('cannot multiply two addresses');
  }
  const x = BigInt.asIntN(64, BigInt(Math.trunc(constOf(a, op)))), y = BigInt.asIntN(64, BigInt(Math.trunc(constOf(b, op))));
  if ((op === '/' || op === '%' || op === '//' || op === '%%') && y === 0n) throw new AsmError('division by zero');
  const u = (n: bigint) => BigInt.asUintN(64, n);
  const r: Record<string, () => bigint> = {
    '/': () => u(x) / u(y), '%': () => u(x) % u(y), '//': () => x / y, '%%': () => x % y,
    '<<': () => x << (y & 63n), '>>': () => u(x) >> (y & 63n), '&': () => x & y, '|': () => x | y, '^': () => x ^ y,
  };
  return { k: Number(BigInt.asIntN(64, r[op]())), terms: NONE };
}

/** Folds terms whose section offsets are known and whose coefficients cancel within a section (label differences). */
export function fold(asm: Assembler, v: Lin): Lin {
  if (v.terms.size === 0) return v;
  let k = v.k;
  const terms = new Map(v.terms);
  const bySection = new Map<string, [string, number, number][]>();
  for (const [n, c] of terms) {
    if (n.startsWith('%')) continue;
    const at = asm.knownOffset(n);
    if (!at) continue;
    (bySection.get(at.section) ?? bySection.set(at.section, []).get(at.section)!).push([n, c, at.offset]);
  }
  for (const group of bySection.values()) {
    if (group.reduce((a, [, c]) => a + c, 0) !== 0) continue;
    for (const [n, c, off] of group) { k += c * off; terms.delete(n); }
  }
  return { k, terms };
}

/** Turns a linear value into a number or a symbol reference, folding differences of labels whose offsets are known. */
export function resolveValue(asm: Assembler, v: Lin, what: string): number | SymRef {
  if (v.terms.size === 0) return v.k;
  for (const n of v.terms.keys()) if (n.startsWith('%')) throw new AsmError(`register ${n.slice(1)} cannot be used in ${what}`);
  const { k, terms } = fold(asm, v);
  if (terms.size === 0) return k;
  const label = (n: string) => (n === '$' ? asm.dollar?.name ?? asm.here().name : n === '$$' ? asm.sectionStart().name : n);
  if (terms.size === 1) {
    const [[n, c]] = [...terms];
    if (c === 1) return { kind: 'sym', name: label(n), addend: k };
  }
  if (terms.size === 2) {
    const [[n1, c1], [n2, c2]] = [...terms];
    if (c1 === 1 && c2 === -1) return { kind: 'sym', name: label(n1), addend: k, minus: label(n2) };
    if (c1 === -1 && c2 === 1) return { kind: 'sym', name: label(n2), addend: k, minus: label(n1) };
  }
  throw new AsmError(`${what} must be a constant or a label plus a constant`);
}

export function constant(asm: Assembler, v: Lin, what: string): number {
  const r = resolveValue(asm, v, what);
  if (typeof r !== 'number') throw new AsmError(`${what} must be a constant known at this point (got '${r.name}')`);
  return r;
}

