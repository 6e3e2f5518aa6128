// Straight-line blocks of decoded instructions, and their compilation into
// one JavaScript function each once they are hot: common forms become inline
// JavaScript (inline.ts), the rest direct calls to their handlers from their
// own call sites (monomorphic, so the engine can inline them) instead of one
// megamorphic dispatch in the interpreter loop. Semantics are identical to
// stepping the block.
import type { Cpu } from './cpu.js';
import type { Exec, Insn } from './insn.js';
import { inlineCode, type InlineCode } from './inline.js';

export class Block {
  /** Offset of each instruction from the block start. */
  readonly offsets: number[];
  readonly bytes: number;
  hits = 0;
  fn: ((c: Cpu, left: number) => number) | null = null;
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

/** Names and values the generated function closes over, and whether it uses J. */
interface Emit { names: string[]; args: (Exec | Insn)[]; usesJ: boolean }

/**
 * JavaScript for one block whose first byte is at EIP `base` (an expression).
 * Common forms are inlined (inline.ts); the rest call their handler with
 * insnEip/EIP set, and the code returns `done + k` (k instructions of this
 * block retired) when a handler jumped (EIP not at the next instruction) or
 * cached code was dropped. insnEip is set before anything that can fault, so
 * the run loop can count what retired before a fault. Flag stores of an
 * inline instruction that the next instructions overwrite before anything can
 * fault or read them are left out, and a compare or logic result feeding the
 * final jcc is tested straight from its operands. The code ends with EIP at
 * the next instruction to run; `self` is emitted instead of setting EIP when
 * the final jump goes back to the block's start (null: no such shortcut).
 */
function emitBlock(b: Block, tag: string, base: string, em: Emit, self: string | null): { code: string; loops: boolean } {
  let body = '';
  let lastInline = false;
  let loops = false;
  const n = b.insns.length;
  const last = b.insns[n - 1];
  const lastIsJump = isRelJump(last) && !last.o16;
  let fusedJcc = false;
  const inl: (InlineCode | null)[] = b.insns.map((insn, k) => {
    if (lastIsJump && k === n - 1) return null;
    const fuse = lastIsJump && k === n - 2 && isJcc(last) ? last.op & 15 : -1;
    const code = inlineCode(insn, { fuseJcc: fuse });
    if (code && code.fused) fusedJcc = true;
    return code;
  });
  const elide = inl.map((code, k) => {
    if (!code || code.flags !== 'all' || (fusedJcc && k === n - 2)) return false;
    for (let j = k + 1; j < n; j++) {
      const nx = inl[j];
      if (!nx || nx.faults) return false;
      if (nx.flags === 'all') return true;
      if (nx.flags !== 'none') return false;
    }
    return false;
  });
  if (fusedJcc) em.usesJ = true;
  const at = (off: number) => `((${base} + ${off}) >>> 0)`;
  b.insns.forEach((insn, k) => {
    const off = b.offsets[k], next = off + insn.len;
    const h = `h${tag}_${k}`, i = `i${tag}_${k}`;
    if (lastIsJump && k === n - 1) {
      // A relative jump ends the block: set EIP inline; the handler only runs to raise #GP past the CS limit.
      em.names.push(h, i);
      em.args.push(insn.exec, insn);
      const rel = next + (insn.imm | 0);
      const over = `if (t > c.csLimit) { c.insnEip = ${at(off)}; c.eip = ${at(next)}; ${h}(c, ${i}); }`;
      let taken: string;
      if (rel === 0 && self !== null) {
        loops = true;
        taken = `{ const t = ${at(0)}; ${over} ${self} }`;
      } else {
        taken = `{ const t = ${at(rel)}; ${over} c.eip = t; }`;
      }
      const cond = !isJcc(insn) ? null : fusedJcc ? 'J' : `c.cond(${insn.op & 15})`;
      body += cond ? `if (${cond}) ${taken} else c.eip = ${at(next)};\n` : taken + '\n';
      lastInline = false;
      return;
    }
    const code = inl[k] && elide[k] ? inlineCode(insn, { fuseJcc: -1, noFlags: true }) : inl[k];
    if (code) {
      if (code.faults) body += `c.insnEip = ${at(off)};\n`;
      body += code.code + '\n';
      if (code.writes && k < n - 1) body += `if (c.codeGen !== g) { c.eip = ${at(next)}; return done + ${k + 1}; }\n`;
      lastInline = true;
      return;
    }
    em.names.push(h, i);
    em.args.push(insn.exec, insn);
    body += `c.insnEip = ${at(off)}; c.eip = ${at(next)}; ${h}(c, ${i});\n`;
    if (k < n - 1) body += `if (c.eip !== ${at(next)} || c.codeGen !== g) return done + ${k + 1};\n`;
    lastInline = false;
  });
  if (lastInline) body += `c.eip = ${at(b.bytes)};\n`;
  return { code: body, loops };
}

type Factory = (...a: (Exec | Insn)[]) => (c: Cpu, left: number) => number;
/**
 * Factories by source, shared by all CPUs: the same code (a guest booted
 * again, another domain running the same kernel) is parsed once, and its
 * closures share the engine's compiled code.
 */
const factories = new Map<string, Factory>();

function build(em: Emit, src: string): (c: Cpu, left: number) => number {
  const key = em.names.join(',') + '\n' + src;
  let factory = factories.get(key);
  if (factory === undefined) {
    if (factories.size >= 20000) factories.clear();
    factory = new Function(...em.names, `return function block(c, left) {\n${src}\n};`) as Factory;
    factories.set(key, factory);
  }
  return factory(...em.args);
}

/** Reads the clock (rdtsc, rdmsr): the run loop publishes the retired count only before a block it starts. */
function readsClock(b: Block): boolean {
  return b.insns.some((x) => x.op === 0x131 || x.op === 0x132);
}

/**
 * Builds `(c, left) => retired` for the block (c.blockDone: instructions of
 * earlier loop iterations, for counting what retired before a fault). A
 * block whose final jump goes back to its own start (a loop) runs again
 * inside the function while `left` (the budget) allows and nothing the run
 * loop checks between blocks has changed: mapping and code generations,
 * EFLAGS.TF, a pending exit.
 */
export function compileBlock(b: Block): (c: Cpu, left: number) => number {
  const em: Emit = { names: [], args: [], usesJ: false };
  const n = b.insns.length;
  const again = `done += ${n}; if (done + ${n} > left || c.mapGen !== mg || c.codeGen !== g || (c.flags & 256) !== 0 || c.pendingExit !== null) { c.eip = e; return done; } c.blockDone = done; continue;`;
  const { code, loops } = emitBlock(b, '', 'e', em, readsClock(b) ? null : again);
  const head = 'const e = c.eip, g = c.codeGen, R = c.regs;' + (loops ? ' const mg = c.mapGen;' : '') + (em.usesJ ? ' let J = false;' : '') + ' let done = 0; c.blockDone = 0;\n';
  const body = code + `return done + ${n};`;
  return build(em, loops ? `${head}for (;;) {\n${body}\n}` : head + body);
}

function isJcc(i: Insn): boolean {
  return (i.op >= 0x70 && i.op <= 0x7f) || (i.op >= 0x180 && i.op <= 0x18f);
}
function isRelJump(i: Insn): boolean {
  // (With a lock prefix it is #UD: the handler, not the inline jump, must run.)
  return (isJcc(i) || i.op === 0xeb || i.op === 0xe9) && !i.lock;
}
