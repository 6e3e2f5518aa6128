// Protected-mode mechanisms: descriptor loads with their privilege checks,
// interrupt/exception delivery through the IDT (with the TSS stack switch),
// iret, and far jmp/call/ret to code segments.
import type { SegmentCache } from '../types.js';
import type { Cpu } from './cpu.js';
import { CpuFault } from './fault.js';

export interface Descriptor extends SegmentCache {
  /** Linear address of the descriptor (for the accessed bit). */
  addr: number;
  lo: number;
  hi: number;
}

const gp = (code: number) => new CpuFault(13, code);

/** Reads the descriptor for `sel` from the GDT/LDT; null for a null selector. */
export function readDescriptor(c: Cpu, sel: number): Descriptor | null {
  sel &= 0xffff;
  const ldt = (sel & 4) !== 0;
  if (!ldt && (sel & 0xfffc) === 0) return null;
  const table = ldt ? c.ldtr : c.gdtr;
  if (ldt && (c.ldtr.access & 0x80) === 0) throw gp(sel & 0xfffc);
  const idx = sel & 0xfff8;
  if (idx + 7 > table.limit) throw gp(sel & 0xfffc);
  const addr = (table.base + idx) >>> 0;
  const lo = c.rdLin(addr, 4, false);
  const hi = c.rdLin(addr + 4, 4, false);
  return parseDescriptor(sel, lo, hi, addr);
}

export function parseDescriptor(sel: number, lo: number, hi: number, addr = 0): Descriptor {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  if (hi & 0x800000) limit = ((limit << 12) | 0xfff) >>> 0;
  return { selector: sel, base, limit, access: (hi >>> 8) & 0xff, big: (hi & 0x400000) !== 0, addr, lo, hi };
}

/** Sets the accessed bit in memory when it is clear and the page allows it (never faults). */
function markAccessed(c: Cpu, d: Descriptor): void {
  if (d.access & 1) return;
  const lin = d.addr + 5;
  const pa = c.walk(lin, true, false, false, false);
  if (pa >= 0) c.physWrite8(pa, d.access | 1);
  d.access |= 1;
}

/** mov/pop to SS, DS, ES, FS, GS at the current CPL. */
export function loadDataSegment(c: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  const cpl = c.cpl;
  const rpl = sel & 3;
  if (seg === 2) {
    if ((sel & 0xfffc) === 0) throw gp(0);
    const d = readDescriptor(c, sel)!;
    const dpl = (d.access >> 5) & 3;
    const writableData = (d.access & 0x1a) === 0x12;
    if (rpl !== cpl || dpl !== cpl || !writableData) throw gp(sel & 0xfffc);
    if ((d.access & 0x80) === 0) throw new CpuFault(12, sel & 0xfffc);
    markAccessed(c, d);
    c.setSegmentCache(2, d);
    return;
  }
  const d = readDescriptor(c, sel);
  if (!d) {
    c.setSegmentCache(seg, { selector: sel, base: 0, limit: 0, access: 0, big: false });
    return;
  }
  const a = d.access;
  const dpl = (a >> 5) & 3;
  if ((a & 0x10) === 0) throw gp(sel & 0xfffc);
  const code = (a & 8) !== 0;
  if (code && (a & 2) === 0) throw gp(sel & 0xfffc);
  const conforming = code && (a & 4) !== 0;
  if (!conforming && dpl < Math.max(cpl, rpl)) throw gp(sel & 0xfffc);
  if ((a & 0x80) === 0) throw new CpuFault(11, sel & 0xfffc);
  markAccessed(c, d);
  c.setSegmentCache(seg, d);
}

/** Linear address of a stack slot in a not-yet-committed stack segment. */
function stackLin(ss: SegmentCache, esp: number, size: number, faultCode: number): number {
  const expandDown = (ss.access & 0x0c) === 0x04;
  const last = esp + size - 1;
  if (expandDown ? esp <= ss.limit || last > (ss.big ? 0xffffffff : 0xffff) : last > ss.limit) {
    throw new CpuFault(12, faultCode);
  }
  return (ss.base + esp) >>> 0;
}

/** Pushes `vals` (first pushed first) onto ss:esp; returns the new ESP. Writes memory only. */
function pushFrame(c: Cpu, ss: SegmentCache, esp: number, vals: number[], size: number, user: boolean, faultCode: number): number {
  const mask = ss.big ? 0xffffffff : 0xffff;
  const top = (esp - vals.length * size) & mask;
  // Check every slot first so that a fault leaves memory untouched.
  const lins: number[] = [];
  for (let k = 0; k < vals.length; k++) {
    const slot = ((esp - (k + 1) * size) & mask) >>> 0;
    const lin = stackLin(ss, slot, size, faultCode);
    c.walk(lin, true, user, true, true);
    if (((lin + size - 1) & ~0xfff) !== (lin & ~0xfff)) c.walk(lin + size - 1, true, user, true, true);
    lins.push(lin);
  }
  for (let k = 0; k < vals.length; k++) c.wrLin(lins[k], size, vals[k], user);
  return top >>> 0;
}

function setEsp(c: Cpu, big: boolean, v: number): void {
  c.regs[4] = big ? v >>> 0 : (c.regs[4] & 0xffff0000) | (v & 0xffff);
}

/** Reads the ring-`dpl` stack pointer from the current TSS. */
function tssStack(c: Cpu, dpl: number): { ss: number; esp: number } {
  const tr = c.tr;
  const is32 = (tr.access & 0x08) !== 0;
  const off = is32 ? 4 + dpl * 8 : 2 + dpl * 4;
  if (off + (is32 ? 5 : 3) > tr.limit || (tr.access & 0x80) === 0) throw new CpuFault(10, tr.selector & 0xfffc);
  if (is32) return { esp: c.rdLin(tr.base + off, 4, false), ss: c.rdLin(tr.base + off + 4, 2, false) };
  return { esp: c.rdLin(tr.base + off, 2, false), ss: c.rdLin(tr.base + off + 2, 2, false) };
}

/** Validates a new SS for a privilege change to `dpl`; faults #TS. */
function checkNewSs(c: Cpu, sel: number, dpl: number, vec: number): SegmentCache {
  if ((sel & 0xfffc) === 0) throw new CpuFault(vec, 0);
  const d = readDescriptor(c, sel)!;
  const ok = (sel & 3) === dpl && ((d.access >> 5) & 3) === dpl && (d.access & 0x1a) === 0x12;
  if (!ok) throw new CpuFault(vec, sel & 0xfffc);
  if ((d.access & 0x80) === 0) throw new CpuFault(vec === 10 ? 10 : 12, sel & 0xfffc);
  markAccessed(c, d);
  return d;
}

/**
 * Delivers `vector` through the IDT. EIP is the return address to push
 * (after the instruction for int n and traps, at it for faults). Throws a
 * CpuFault if delivery itself faults, leaving registers unchanged.
 */
export function deliver(c: Cpu, vector: number, code: number, soft: boolean, ext: boolean): void {
  const e = ext ? 1 : 0;
  const idtCode = vector * 8 + 2 + e;
  if (vector * 8 + 7 > c.idtr.limit) throw gp(idtCode);
  const glin = (c.idtr.base + vector * 8) >>> 0;
  const lo = c.rdLin(glin, 4, false);
  const hi = c.rdLin(glin + 4, 4, false);
  const type = (hi >>> 8) & 0x1f;
  const gdpl = (hi >>> 13) & 3;
  if (type !== 0x0e && type !== 0x0f && type !== 0x06 && type !== 0x07) throw gp(idtCode);
  if (soft && gdpl < c.cpl) throw gp(idtCode);
  if ((hi & 0x8000) === 0) throw new CpuFault(11, idtCode);
  const sel = lo >>> 16;
  const offset = ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0;
  const gate32 = (type & 8) !== 0;
  const size = gate32 ? 4 : 2;
  if ((sel & 0xfffc) === 0) throw gp(e);
  const cs = readDescriptor(c, sel)!;
  const dpl = (cs.access >> 5) & 3;
  if ((cs.access & 0x18) !== 0x18 || dpl > c.cpl) throw gp((sel & 0xfffc) + e);
  if ((cs.access & 0x80) === 0) throw new CpuFault(11, (sel & 0xfffc) + e);
  const target = gate32 ? offset : offset & 0xffff;
  if (target > cs.limit) throw gp(e);
  const conforming = (cs.access & 4) !== 0;
  const eflags = c.getEflags();
  const oldCs = c.segs[1].selector;
  const eip = c.eip;
  let newSs: SegmentCache = c.segs[2];
  let newCpl = c.cpl;
  let esp = c.regs[4];
  let frame: number[];
  if (!conforming && dpl < c.cpl) {
    const st = tssStack(c, dpl);
    newSs = checkNewSs(c, st.ss, dpl, 10);
    newCpl = dpl;
    frame = [c.segs[2].selector, c.regs[4], eflags, oldCs, eip];
    esp = st.esp;
  } else {
    frame = [eflags, oldCs, eip];
    if (!newSs.big) esp &= 0xffff;
  }
  if (code >= 0) frame.push(code);
  if (!gate32) frame = frame.map((v) => v & 0xffff);
  const newEsp = pushFrame(c, newSs, esp, frame, size, newCpl === 3, newCpl !== c.cpl ? newSs.selector & 0xfffc : 0);
  // Commit.
  c.eventDelivered = true;
  markAccessed(c, cs);
  if (newSs !== c.segs[2]) c.setSegmentCache(2, newSs);
  setEsp(c, newSs.big, newEsp);
  c.setSegmentCache(1, { ...cs, selector: (sel & 0xfffc) | newCpl });
  c.eip = target;
  // TF, NT, RF, VM cleared; IF cleared for interrupt gates.
  let f = eflags & ~(0x100 | 0x4000 | 0x10000 | 0x20000);
  if ((type & 1) === 0) f &= ~0x200;
  c.setEflags(f);
}

/** Flags a pop into EFLAGS may change at the current CPL and IOPL. */
export function writableFlags(c: Cpu, size: number): number {
  let mask = 0x244dd5 | 0x10000; // CF PF AF ZF SF TF DF OF NT AC ID RF
  const iopl = (c.flags >> 12) & 3;
  if (c.cpl === 0) mask |= 0x3000;
  if (c.cpl <= iopl) mask |= 0x200;
  if (size === 2) mask &= 0xffff;
  return mask;
}

/** Invalidates data segments the new (outer) CPL may not use. */
function scrubSegments(c: Cpu): void {
  for (const s of [0, 3, 4, 5]) {
    const a = c.segs[s].access;
    const dpl = (a >> 5) & 3;
    const conformingCode = (a & 0x1c) === 0x1c;
    if ((a & 0x80) && !conformingCode && dpl < c.cpl) {
      c.setSegmentCache(s, { selector: 0, base: 0, limit: 0, access: 0, big: false });
    }
  }
}

/** Checks a code segment for a return to privilege `rpl`. */
function checkReturnCs(c: Cpu, sel: number): Descriptor {
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) throw gp(0);
  const d = readDescriptor(c, sel)!;
  if ((d.access & 0x18) !== 0x18) throw gp(sel & 0xfffc);
  if (rpl < c.cpl) throw gp(sel & 0xfffc);
  const dpl = (d.access >> 5) & 3;
  if ((d.access & 4) ? dpl > rpl : dpl !== rpl) throw gp(sel & 0xfffc);
  if ((d.access & 0x80) === 0) throw new CpuFault(11, sel & 0xfffc);
  return d;
}

/** iret (size 4 = iretd, 2 = 16-bit iret). */
export function iret(c: Cpu, size: number): void {
  if (c.flags & 0x4000) throw gp(0); // task return: no hardware task switching
  const eip = c.peek(size, 0);
  const csSel = c.peek(size, size) & 0xffff;
  const fl = c.peek(size, 2 * size);
  const rpl = csSel & 3;
  const cs = checkReturnCs(c, csSel);
  let newSs: SegmentCache | null = null;
  let newEsp = 0;
  if (rpl > c.cpl) {
    newEsp = c.peek(size, 3 * size);
    const ssSel = c.peek(size, 4 * size) & 0xffff;
    newSs = checkNewSs(c, ssSel, rpl, 13);
  }
  const target = size === 2 ? eip & 0xffff : eip;
  if (target > cs.limit) throw gp(0);
  const mask = writableFlags(c, size) & ~0x20000; // no virtual-8086 mode
  const f = (c.getEflags() & ~mask) | (fl & mask);
  markAccessed(c, cs);
  if (newSs) {
    c.setSegmentCache(1, cs);
    c.setSegmentCache(2, newSs);
    setEsp(c, newSs.big, newEsp);
    scrubSegments(c);
  } else {
    c.regs[4] = c.ssBig ? (c.regs[4] + 3 * size) >>> 0 : (c.regs[4] & 0xffff0000) | ((c.regs[4] + 3 * size) & 0xffff);
    c.setSegmentCache(1, { ...cs, selector: csSel });
  }
  c.eip = target;
  c.setEflags(f);
}

/** Far return (retf imm16): same privilege or to an outer ring. */
export function farReturn(c: Cpu, size: number, extra: number): void {
  const eip = c.peek(size, 0);
  const csSel = c.peek(size, size) & 0xffff;
  const rpl = csSel & 3;
  const cs = checkReturnCs(c, csSel);
  const target = size === 2 ? eip & 0xffff : eip;
  if (target > cs.limit) throw gp(0);
  if (rpl > c.cpl) {
    const newEsp = c.peek(size, 2 * size + extra);
    const ssSel = c.peek(size, 3 * size + extra) & 0xffff;
    const ss = checkNewSs(c, ssSel, rpl, 13);
    c.setSegmentCache(1, cs);
    c.setSegmentCache(2, ss);
    setEsp(c, ss.big, newEsp + extra);
    scrubSegments(c);
  } else {
    const d = 2 * size + extra;
    c.regs[4] = c.ssBig ? (c.regs[4] + d) >>> 0 : (c.regs[4] & 0xffff0000) | ((c.regs[4] + d) & 0xffff);
    c.setSegmentCache(1, { ...cs, selector: (csSel & ~3) | c.cpl });
  }
  c.eip = target;
}

/**
 * Far jmp or call: directly to a code segment at the same privilege, or
 * through a 32/16-bit call gate (a call may then move to a more privileged
 * ring, switching stacks through the TSS and copying the gate's parameters).
 * Task gates and TSS targets are not supported (#GP).
 */
export function farTransfer(c: Cpu, sel: number, offset: number, call: boolean, size: number): void {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) throw gp(0);
  const d = readDescriptor(c, sel)!;
  const a = d.access;
  if ((a & 0x10) === 0 && ((a & 0x0f) === 0x0c || (a & 0x0f) === 0x04)) {
    callGate(c, sel, d, call);
    return;
  }
  if ((a & 0x18) !== 0x18) throw gp(sel & 0xfffc);
  const dpl = (a >> 5) & 3;
  if (a & 4) { if (dpl > c.cpl) throw gp(sel & 0xfffc); }
  else if ((sel & 3) > c.cpl || dpl !== c.cpl) throw gp(sel & 0xfffc);
  if ((a & 0x80) === 0) throw new CpuFault(11, sel & 0xfffc);
  const target = size === 2 ? offset & 0xffff : offset >>> 0;
  if (target > d.limit) throw gp(0);
  if (call) {
    const oldCs = c.segs[1].selector;
    const oldEip = c.eip;
    const sp = c.regs[4];
    try {
      c.push(size, oldCs);
      c.push(size, oldEip);
    } catch (e) { c.regs[4] = sp; throw e; }
  }
  markAccessed(c, d);
  c.setSegmentCache(1, { ...d, selector: (sel & ~3) | c.cpl });
  c.eip = target;
}

function callGate(c: Cpu, gateSel: number, g: Descriptor, call: boolean): void {
  const gdpl = (g.access >> 5) & 3;
  if (gdpl < Math.max(c.cpl, gateSel & 3)) throw gp(gateSel & 0xfffc);
  if ((g.access & 0x80) === 0) throw new CpuFault(11, gateSel & 0xfffc);
  const size = (g.access & 0x08) ? 4 : 2;
  const sel = g.lo >>> 16;
  const offset = size === 4 ? ((g.lo & 0xffff) | (g.hi & 0xffff0000)) >>> 0 : g.lo & 0xffff;
  if ((sel & 0xfffc) === 0) throw gp(0);
  const cs = readDescriptor(c, sel)!;
  const dpl = (cs.access >> 5) & 3;
  if ((cs.access & 0x18) !== 0x18 || dpl > c.cpl) throw gp(sel & 0xfffc);
  if ((cs.access & 0x80) === 0) throw new CpuFault(11, sel & 0xfffc);
  if (offset > cs.limit) throw gp(0);
  const conforming = (cs.access & 4) !== 0;
  if (!call) {
    if (!conforming && dpl !== c.cpl) throw gp(sel & 0xfffc);
    markAccessed(c, cs);
    c.setSegmentCache(1, { ...cs, selector: (sel & ~3) | c.cpl });
    c.eip = offset;
    return;
  }
  const oldCs = c.segs[1].selector, oldEip = c.eip;
  if (!conforming && dpl < c.cpl) {
    const st = tssStack(c, dpl);
    const ss = checkNewSs(c, st.ss, dpl, 10);
    const count = g.hi & 0x1f;
    const params: number[] = [];
    for (let k = count - 1; k >= 0; k--) params.push(c.peek(size, k * size));
    const frame = [c.segs[2].selector, c.regs[4], ...params, oldCs, oldEip];
    const esp = pushFrame(c, ss, st.esp, frame, size, dpl === 3, ss.selector & 0xfffc);
    markAccessed(c, cs);
    c.setSegmentCache(2, ss);
    setEsp(c, ss.big, esp);
    c.setSegmentCache(1, { ...cs, selector: (sel & ~3) | dpl });
  } else {
    const sp = c.regs[4];
    try { c.push(size, oldCs); c.push(size, oldEip); } catch (e) { c.regs[4] = sp; throw e; }
    markAccessed(c, cs);
    c.setSegmentCache(1, { ...cs, selector: (sel & ~3) | c.cpl });
  }
  c.eip = offset;
}
