// Data movement: mov forms, movzx/movsx, lea, xchg/cmpxchg/xadd/bswap,
// sign extensions, push/pop forms, pusha/popa, enter/leave, flag moves,
// setcc/cmovcc, and the string instructions with rep prefixes.
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { CpuFault } from './fault.js';
// Local copies (imported bindings are getter calls under tsx/vitest).
const F_ADD = 1, F_SUB = 3;
const SIGN = [0, 0x80, 0x8000, 0, 0x80000000];
function trunc(v: number, size: number): number { return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff); }
import { loadDataSegment, writableFlags } from './protect.js';

export function movEG(c: Cpu, i: Insn): void { c.writeE(i, c.getReg(i.size, i.reg)); }
export function movGE(c: Cpu, i: Insn): void { c.setReg(i.size, i.reg, c.readE(i)); }
export function movEI(c: Cpu, i: Insn): void { c.writeE(i, i.imm); }
/** B0-BF. */
export function movRI(c: Cpu, i: Insn): void { c.setReg(i.size, i.op & 7, i.imm); }
/** A0-A3 moffs forms (address in disp). */
export function movAO(c: Cpu, i: Insn): void { c.setReg(i.size, 0, c.rd(i.size, i.seg, c.ea(i))); }
export function movOA(c: Cpu, i: Insn): void { c.wr(i.size, i.seg, c.ea(i), c.getReg(i.size, 0)); }
/** 8C mov Ew,Sw (register destination gets the zero-extended selector). */
export function movES(c: Cpu, i: Insn): void {
  if (i.reg > 5) throw new CpuFault(6);
  const v = c.segs[i.reg].selector;
  if (i.mod === 3) c.setReg(i.o16 ? 2 : 4, i.rm, v); else c.wr16(i.seg, c.ea(i), v);
}
/** 8E mov Sw,Ew. */
export function movSE(c: Cpu, i: Insn): void {
  if (i.reg === 1 || i.reg > 5) throw new CpuFault(6);
  const v = i.mod === 3 ? c.regs[i.rm] & 0xffff : c.rd16(i.seg, c.ea(i));
  loadDataSegment(c, i.reg, v);
  if (i.reg === 2) c.ssShadow = true;
}
/** 0F B6/B7/BE/BF: source size 1 (B6/BE) or 2. */
export function movzx(c: Cpu, i: Insn): void {
  const src = i.op & 1 ? 2 : 1;
  const v = i.mod === 3 ? c.getReg(src, i.rm) : c.rd(src, i.seg, c.ea(i));
  c.setReg(i.size, i.reg, v);
}
export function movsx(c: Cpu, i: Insn): void {
  const src = i.op & 1 ? 2 : 1;
  const v = i.mod === 3 ? c.getReg(src, i.rm) : c.rd(src, i.seg, c.ea(i));
  c.setReg(i.size, i.reg, src === 1 ? (v << 24) >> 24 : (v << 16) >> 16);
}
export function lea(c: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(6);
  c.setReg(i.size, i.reg, c.ea(i));
}
/** 86/87 xchg E,G (memory form is locked on hardware; atomic here anyway). */
export function xchgEG(c: Cpu, i: Insn): void {
  const g = c.getReg(i.size, i.reg);
  if (i.mod === 3) { c.setReg(i.size, i.reg, c.getReg(i.size, i.rm)); c.setReg(i.size, i.rm, g); return; }
  const addr = c.ea(i);
  const m = c.rd(i.size, i.seg, addr);
  c.wr(i.size, i.seg, addr, g);
  c.setReg(i.size, i.reg, m);
}
/** 91-97 xchg eAX,reg. */
export function xchgAR(c: Cpu, i: Insn): void {
  const r = i.op & 7;
  const a = c.getReg(i.size, 0);
  c.setReg(i.size, 0, c.getReg(i.size, r));
  c.setReg(i.size, r, a);
}
export function nop(): void {}
/** 0F B0/B1. */
export function cmpxchg(c: Cpu, i: Insn): void {
  const size = i.size;
  const acc = c.getReg(size, 0);
  let dst: number;
  const addr = i.mod === 3 ? 0 : c.ea(i);
  dst = i.mod === 3 ? c.getReg(size, i.rm) : c.rd(size, i.seg, addr);
  if (dst === acc) {
    const src = c.getReg(size, i.reg);
    if (i.mod === 3) c.setReg(size, i.rm, src); else c.wr(size, i.seg, addr, src);
  } else {
    // The destination is written back even when unequal (locked cycle).
    if (i.mod !== 3) c.wr(size, i.seg, addr, dst);
    c.setReg(size, 0, dst);
  }
  c.setLazy(F_SUB, acc, dst, trunc(acc - dst, size), SIGN[size]);
}
/** 0F C7 /1 cmpxchg8b m64. */
export function cmpxchg8b(c: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(6);
  const addr = c.ea(i);
  const lo = c.rd32(i.seg, addr), hi = c.rd32(i.seg, (addr + 4) >>> 0);
  const r = c.regs;
  if (lo === r[0] && hi === r[2]) {
    c.probeWrite(i.seg, addr, 8);
    c.wr32(i.seg, addr, r[3]); c.wr32(i.seg, (addr + 4) >>> 0, r[1]);
    c.setFlagBits(0x40, 0x40);
  } else {
    c.probeWrite(i.seg, addr, 8);
    c.wr32(i.seg, addr, lo); c.wr32(i.seg, (addr + 4) >>> 0, hi);
    r[0] = lo; r[2] = hi;
    c.setFlagBits(0x40, 0);
  }
}
/** 0F C0/C1. */
export function xadd(c: Cpu, i: Insn): void {
  const size = i.size;
  const src = c.getReg(size, i.reg);
  let dst: number;
  if (i.mod === 3) {
    dst = c.getReg(size, i.rm);
    const sum = trunc(dst + src, size);
    c.setReg(size, i.reg, dst);
    c.setReg(size, i.rm, sum);
    c.setLazy(F_ADD, dst, src, sum, SIGN[size]);
  } else {
    const addr = c.ea(i);
    dst = c.rd(size, i.seg, addr);
    const sum = trunc(dst + src, size);
    c.wr(size, i.seg, addr, sum);
    c.setReg(size, i.reg, dst);
    c.setLazy(F_ADD, dst, src, sum, SIGN[size]);
  }
}
/** 0F C8-CF. */
export function bswap(c: Cpu, i: Insn): void {
  const r = i.op & 7, v = c.regs[r];
  if (i.o16) { c.setReg(2, r, 0); return; } // undefined on hardware; zero like Intel parts
  c.regs[r] = ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) >>> 0;
}
/** 98 cbw/cwde. */
export function cbw(c: Cpu, i: Insn): void {
  if (i.o16) c.setReg(2, 0, ((c.regs[0] << 24) >> 24) & 0xffff);
  else c.regs[0] = (c.regs[0] << 16) >> 16;
}
/** 99 cwd/cdq. */
export function cwd(c: Cpu, i: Insn): void {
  if (i.o16) c.setReg(2, 2, (c.regs[0] & 0x8000) ? 0xffff : 0);
  else c.regs[2] = (c.regs[0] | 0) < 0 ? 0xffffffff : 0;
}

// ---------------------------------------------------------------- stack
export function pushR(c: Cpu, i: Insn): void { c.push(i.size, c.regs[i.op & 7]); }
export function popR(c: Cpu, i: Insn): void {
  const v = c.pop(i.size);
  c.setReg(i.size, i.op & 7, v);
}
export function pushI(c: Cpu, i: Insn): void { c.push(i.size, i.imm); }
export function pushE(c: Cpu, i: Insn): void { c.push(i.size, c.readE(i)); }
/** 8F /0 pop Ev: ESP is incremented before the destination address is computed. */
export function popE(c: Cpu, i: Insn): void {
  const sp = c.regs[4];
  const v = c.pop(i.size);
  try { c.writeE(i, v); } catch (e) { c.regs[4] = sp; throw e; }
}
/** push/pop segment registers (06 0E 16 1E, 0F A0 A8; 07 17 1F, 0F A1 A9). */
const SEG_OF: Record<number, number> = { 0x06: 0, 0x07: 0, 0x0e: 1, 0x16: 2, 0x17: 2, 0x1e: 3, 0x1f: 3, 0x1a0: 4, 0x1a1: 4, 0x1a8: 5, 0x1a9: 5 };
export function pushS(c: Cpu, i: Insn): void {
  const sel = c.segs[SEG_OF[i.op]].selector;
  if (i.o16) c.push16(sel);
  else {
    // A 32-bit push of a segment register writes only the low 16 bits on modern parts; write all 32 (zero-extended).
    c.push32(sel);
  }
}
export function popS(c: Cpu, i: Insn): void {
  const v = c.peek(i.size, 0) & 0xffff;
  loadDataSegment(c, SEG_OF[i.op], v);
  c.regs[4] = c.ssBig ? (c.regs[4] + i.size) >>> 0 : (c.regs[4] & 0xffff0000) | ((c.regs[4] + i.size) & 0xffff);
  if (SEG_OF[i.op] === 2) c.ssShadow = true;
}
export function pusha(c: Cpu, i: Insn): void {
  // Stored from the lowest address (EDI) up, as QEMU does: a frame running into
  // a not-present page below faults on its first store, with memory untouched.
  const r = c.regs, size = i.size, sp = r[4], vals = [r[7], r[6], r[5], sp, r[3], r[2], r[1], r[0]];
  const at = (k: number) => (c.ssBig ? (sp - (8 - k) * size) >>> 0 : (sp - (8 - k) * size) & 0xffff);
  for (let k = 0; k < 8; k++) c.wr(size, 2, at(k), vals[k]);
  r[4] = c.ssBig ? at(0) : (sp & 0xffff0000) | at(0);
}
export function popa(c: Cpu, i: Insn): void {
  const v: number[] = [];
  for (let k = 0; k < 8; k++) v.push(c.peek(i.size, k * i.size));
  for (let k = 0; k < 8; k++) if (k !== 3) c.setReg(i.size, 7 - k, v[k]);
  c.regs[4] = c.ssBig ? (c.regs[4] + 8 * i.size) >>> 0 : (c.regs[4] & 0xffff0000) | ((c.regs[4] + 8 * i.size) & 0xffff);
}
/** C8 enter Iw,Ib. */
export function enter(c: Cpu, i: Insn): void {
  const size = i.size, level = i.imm2 & 0x1f, r = c.regs;
  const sp0 = r[4], bp0 = r[5];
  try {
    c.push(size, r[5]);
    const frame = r[4];
    let bp = r[5];
    for (let k = 1; k < level; k++) {
      bp = c.ssBig ? (bp - size) >>> 0 : (bp - size) & 0xffff;
      c.push(size, c.rd(size, 2, bp));
    }
    if (level > 0) c.push(size, frame);
    const newSp = (r[4] - (i.imm & 0xffff)) >>> 0;
    // The final stack pointer must be writable (hardware checks it).
    if ((i.imm & 0xffff) > 0) c.probeWrite(2, c.ssBig ? newSp : newSp & 0xffff, 1);
    c.setReg(size, 5, frame);
    r[4] = c.ssBig ? newSp : (r[4] & 0xffff0000) | (newSp & 0xffff);
  } catch (e) { r[4] = sp0; r[5] = bp0; throw e; }
}
/** C9 leave. */
export function leave(c: Cpu, i: Insn): void {
  const r = c.regs;
  const sp = c.ssBig ? r[5] : r[5] & 0xffff;
  const v = c.rd(i.size, 2, sp);
  r[4] = c.ssBig ? (sp + i.size) >>> 0 : (r[4] & 0xffff0000) | ((sp + i.size) & 0xffff);
  c.setReg(i.size, 5, v);
}

// ---------------------------------------------------------------- flags
export function pushf(c: Cpu, i: Insn): void {
  c.push(i.size, c.getEflags() & (i.o16 ? 0xffff : 0x00fcffff));
}
export function popf(c: Cpu, i: Insn): void {
  const v = c.peek(i.size, 0);
  const mask = writableFlags(c, i.size);
  c.regs[4] = c.ssBig ? (c.regs[4] + i.size) >>> 0 : (c.regs[4] & 0xffff0000) | ((c.regs[4] + i.size) & 0xffff);
  c.setEflags((c.getEflags() & ~mask) | (v & mask));
}
export function sahf(c: Cpu): void { c.setFlagBits(0xd5, (c.regs[0] >>> 8) & 0xd5); }
export function lahf(c: Cpu): void { c.setReg(1, 4, (c.getEflags() & 0xd5) | 2); }
export function clc(c: Cpu): void { c.setFlagBits(1, 0); }
export function stc(c: Cpu): void { c.setFlagBits(1, 1); }
export function cmc(c: Cpu): void { c.setFlagBits(1, c.cf() ^ 1); }
export function cld(c: Cpu): void { c.flags &= ~0x400; }
export function std(c: Cpu): void { c.flags |= 0x400; }
export function setcc(c: Cpu, i: Insn): void {
  const v = c.cond(i.op & 15) ? 1 : 0;
  if (i.mod === 3) c.setReg(1, i.rm, v); else c.wr8(i.seg, c.ea(i), v);
}
export function cmovcc(c: Cpu, i: Insn): void {
  const v = c.readE(i); // the source is read (and may fault) whatever the condition
  if (c.cond(i.op & 15)) c.setReg(i.size, i.reg, v);
}
/** D6 salc (undocumented): AL = CF ? FF : 00. */
export function salc(c: Cpu): void { c.setReg(1, 0, c.cf() ? 0xff : 0); }
/** D7 xlat. */
export function xlat(c: Cpu, i: Insn): void {
  const off = i.a16 ? (c.regs[3] + (c.regs[0] & 0xff)) & 0xffff : (c.regs[3] + (c.regs[0] & 0xff)) >>> 0;
  c.setReg(1, 0, c.rd8(i.seg, off));
}

// ---------------------------------------------------------------- strings
/** Index register step for one element, honouring DF and the address size. */
function advance(c: Cpu, i: Insn, reg: number, size: number): void {
  const d = (c.flags & 0x400) ? -size : size;
  if (i.a16) c.regs[reg] = (c.regs[reg] & 0xffff0000) | ((c.regs[reg] + d) & 0xffff);
  else c.regs[reg] = (c.regs[reg] + d) >>> 0;
}
function idx(c: Cpu, i: Insn, reg: number): number { return i.a16 ? c.regs[reg] & 0xffff : c.regs[reg]; }
function count(c: Cpu, i: Insn): number { return i.a16 ? c.regs[1] & 0xffff : c.regs[1]; }
function decCount(c: Cpu, i: Insn): void {
  if (i.a16) c.regs[1] = (c.regs[1] & 0xffff0000) | ((c.regs[1] - 1) & 0xffff);
  else c.regs[1] = (c.regs[1] - 1) >>> 0;
}

/**
 * Runs a string element `step` with an optional rep prefix. A rep string
 * instruction is restartable: each element updates the registers, and a fault
 * leaves EIP at the instruction with ECX counting what is left. `cmp` says
 * whether ZF ends the repetition (cmps/scas).
 */
function repeat(c: Cpu, i: Insn, step: () => void, cmp: boolean): void {
  if (i.rep === 0) { step(); return; }
  // Bound the work per execution so that budgets and exits stay timely; the
  // instruction re-executes (EIP rewound) while ECX is non-zero. Under
  // EFLAGS.TF each iteration is a step of its own (a #DB after each, with EIP
  // at the instruction until the last), as on hardware.
  const limit = c.flags & 0x100 || c.debugActive ? 1 : 4096;
  let n = 0;
  while (count(c, i) !== 0) {
    step();
    decCount(c, i);
    if (cmp && (i.rep === 1 ? !c.zf() : c.zf())) return;
    if (++n >= limit && count(c, i) !== 0) { c.eip = c.insnEip; return; }
  }
}

export function movs(c: Cpu, i: Insn): void {
  const size = i.size;
  repeat(c, i, () => {
    const v = c.rd(size, i.seg, idx(c, i, 6));
    c.wr(size, 0, idx(c, i, 7), v);
    advance(c, i, 6, size); advance(c, i, 7, size);
  }, false);
}
export function stos(c: Cpu, i: Insn): void {
  const size = i.size;
  // Fast path for rep stosd on flat memory happens through wr32's TLB path.
  repeat(c, i, () => {
    c.wr(size, 0, idx(c, i, 7), c.getReg(size, 0));
    advance(c, i, 7, size);
  }, false);
}
export function lods(c: Cpu, i: Insn): void {
  const size = i.size;
  repeat(c, i, () => {
    c.setReg(size, 0, c.rd(size, i.seg, idx(c, i, 6)));
    advance(c, i, 6, size);
  }, false);
}
export function cmps(c: Cpu, i: Insn): void {
  const size = i.size;
  repeat(c, i, () => {
    const a = c.rd(size, i.seg, idx(c, i, 6));
    const b = c.rd(size, 0, idx(c, i, 7));
    advance(c, i, 6, size); advance(c, i, 7, size);
    c.setLazy(F_SUB, a, b, trunc(a - b, size), SIGN[size]);
  }, true);
}
export function scas(c: Cpu, i: Insn): void {
  const size = i.size;
  repeat(c, i, () => {
    const a = c.getReg(size, 0);
    const b = c.rd(size, 0, idx(c, i, 7));
    advance(c, i, 7, size);
    c.setLazy(F_SUB, a, b, trunc(a - b, size), SIGN[size]);
  }, true);
}
export { advance as stringAdvance, idx as stringIndex, repeat as stringRepeat };
