// Control flow and system instructions: jumps, calls, returns, loops,
// software interrupts, iret, hlt, cli/sti, port I/O, descriptor-table and
// control-register instructions, cpuid, rdtsc, rdmsr/wrmsr.
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { CpuFault } from './fault.js';
import { farReturn, farTransfer, iret, loadDataSegment, readDescriptor } from './protect.js';
import { stringAdvance, stringIndex, stringRepeat } from './ops-move.js';

const gp0 = () => new CpuFault(13, 0);

function jumpTo(c: Cpu, i: Insn, target: number): void {
  target = i.o16 ? target & 0xffff : target >>> 0;
  if (target > c.csLimit) throw gp0();
  c.eip = target;
}

export function jcc(c: Cpu, i: Insn): void {
  if (c.cond(i.op & 15)) jumpTo(c, i, c.eip + i.imm);
}
export function jmpRel(c: Cpu, i: Insn): void { jumpTo(c, i, c.eip + i.imm); }
export function callRel(c: Cpu, i: Insn): void {
  const target = i.o16 ? (c.eip + i.imm) & 0xffff : (c.eip + i.imm) >>> 0;
  if (target > c.csLimit) throw gp0();
  c.push(i.size, c.eip);
  c.eip = target;
}
/** FF /2 call Ev. */
export function callE(c: Cpu, i: Insn): void {
  const target = c.readE(i);
  if (target > c.csLimit) throw gp0();
  c.push(i.size, c.eip);
  c.eip = target;
}
/** FF /4 jmp Ev. */
export function jmpE(c: Cpu, i: Insn): void { jumpTo(c, i, c.readE(i)); }
/** C3 / C2 Iw. */
export function ret(c: Cpu, i: Insn): void {
  const target = c.peek(i.size, 0);
  if (target > c.csLimit) throw gp0();
  const d = i.size + (i.op === 0xc2 ? i.imm & 0xffff : 0);
  c.regs[4] = c.ssBig ? (c.regs[4] + d) >>> 0 : (c.regs[4] & 0xffff0000) | ((c.regs[4] + d) & 0xffff);
  c.eip = target;
}
/** CB / CA Iw. */
export function retf(c: Cpu, i: Insn): void { farReturn(c, i.size, i.op === 0xca ? i.imm & 0xffff : 0); }
/** EA / 9A Ap. */
export function jmpFar(c: Cpu, i: Insn): void { farTransfer(c, i.imm2, i.imm, false, i.size); }
export function callFar(c: Cpu, i: Insn): void { farTransfer(c, i.imm2, i.imm, true, i.size); }
/** FF /3 call Mp, FF /5 jmp Mp. */
export function farIndirect(c: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(6);
  const a = c.ea(i);
  const off = c.rd(i.size, i.seg, a);
  const sel = c.rd16(i.seg, (a + i.size) >>> 0);
  farTransfer(c, sel, off, i.reg === 3, i.size);
}
/** E0-E3 loopne, loope, loop, jecxz. */
export function loop(c: Cpu, i: Insn): void {
  const r = c.regs;
  if (i.op === 0xe3) {
    if ((i.a16 ? r[1] & 0xffff : r[1]) === 0) jumpTo(c, i, c.eip + i.imm);
    return;
  }
  let cx: number;
  if (i.a16) { cx = (r[1] - 1) & 0xffff; r[1] = (r[1] & 0xffff0000) | cx; }
  else { cx = (r[1] - 1) >>> 0; r[1] = cx; }
  const take = cx !== 0 && (i.op === 0xe2 || (i.op === 0xe1 ? c.zf() : !c.zf()));
  if (take) jumpTo(c, i, c.eip + i.imm);
}

// ---------------------------------------------------------------- interrupts
/** Software interrupt: exit to the host if claimed, else IDT delivery with the DPL check. */
function softInt(c: Cpu, i: Insn, vector: number): void {
  if (c.claimedInts[vector]) {
    c.exitWith({ kind: 'interrupt', vector, insnEip: c.insnEip, insnLength: i.len });
    return;
  }
  c.deliverOrEscalate(vector, -1, true, false);
}
export function intN(c: Cpu, i: Insn): void { softInt(c, i, i.imm & 0xff); }
export function int3(c: Cpu, i: Insn): void { softInt(c, i, 3); }
export function into(c: Cpu, i: Insn): void { if (c.of()) softInt(c, i, 4); }
/** F1 icebp: a #DB trap that is not DPL-checked. */
export function int1(c: Cpu): void { c.raise(1, -1); }
export function iretOp(c: Cpu, i: Insn): void { iret(c, i.size); }
export function bound(c: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(6);
  const a = c.ea(i);
  const lo = c.rd(i.size, i.seg, a), hi = c.rd(i.size, i.seg, (a + i.size) >>> 0);
  const sx = (v: number) => (i.size === 2 ? (v << 16) >> 16 : v | 0);
  const v = sx(c.getReg(i.size, i.reg));
  if (v < sx(lo) || v > sx(hi)) throw new CpuFault(5);
}

// ---------------------------------------------------------------- privileged and I/O
function requireCpl0(c: Cpu): void { if (c.cpl !== 0) throw gp0(); }
export function hlt(c: Cpu): void {
  requireCpl0(c);
  c.exitWith({ kind: 'hlt' });
}
function iopl(c: Cpu): number { return (c.flags >> 12) & 3; }
export function cli(c: Cpu): void { if (c.cpl > iopl(c)) throw gp0(); c.flags &= ~0x200; }
export function sti(c: Cpu): void { if (c.cpl > iopl(c)) throw gp0(); c.flags |= 0x200; }

/** I/O permission: CPL <= IOPL, or the TSS I/O bitmap allows every byte. */
function checkIo(c: Cpu, port: number, size: number): void {
  if (c.cpl <= iopl(c)) return;
  const tr = c.tr;
  if ((tr.access & 0x80) === 0 || (tr.access & 0x0f) !== 0x09 && (tr.access & 0x0f) !== 0x0b || tr.limit < 0x67) throw gp0();
  const base = c.rdLin(tr.base + 0x66, 2, false);
  const byte = base + (port >>> 3);
  if (byte + 1 > tr.limit) throw gp0();
  const bits = c.rdLin(tr.base + byte, 2, false);
  const mask = ((1 << size) - 1) << (port & 7);
  if (bits & mask) throw gp0();
}

/** Port read; a missing device exits to the host (claimAllIo) or reads all ones. */
function portIn(c: Cpu, port: number, size: 1 | 2 | 4): number | null {
  const dev = c.ports[port];
  if (dev) return dev.read(port, size);
  if (c.allIo) return null;
  return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
}
function portOut(c: Cpu, port: number, size: 1 | 2 | 4, v: number): boolean {
  const dev = c.ports[port];
  if (dev) { dev.write(port, size, v); return true; }
  return !c.allIo;
}
function ioSize(i: Insn): 1 | 2 | 4 { return i.size as 1 | 2 | 4; }
/** E4/E5 in imm8, EC/ED in dx. */
export function inOp(c: Cpu, i: Insn): void {
  const port = i.op === 0xe4 || i.op === 0xe5 ? i.imm & 0xff : c.regs[2] & 0xffff;
  const size = ioSize(i);
  checkIo(c, port, size);
  const v = portIn(c, port, size);
  if (v === null) { c.exitWith({ kind: 'io', port, size, write: false, insnEip: c.insnEip }); return; }
  c.setReg(size, 0, v);
}
export function outOp(c: Cpu, i: Insn): void {
  const port = i.op === 0xe6 || i.op === 0xe7 ? i.imm & 0xff : c.regs[2] & 0xffff;
  const size = ioSize(i);
  checkIo(c, port, size);
  const v = c.getReg(size, 0);
  if (!portOut(c, port, size, v)) c.exitWith({ kind: 'io', port, size, write: true, value: v, insnEip: c.insnEip });
}
/** 6C/6D ins, 6E/6F outs: unclaimed ports read ones / drop writes even with claimAllIo. */
export function ins(c: Cpu, i: Insn): void {
  const size = ioSize(i), port = c.regs[2] & 0xffff;
  checkIo(c, port, size);
  stringRepeat(c, i, () => {
    const v = portIn(c, port, size) ?? 0xffffffff;
    c.wr(size, 0, stringIndex(c, i, 7), v);
    stringAdvance(c, i, 7, size);
  }, false);
}
export function outs(c: Cpu, i: Insn): void {
  const size = ioSize(i), port = c.regs[2] & 0xffff;
  checkIo(c, port, size);
  stringRepeat(c, i, () => {
    const v = c.rd(size, i.seg, stringIndex(c, i, 6));
    portOut(c, port, size, v);
    stringAdvance(c, i, 6, size);
  }, false);
}

// ---------------------------------------------------------------- descriptor tables (0F 00, 0F 01)
/** 0F 00 /0 sldt, /1 str. */
export function sldtStr(c: Cpu, i: Insn): void {
  const v = i.reg === 0 ? c.ldtr.selector : c.tr.selector;
  if (i.mod === 3) c.setReg(i.o16 ? 2 : 4, i.rm, v); else c.wr16(i.seg, c.ea(i), v);
}
function readE16(c: Cpu, i: Insn): number { return i.mod === 3 ? c.regs[i.rm] & 0xffff : c.rd16(i.seg, c.ea(i)); }
/** 0F 00 /2 lldt. */
export function lldt(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const sel = readE16(c, i);
  if ((sel & 0xfffc) === 0) { c.ldtr = { selector: sel, base: 0, limit: 0, access: 0, big: false }; return; }
  if (sel & 4) throw new CpuFault(13, sel & 0xfffc);
  const d = readDescriptor(c, sel)!;
  if ((d.access & 0x1f) !== 0x02) throw new CpuFault(13, sel & 0xfffc);
  if ((d.access & 0x80) === 0) throw new CpuFault(11, sel & 0xfffc);
  c.ldtr = { selector: sel, base: d.base, limit: d.limit, access: d.access, big: d.big };
}
/** 0F 00 /3 ltr: marks the TSS busy. */
export function ltr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const sel = readE16(c, i);
  if ((sel & 0xfffc) === 0 || (sel & 4)) throw new CpuFault(13, sel & 0xfffc);
  const d = readDescriptor(c, sel)!;
  const t = d.access & 0x1f;
  if (t !== 0x09 && t !== 0x01) throw new CpuFault(13, sel & 0xfffc);
  if ((d.access & 0x80) === 0) throw new CpuFault(11, sel & 0xfffc);
  const busy = d.access | 2;
  c.wrLin(d.addr + 5, 1, busy, false);
  c.tr = { selector: sel, base: d.base, limit: d.limit, access: busy, big: d.big };
}
/** 0F 00 /4 verr, /5 verw: ZF says whether the segment is accessible at CPL/RPL. */
export function verrw(c: Cpu, i: Insn): void {
  const sel = readE16(c, i);
  let ok = false;
  try {
    const d = readDescriptor(c, sel);
    if (d && (d.access & 0x10)) {
      const code = (d.access & 8) !== 0, conforming = code && (d.access & 4) !== 0;
      const dpl = (d.access >> 5) & 3;
      const privOk = conforming || dpl >= Math.max(c.cpl, sel & 3);
      ok = privOk && (i.reg === 4 ? (!code || (d.access & 2) !== 0) : (!code && (d.access & 2) !== 0));
    }
  } catch (e) { if (!(e instanceof CpuFault) || e.vector !== 13) throw e; }
  c.setFlagBits(0x40, ok ? 0x40 : 0);
}
/** 0F 02 lar, 0F 03 lsl. */
export function larLsl(c: Cpu, i: Insn): void {
  const sel = readE16(c, i);
  const lsl = i.op === 0x103;
  let d = null;
  try { d = readDescriptor(c, sel); } catch (e) { if (!(e instanceof CpuFault) || e.vector !== 13) throw e; }
  let ok = false;
  if (d) {
    const dpl = (d.access >> 5) & 3;
    const conforming = (d.access & 0x1c) === 0x1c;
    let typeOk: boolean;
    if (d.access & 0x10) typeOk = true;
    else {
      const t = d.access & 0x0f;
      typeOk = lsl ? [1, 2, 3, 9, 11].includes(t) : [1, 2, 3, 4, 5, 9, 11, 12].includes(t);
    }
    ok = typeOk && (conforming || dpl >= Math.max(c.cpl, sel & 3));
  }
  if (ok && d) {
    const v = lsl ? d.limit : d.hi & 0x00f0ff00;
    c.setReg(i.size, i.reg, v);
  }
  c.setFlagBits(0x40, ok ? 0x40 : 0);
}
/** 0F 01 /0 sgdt, /1 sidt (not privileged on IA-32). */
export function sgdtSidt(c: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(6);
  const t = i.reg === 0 ? c.gdtr : c.idtr;
  const a = c.ea(i);
  c.probeWrite(i.seg, a, 6);
  c.wr16(i.seg, a, t.limit);
  c.wr32(i.seg, (a + 2) >>> 0, i.o16 ? t.base & 0xffffff : t.base);
}
/** 0F 01 /2 lgdt, /3 lidt. */
export function lgdtLidt(c: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(6);
  requireCpl0(c);
  const a = c.ea(i);
  const limit = c.rd16(i.seg, a);
  let base = c.rd32(i.seg, (a + 2) >>> 0);
  if (i.o16) base &= 0xffffff;
  if (i.reg === 2) c.gdtr = { base, limit }; else c.idtr = { base, limit };
}
/** 0F 01 /4 smsw. */
export function smsw(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.setReg(i.o16 ? 2 : 4, i.rm, c.cr0); else c.wr16(i.seg, c.ea(i), c.cr0 & 0xffff);
}
/** 0F 01 /6 lmsw: can set PE but not clear it. */
export function lmsw(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const v = readE16(c, i);
  c.setCr0((c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & 1));
}
/** 0F 01 /7 invlpg. */
export function invlpgOp(c: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(6);
  requireCpl0(c);
  c.invlpg((c.segBase[i.seg] + c.ea(i)) >>> 0);
}
export function clts(c: Cpu): void { requireCpl0(c); c.cr0 &= ~8; }
export function wbinvd(c: Cpu): void { requireCpl0(c); }

/** 0F 20 mov r32,CRn / 0F 22 mov CRn,r32 (the mod field is ignored). */
export function movFromCr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const v = [c.cr0, 0, c.cr2, c.cr3, c.cr4][i.reg];
  if (v === undefined || i.reg === 1) throw new CpuFault(6);
  c.regs[i.rm] = v;
}
export function movToCr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const v = c.regs[i.rm];
  switch (i.reg) {
    case 0:
      if ((v & 0x80000000) && !(v & 1)) throw gp0();
      c.setCr0(v);
      break;
    case 2: c.cr2 = v; break;
    case 3: c.setCr3(v); break;
    case 4:
      if (v & ~0x7ff) throw gp0();
      c.setCr4(v);
      break;
    default: throw new CpuFault(6);
  }
}
/** 0F 21 / 0F 23 mov to and from DR0-7 (DR4/5 alias DR6/7). */
/** DR4/5 alias DR6/7 unless CR4.DE, when they are #UD. */
function drIndex(c: Cpu, i: Insn): number {
  requireCpl0(c);
  if (i.reg !== 4 && i.reg !== 5) return i.reg;
  if (c.cr4 & 8) throw new CpuFault(6);
  return i.reg + 2;
}
export function movFromDr(c: Cpu, i: Insn): void {
  c.regs[i.rm] = c.dr[drIndex(c, i)];
}
export function movToDr(c: Cpu, i: Insn): void {
  const r = drIndex(c, i);
  const v = c.regs[i.rm];
  // Reserved bits read as the SDM (and QEMU) give them: DR6 0xffff0ff0 set, bit 12 clear; DR7 bit 10 set.
  c.dr[r] = r === 6 ? ((v | 0xffff0ff0) & ~0x1000) >>> 0 : r === 7 ? (v | 0x400) >>> 0 : v;
  if (r !== 6) c.updateBreakpoints();
}

// ---------------------------------------------------------------- identification, time, MSRs
/** cpuid: a Pentium-class part with TSC, MSR, CX8, PSE, PAE, PGE, CMOV; no FPU/SSE. */
export function cpuid(c: Cpu): void {
  const r = c.regs, leaf = r[0];
  const put = (a: number, b: number, cc: number, d: number) => { r[0] = a; r[3] = b; r[1] = cc; r[2] = d; };
  const str = (s: string) => [0, 4, 8].map((o) => s.charCodeAt(o) | (s.charCodeAt(o + 1) << 8) | (s.charCodeAt(o + 2) << 16) | (s.charCodeAt(o + 3) << 24));
  if (leaf === 0) {
    const [b, d, cc] = str('XenlabIA32vm');
    put(1, b, cc, d);
  } else if (leaf === 1) {
    // family 6 model 1 stepping 1; EDX: VME=0 DE PSE TSC MSR PAE CX8 PGE CMOV.
    const edx = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 13) | (1 << 15);
    put(0x611, 0, 0, edx);
  } else {
    put(0, 0, 0, 0);
  }
}
export function rdtsc(c: Cpu): void {
  if ((c.cr4 & 4) && c.cpl !== 0) throw gp0();
  const t = c.clock.tsc() + BigInt(Math.floor((c.retired() - c.clock.instructions) * c.clock.tscHz / c.clock.ips));
  c.regs[0] = Number(t & 0xffffffffn);
  c.regs[2] = Number((t >> 32n) & 0xffffffffn);
}
const KNOWN_MSRS = new Set([0x10, 0x1b, 0x174, 0x175, 0x176, 0x277, 0xc0000080]);
export function rdmsr(c: Cpu): void {
  requireCpl0(c);
  const n = c.regs[1];
  if (n === 0x10) { rdtsc(c); return; }
  if (!KNOWN_MSRS.has(n) && !c.msrs.has(n)) throw gp0();
  const v = c.msrs.get(n) ?? 0n;
  c.regs[0] = Number(v & 0xffffffffn);
  c.regs[2] = Number((v >> 32n) & 0xffffffffn);
}
export function wrmsr(c: Cpu): void {
  requireCpl0(c);
  const n = c.regs[1];
  if (!KNOWN_MSRS.has(n) && !c.msrs.has(n)) throw gp0();
  c.msrs.set(n, (BigInt(c.regs[2]) << 32n) | BigInt(c.regs[0]));
}

// ---------------------------------------------------------------- invalid and unimplemented
export function ud(): void { throw new CpuFault(6); }
/** x87 escape: #NM when CR0.EM or CR0.TS, else #UD (no FPU). */
export function fpu(c: Cpu): void {
  if (c.cr0 & 0xc) throw new CpuFault(7);
  throw new CpuFault(6);
}
/** 9B wait/fwait: #NM when CR0.TS and CR0.MP. */
export function fwait(c: Cpu): void { if ((c.cr0 & 0xa) === 0xa) throw new CpuFault(7); }
/** arpl Ew,Gw: raises the RPL of the destination selector. */
export function arpl(c: Cpu, i: Insn): void {
  const dst = i.mod === 3 ? c.regs[i.rm] & 0xffff : c.rd16(i.seg, c.ea(i));
  const src = c.regs[i.reg] & 0xffff;
  if ((dst & 3) < (src & 3)) {
    const v = (dst & ~3) | (src & 3);
    if (i.mod === 3) c.setReg(2, i.rm, v); else c.wr16(i.seg, c.ea(i), v);
    c.setFlagBits(0x40, 0x40);
  } else c.setFlagBits(0x40, 0);
}
/** C4 les, C5 lds, 0F B2 lss, 0F B4 lfs, 0F B5 lgs. */
export function loadFarPointer(c: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(6);
  const seg = i.op === 0xc4 ? 0 : i.op === 0xc5 ? 3 : i.op === 0x1b2 ? 2 : i.op === 0x1b4 ? 4 : 5;
  const a = c.ea(i);
  const off = c.rd(i.size, i.seg, a);
  const sel = c.rd16(i.seg, (a + i.size) >>> 0);
  loadDataSegment(c, seg, sel);
  c.setReg(i.size, i.reg, off);
}
