// Straight-line blocks of decoded instructions, and their compilation into
// one JavaScript function each once they are hot: common forms become inline
// JavaScript (inline.ts), the rest direct calls to their handlers from their
// own call sites (monomorphic, so the engine can inline them) instead of one
// megamorphic dispatch in the interpreter loop. Semantics are identical to
// stepping the block.
import type { Cpu } from './cpu.js';
import type { Exec, Insn } from './insn.js';
import { inlineCode } from './inline.js';

export class Block {
  /** Offset of each instruction from the block start. */
  readonly offsets: number[];
  readonly bytes: number;
  hits = 0;
  fn: ((c: Cpu) => number) | null = null;
  /** Up to two successors seen (fall-through / branch target), valid while mapGen equals linkGen. */
  linkGen = -1;
  nextEip0 = -1;
  next0: Block | null = null;
  nextEip1 = -1;
  next1: Block | null = null;

  constructor(readonly insns: Insn[]) {
    let o = 0;
    this.offsets = insns.map((i) => { const at = o; o += i.len; return at; });
    this.bytes = o;
  }

  /** How many instructions retired before the one at `eip` (block started at `start`). */
  doneBefore(start: number, eip: number): number {
    const k = this.offsets.indexOf((eip - start) >>> 0);
    return k < 0 ? 0 : k;
  }
}

/**
 * Builds `(c) => retired` for the block. Common forms are inlined (inline.ts);
 * the rest call their handler with insnEip/EIP set, and the block is left
 * early when a handler jumped (EIP not at the next instruction) or cached
 * code was dropped. insnEip is set before anything that can fault, so the run
 * loop can count what retired before a fault.
 */
export function compileBlock(b: Block): (c: Cpu) => number {
  const names: string[] = [];
  const args: (Exec | Insn)[] = [];
  let body = 'const e = c.eip, g = c.codeGen, R = c.regs;\n';
  let lastInline = false;
  const n = b.insns.length;
  b.insns.forEach((insn, k) => {
    const at = b.offsets[k], next = at + insn.len;
    const isJcc = (insn.op >= 0x70 && insn.op <= 0x7f) || (insn.op >= 0x180 && insn.op <= 0x18f);
    if ((isJcc || insn.op === 0xeb || insn.op === 0xe9) && !insn.o16 && k === n - 1) {
      // A relative jump ends the block: set EIP inline; the handler only runs to raise #GP past the CS limit.
      names.push(`h${k}`, `i${k}`);
      args.push(insn.exec, insn);
      const taken = `{ const t = (e + ${next + (insn.imm | 0)}) >>> 0; if (t > c.csLimit) { c.insnEip = (e + ${at}) >>> 0; c.eip = (e + ${next}) >>> 0; h${k}(c, i${k}); } c.eip = t; }`;
      body += isJcc ? `if (c.cond(${insn.op & 15})) ${taken} else c.eip = (e + ${next}) >>> 0;\n` : taken + '\n';
      lastInline = false;
      return;
    }
    const inl = inlineCode(insn);
    if (inl) {
      if (inl.faults) body += `c.insnEip = (e + ${at}) >>> 0;\n`;
      body += inl.code + '\n';
      if (inl.writes && k < n - 1) body += `if (c.codeGen !== g) { c.eip = (e + ${next}) >>> 0; return ${k + 1}; }\n`;
      lastInline = true;
      return;
    }
    names.push(`h${k}`, `i${k}`);
    args.push(insn.exec, insn);
    body += `c.insnEip = (e + ${at}) >>> 0; c.eip = (e + ${next}) >>> 0; h${k}(c, i${k});\n`;
    if (k < n - 1) body += `if (c.eip !== ((e + ${next}) >>> 0) || c.codeGen !== g) return ${k + 1};\n`;
    lastInline = false;
  });
  if (lastInline) body += `c.eip = (e + ${b.bytes}) >>> 0;\n`;
  body += `return ${n};`;
  const factory = new Function(...names, `return function block(c) {\n${body}\n};`) as (...a: (Exec | Insn)[]) => (c: Cpu) => number;
  return factory(...args);
}
