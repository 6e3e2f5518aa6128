// Straight-line blocks of decoded instructions, and their compilation into
// one JavaScript function each once they are hot. The compiled function calls
// each instruction's handler from its own call site, so the JavaScript engine
// sees monomorphic calls it can inline, instead of one megamorphic dispatch
// in the interpreter loop. Semantics are identical to stepping the block.
import type { Cpu } from './cpu.js';
import type { Exec, Insn } from './insn.js';

export class Block {
  /** Offset of each instruction from the block start. */
  readonly offsets: number[];
  readonly bytes: number;
  hits = 0;
  fn: ((c: Cpu) => number) | null = null;

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
 * Builds `(c) => retired` for the block: for each instruction, set
 * insnEip/EIP, call the handler, and leave early when it jumped (EIP not at
 * the next instruction) or cached code was dropped.
 */
export function compileBlock(b: Block): (c: Cpu) => number {
  const names: string[] = [];
  const args: (Exec | Insn)[] = [];
  let body = 'const e = c.eip; const g = c.codeGen;\n';
  b.insns.forEach((insn, k) => {
    names.push(`h${k}`, `i${k}`);
    args.push(insn.exec, insn);
    const at = b.offsets[k], next = at + insn.len;
    body += `c.insnEip = (e + ${at}) >>> 0; c.eip = (e + ${next}) >>> 0; h${k}(c, i${k});\n`;
    if (k < b.insns.length - 1) body += `if (c.eip !== ((e + ${next}) >>> 0) || c.codeGen !== g) return ${k + 1};\n`;
  });
  body += `return ${b.insns.length};`;
  const factory = new Function(...names, `return function block(c) {\n${body}\n};`) as (...a: (Exec | Insn)[]) => (c: Cpu) => number;
  return factory(...args);
}
