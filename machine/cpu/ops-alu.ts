// Arithmetic and logic: the eight ALU operations, inc/dec, neg/not, test,
// shifts and rotates, multiply and divide, BCD adjust, bit operations.
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { CpuFault } from './fault.js';
import { PARITY as PARITY_TABLE } from './flags.js';

// Local copies of the lazy-flag op codes in flags.ts: bindings imported from
// another module become getter calls under the tsx/vitest transforms, which
// costs a call per instruction on the hot path.
const F_ADD = 1, F_ADC = 2, F_SUB = 3, F_SBB = 4, F_LOGIC = 5, F_INC = 6, F_DEC = 7;
const PARITY = PARITY_TABLE;

export const MASK = [0, 0xff, 0xffff, 0, 0xffffffff];
export const SIGN = [0, 0x80, 0x8000, 0, 0x80000000];
const WIDTH = [0, 8, 16, 0, 32];

export function trunc(v: number, size: number): number {
  return size === 4 ? v >>> 0 : v & MASK[size];
}
function sext(v: number, size: number): number {
  return size === 4 ? v | 0 : size === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
}

/** ALU operation `op` (add or adc sbb and sub xor cmp) on masked operands; flags not touched. */
function aluResult(c: Cpu, op: number, a: number, b: number, size: number): number {
  switch (op) {
    case 0: return trunc(a + b, size);
    case 1: return trunc(a | b, size);
    case 2: return trunc(a + b + c.cf(), size);
    case 3: return trunc(a - b - c.cf(), size);
    case 4: return trunc(a & b, size);
    case 6: return trunc(a ^ b, size);
    default: return trunc(a - b, size);
  }
}

function aluFlags(c: Cpu, op: number, a: number, b: number, r: number, size: number, cin: number): void {
  const s = SIGN[size];
  switch (op) {
    case 0: c.setLazy(F_ADD, a, b, r, s); break;
    case 2: c.fCin = cin; c.setLazy(F_ADC, a, b, r, s); break;
    case 3: c.fCin = cin; c.setLazy(F_SBB, a, b, r, s); break;
    case 5: case 7: c.setLazy(F_SUB, a, b, r, s); break;
    default: c.setLazy(F_LOGIC, 0, 0, r, s); break;
  }
}

/** E op= b, with the write (if any) before the flag update so faults restart cleanly. */
function aluToE(c: Cpu, i: Insn, op: number, b: number): void {
  const size = i.size;
  const cin = op === 2 || op === 3 ? c.cf() : 0;
  if (i.mod === 3) {
    const a = c.getReg(size, i.rm);
    const r = aluResult(c, op, a, b, size);
    if (op !== 7) c.setReg(size, i.rm, r);
    aluFlags(c, op, a, b, r, size, cin);
  } else {
    const addr = c.ea(i);
    const a = c.rd(size, i.seg, addr);
    const r = aluResult(c, op, a, b, size);
    if (op !== 7) c.wr(size, i.seg, addr, r);
    aluFlags(c, op, a, b, r, size, cin);
  }
}

/** 00-3F, forms Eb,Gb / Ev,Gv. */
export function aluEG(c: Cpu, i: Insn): void { aluToE(c, i, (i.op >> 3) & 7, c.getReg(i.size, i.reg)); }

/** Gb,Eb / Gv,Ev. */
export function aluGE(c: Cpu, i: Insn): void {
  const op = (i.op >> 3) & 7, size = i.size;
  const b = c.readE(i);
  const a = c.getReg(size, i.reg);
  const cin = op === 2 || op === 3 ? c.cf() : 0;
  const r = aluResult(c, op, a, b, size);
  if (op !== 7) c.setReg(size, i.reg, r);
  aluFlags(c, op, a, b, r, size, cin);
}

/** AL,Ib / eAX,Iv. */
export function aluAI(c: Cpu, i: Insn): void {
  const op = (i.op >> 3) & 7, size = i.size;
  const a = c.getReg(size, 0);
  const b = trunc(i.imm, size);
  const cin = op === 2 || op === 3 ? c.cf() : 0;
  const r = aluResult(c, op, a, b, size);
  if (op !== 7) c.setReg(size, 0, r);
  aluFlags(c, op, a, b, r, size, cin);
}

/** 80/81/83 group 1: Eb,Ib / Ev,Iv / Ev,Ibs. */
export function grp1(c: Cpu, i: Insn): void { aluToE(c, i, i.reg, trunc(i.imm, i.size)); }

function testFlags(c: Cpu, r: number, size: number): void { c.setLazy(F_LOGIC, 0, 0, r, SIGN[size]); }
export function testEG(c: Cpu, i: Insn): void { testFlags(c, trunc(c.readE(i) & c.getReg(i.size, i.reg), i.size), i.size); }
export function testAI(c: Cpu, i: Insn): void { testFlags(c, trunc(c.getReg(i.size, 0) & i.imm, i.size), i.size); }
export function testEI(c: Cpu, i: Insn): void { testFlags(c, trunc(c.readE(i) & i.imm, i.size), i.size); }

function incDecFlags(c: Cpu, dec: boolean, a: number, r: number, size: number): void {
  const cf = c.cf();
  c.flags = (c.flags & ~1) | cf;
  c.setLazy(dec ? F_DEC : F_INC, a, 1, r, SIGN[size]);
}
/** 40-4F inc/dec r16/r32. */
export function incDecReg(c: Cpu, i: Insn): void {
  const r = i.op & 7, dec = (i.op & 8) !== 0, size = i.size;
  const a = c.getReg(size, r);
  const v = trunc(dec ? a - 1 : a + 1, size);
  c.setReg(size, r, v);
  incDecFlags(c, dec, a, v, size);
}
/** FE/FF /0 /1. */
export function incDecE(c: Cpu, i: Insn): void {
  const dec = i.reg === 1, size = i.size;
  if (i.mod === 3) {
    const a = c.getReg(size, i.rm);
    const v = trunc(dec ? a - 1 : a + 1, size);
    c.setReg(size, i.rm, v);
    incDecFlags(c, dec, a, v, size);
  } else {
    const addr = c.ea(i);
    const a = c.rd(size, i.seg, addr);
    const v = trunc(dec ? a - 1 : a + 1, size);
    c.wr(size, i.seg, addr, v);
    incDecFlags(c, dec, a, v, size);
  }
}

/** not (neg false) or neg of E in place; returns the old value. */
function notNeg(c: Cpu, i: Insn, neg: boolean): number {
  const size = i.size;
  if (i.mod === 3) {
    const a = c.getReg(size, i.rm);
    c.setReg(size, i.rm, trunc(neg ? -a : ~a, size));
    return a;
  }
  const addr = c.ea(i);
  const a = c.rd(size, i.seg, addr);
  c.wr(size, i.seg, addr, trunc(neg ? -a : ~a, size));
  return a;
}

export function notE(c: Cpu, i: Insn): void { notNeg(c, i, false); }
export function negE(c: Cpu, i: Insn): void {
  const size = i.size;
  const a = notNeg(c, i, true);
  c.setLazy(F_SUB, 0, a, trunc(-a, size), SIGN[size]);
}

/** SF, ZF, PF of a result as EFLAGS bits. */
function szp(r: number, size: number): number {
  return (r === 0 ? 0x40 : 0) | ((r & SIGN[size]) !== 0 ? 0x80 : 0) | PARITY[r & 0xff];
}

// ---------------------------------------------------------------- shifts and rotates
/** Group 2 (C0/C1 Ib, D0/D1 by 1, D2/D3 by CL): rol ror rcl rcr shl shr sal sar. */
export function grp2(c: Cpu, i: Insn): void {
  const count = (i.op === 0xd0 || i.op === 0xd1 ? 1 : i.op === 0xd2 || i.op === 0xd3 ? c.regs[1] : i.imm) & 0x1f;
  if (count === 0) {
    // Still a memory access (it may fault) but no flag or value change.
    if (i.mod !== 3) c.rd(i.size, i.seg, c.ea(i));
    return;
  }
  const size = i.size, kind = i.reg;
  const cfIn = kind === 2 || kind === 3 ? c.cf() : 0;
  let r: number;
  if (i.mod === 3) {
    r = shiftCompute(kind, c.getReg(size, i.rm), count, size, cfIn);
    c.setReg(size, i.rm, r);
  } else {
    const addr = c.ea(i);
    r = shiftCompute(kind, c.rd(size, i.seg, addr), count, size, cfIn);
    c.wr(size, i.seg, addr, r);
  }
  if (kind >= 4) c.setFlagBits(0x8d5, shCf | (shOf ? 0x800 : 0) | szp(r, size));
  else c.setFlagBits(0x801, shCf | (shOf ? 0x800 : 0));
}

// Flag outputs of shiftCompute (module state instead of a closure per call).
let shCf = 0, shOf = 0;

function shiftCompute(kind: number, a: number, count: number, size: number, cfIn: number): number {
    const w = WIDTH[size], sign = SIGN[size];
    let cfNew = 0, of = 0;
    let r: number;
    switch (kind) {
      case 0: { // rol
        const n = count % w;
        r = n === 0 ? a : trunc((a << n) | (a >>> (w - n)), size);
        cfNew = r & 1;
        of = ((r & sign) !== 0 ? 1 : 0) ^ cfNew;
        break;
      }
      case 1: { // ror
        const n = count % w;
        r = n === 0 ? a : trunc((a >>> n) | (a << (w - n)), size);
        cfNew = (r & sign) !== 0 ? 1 : 0;
        of = cfNew ^ ((r >>> (w - 2)) & 1);
        break;
      }
      case 2: { // rcl
        const n = count % (w + 1);
        r = a; let cf = cfIn;
        for (let k = 0; k < n; k++) {
          const out = (r & sign) !== 0 ? 1 : 0;
          r = trunc((r << 1) | cf, size);
          cf = out;
        }
        cfNew = cf;
        of = ((r & sign) !== 0 ? 1 : 0) ^ cfNew;
        break;
      }
      case 3: { // rcr
        const n = count % (w + 1);
        r = a; let cf = cfIn;
        for (let k = 0; k < n; k++) {
          const out = r & 1;
          r = trunc((r >>> 1) | (cf ? sign : 0), size);
          cf = out;
        }
        cfNew = cf;
        of = ((r >>> (w - 1)) & 1) ^ ((r >>> (w - 2)) & 1);
        break;
      }
      case 4: case 6: // shl/sal
        r = count < 32 ? trunc(a << count, size) : 0;
        cfNew = size === 4 ? (a >>> (32 - count)) & 1 : (count <= w ? (a >>> (w - count)) & 1 : 0);
        of = ((r & sign) !== 0 ? 1 : 0) ^ cfNew;
        break;
      case 5: // shr
        r = trunc(a >>> count, size);
        cfNew = (a >>> (count - 1)) & 1;
        of = (a & sign) !== 0 ? 1 : 0;
        break;
      default: { // sar
        const sa = sext(a, size);
        r = trunc(sa >> count, size);
        cfNew = (sa >> (count - 1)) & 1;
        of = 0;
        break;
      }
    }
    shCf = cfNew; shOf = of;
    return r;
}

/** shld/shrd (0F A4/A5/AC/AD). */
export function shiftDouble(c: Cpu, i: Insn): void {
  const left = i.op === 0x1a4 || i.op === 0x1a5;
  const count = ((i.op & 1) ? c.regs[1] : i.imm) & 0x1f;
  const size = i.size, w = WIDTH[size], sign = SIGN[size];
  if (count === 0) { if (i.mod !== 3) c.rd(size, i.seg, c.ea(i)); return; }
  const src = c.getReg(size, i.reg);
  let a: number, r: number;
  if (i.mod === 3) { a = c.getReg(size, i.rm); r = shiftDoubleCompute(left, a, src, count, size, w); c.setReg(size, i.rm, r); }
  else { const addr = c.ea(i); a = c.rd(size, i.seg, addr); r = shiftDoubleCompute(left, a, src, count, size, w); c.wr(size, i.seg, addr, r); }
  const of = ((a ^ r) & sign) !== 0 ? 0x800 : 0;
  c.setFlagBits(0x8d5, sdCf | of | szp(r, size));
}

let sdCf = 0;
function shiftDoubleCompute(left: boolean, a: number, src: number, count: number, size: number, w: number): number {
  if (size === 2 && count > 16) {
    // Undefined on hardware; shift the 48-bit a:src:a pattern.
    const wide = (BigInt(a) << 32n) | (BigInt(src) << 16n) | BigInt(a);
    if (left) { sdCf = Number((wide >> BigInt(48 - count)) & 1n); return Number((wide >> BigInt(32 - count)) & 0xffffn); }
    const w2 = (BigInt(a) << 32n) | (BigInt(a) << 16n) | BigInt(src);
    sdCf = Number((w2 >> BigInt(16 + count - 1)) & 1n);
    return Number((w2 >> BigInt(16 + count)) & 0xffffn);
  }
  if (left) {
    sdCf = (a >>> (w - count)) & 1;
    return trunc((a << count) | (src >>> (w - count)), size);
  }
  sdCf = (a >>> (count - 1)) & 1;
  return trunc((a >>> count) | (src << (w - count)), size);
}

// ---------------------------------------------------------------- multiply and divide
/** High half of the last mul32 (a module variable, so no array is allocated per multiply). */
let mulHi = 0;
/** Unsigned 32x32 -> 64 product: returns the low half; the high half is left in mulHi. */
export function mul32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  const hi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
  mulHi = hi;
  return (((mid & 0xffff) << 16) | (ll & 0xffff)) >>> 0;
}

function mulFlags(c: Cpu, overflow: boolean, lo: number, size: number): void {
  c.setFlagBits(0x8d5, (overflow ? 0x801 : 0) | szp(lo, size));
}

/** F6/F7 /4 mul, /5 imul (one operand). */
export function mulE(c: Cpu, i: Insn): void {
  const size = i.size, signed = i.reg === 5;
  const b = c.readE(i);
  const r = c.regs;
  if (size === 1) {
    const a = r[0] & 0xff;
    const p = signed ? sext(a, 1) * sext(b, 1) : a * b;
    c.setReg(2, 0, p);
    mulFlags(c, signed ? p !== sext(p & 0xff, 1) : (p & 0xff00) !== 0, p & 0xff, 1);
  } else if (size === 2) {
    const a = r[0] & 0xffff;
    const p = signed ? sext(a, 2) * sext(b, 2) : a * b;
    c.setReg(2, 0, p);
    c.setReg(2, 2, p >>> 16);
    mulFlags(c, signed ? p !== sext(p & 0xffff, 2) : (p & 0xffff0000) !== 0, p & 0xffff, 2);
  } else {
    const a = r[0];
    const lo = mul32(a, b), uhi = mulHi;
    let hi = uhi;
    if (signed) hi = (uhi - ((a | 0) < 0 ? b : 0) - ((b | 0) < 0 ? a : 0)) >>> 0;
    r[0] = lo; r[2] = hi;
    mulFlags(c, signed ? hi !== ((lo | 0) >> 31 >>> 0) : hi !== 0, lo, 4);
  }
}

function imulTrunc(c: Cpu, a: number, b: number, size: number): number {
  if (size === 4) {
    const lo = Math.imul(a, b) >>> 0;
    mul32(a >>> 0, b >>> 0);
    const uhi = mulHi;
    const hi = (uhi - ((a | 0) < 0 ? b >>> 0 : 0) - ((b | 0) < 0 ? a >>> 0 : 0)) >>> 0;
    mulFlags(c, hi !== ((lo | 0) >> 31 >>> 0), lo, 4);
    return lo;
  }
  const p = sext(a, 2) * sext(b, 2);
  const lo = p & 0xffff;
  mulFlags(c, p !== sext(lo, 2), lo, 2);
  return lo;
}
/** 0F AF imul Gv,Ev. */
export function imulGE(c: Cpu, i: Insn): void {
  const b = c.readE(i);
  c.setReg(i.size, i.reg, imulTrunc(c, c.getReg(i.size, i.reg), b, i.size));
}
/** 69/6B imul Gv,Ev,imm. */
export function imulGEI(c: Cpu, i: Insn): void {
  const b = c.readE(i);
  c.setReg(i.size, i.reg, imulTrunc(c, b, trunc(i.imm, i.size), i.size));
}

/** F6/F7 /6 div, /7 idiv. #DE on divide by zero or quotient overflow. */
export function divE(c: Cpu, i: Insn): void {
  const size = i.size, signed = i.reg === 7;
  const d = c.readE(i);
  if (d === 0) throw new CpuFault(0);
  const r = c.regs;
  if (size === 1) {
    const n = r[0] & 0xffff;
    let q: number, m: number;
    if (signed) {
      const sn = sext(n, 2), sd = sext(d, 1);
      q = Math.trunc(sn / sd); m = sn - q * sd;
      if (q > 127 || q < -128) throw new CpuFault(0);
    } else {
      q = Math.floor(n / d); m = n % d;
      if (q > 0xff) throw new CpuFault(0);
    }
    c.setReg(2, 0, (q & 0xff) | ((m & 0xff) << 8));
  } else if (size === 2) {
    const n = ((r[2] & 0xffff) << 16 | (r[0] & 0xffff)) >>> 0;
    let q: number, m: number;
    if (signed) {
      const sn = n | 0, sd = sext(d, 2);
      q = Math.trunc(sn / sd); m = sn - q * sd;
      if (q > 32767 || q < -32768) throw new CpuFault(0);
    } else {
      q = Math.floor(n / d); m = n % d;
      if (q > 0xffff) throw new CpuFault(0);
    }
    c.setReg(2, 0, q); c.setReg(2, 2, m);
  } else if (!signed) {
    const hi = r[2], lo = r[0];
    if (hi === 0) { r[0] = Math.floor(lo / d); r[2] = lo % d; return; }
    if (hi >= d) throw new CpuFault(0);
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    const bd = BigInt(d);
    r[0] = Number(n / bd); r[2] = Number(n % bd);
  } else {
    const hi = r[2] | 0, lo = r[0], sd = d | 0;
    if ((hi === 0 && lo < 0x80000000) || (hi === -1 && lo >= 0x80000000)) {
      const sn = lo | 0;
      const q = Math.trunc(sn / sd);
      if (q > 0x7fffffff) throw new CpuFault(0); // -2^31 / -1
      r[0] = q; r[2] = sn - q * sd;
      return;
    }
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    const bd = BigInt(sd);
    const q = n / bd;
    if (q > 0x7fffffffn || q < -0x80000000n) throw new CpuFault(0);
    r[0] = Number(BigInt.asUintN(32, q)); r[2] = Number(BigInt.asUintN(32, n % bd));
  }
}

// ---------------------------------------------------------------- BCD
export function daa(c: Cpu): void {
  const oldAl = c.regs[0] & 0xff, oldCf = c.cf();
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0x0f) > 9 || c.af()) { al += 6; af = 1; cf = oldCf | (al > 0xff ? 1 : 0); al &= 0xff; }
  if (oldAl > 0x99 || oldCf) { al = (al + 0x60) & 0xff; cf = 1; }
  c.setReg(1, 0, al);
  c.setFlagBits(0x8d5, cf | (af ? 0x10 : 0) | szp(al, 1));
}
export function das(c: Cpu): void {
  const oldAl = c.regs[0] & 0xff, oldCf = c.cf();
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0x0f) > 9 || c.af()) { cf = oldCf | (al < 6 ? 1 : 0); al = (al - 6) & 0xff; af = 1; }
  if (oldAl > 0x99 || oldCf) { al = (al - 0x60) & 0xff; cf = 1; }
  c.setReg(1, 0, al);
  c.setFlagBits(0x8d5, cf | (af ? 0x10 : 0) | szp(al, 1));
}
export function aaa(c: Cpu): void {
  let ax = c.regs[0] & 0xffff;
  let f = 0;
  if ((ax & 0x0f) > 9 || c.af()) { ax = (ax + 0x106) & 0xffff; f = 0x11; }
  c.setReg(2, 0, ax & 0xff0f);
  c.setFlagBits(0x8d5, f | szp(ax & 0x0f, 1));
}
export function aas(c: Cpu): void {
  let ax = c.regs[0] & 0xffff;
  let f = 0;
  if ((ax & 0x0f) > 9 || c.af()) { ax = (ax - 6) & 0xffff; ax = (ax - 0x100) & 0xffff; f = 0x11; }
  c.setReg(2, 0, ax & 0xff0f);
  c.setFlagBits(0x8d5, f | szp(ax & 0x0f, 1));
}
export function aam(c: Cpu, i: Insn): void {
  const base = i.imm & 0xff;
  if (base === 0) throw new CpuFault(0);
  const al = c.regs[0] & 0xff;
  const r = al % base;
  c.setReg(2, 0, (Math.floor(al / base) << 8) | r);
  c.setFlagBits(0x8d5, szp(r, 1));
}
export function aad(c: Cpu, i: Insn): void {
  const ax = c.regs[0];
  const r = (((ax >>> 8) & 0xff) * (i.imm & 0xff) + (ax & 0xff)) & 0xff;
  c.setReg(2, 0, r);
  c.setFlagBits(0x8d5, szp(r, 1));
}

// ---------------------------------------------------------------- bit operations
/** bt/bts/btr/btc: 0F A3/AB/B3/BB (register offset) and 0F BA /4-7 (immediate). */
export function bitOp(c: Cpu, i: Insn): void {
  const size = i.size, w = WIDTH[size];
  const kind = i.op === 0x1ba ? i.reg - 4 : i.op === 0x1a3 ? 0 : i.op === 0x1ab ? 1 : i.op === 0x1b3 ? 2 : 3;
  let off: number;
  let bit: number;
  if (i.op === 0x1ba) { off = 0; bit = i.imm & (w - 1); }
  else {
    const src = c.getReg(size, i.reg);
    bit = src & (w - 1);
    off = i.mod === 3 ? 0 : (sext(src, size) >> (size === 4 ? 5 : 4)) * size;
  }
  const mask = size === 4 ? (1 << bit) >>> 0 : 1 << bit;
  let a: number;
  if (i.mod === 3) {
    a = c.getReg(size, i.rm);
    if (kind) c.setReg(size, i.rm, bitApply(kind, a, mask, size));
  } else {
    const addr = (c.ea(i) + off) >>> 0;
    const ad = i.a16 ? addr & 0xffff : addr;
    a = c.rd(size, i.seg, ad);
    if (kind) c.wr(size, i.seg, ad, bitApply(kind, a, mask, size));
  }
  c.setFlagBits(1, (a >>> bit) & 1);
}

function bitApply(kind: number, a: number, mask: number, size: number): number {
  return kind === 1 ? trunc(a | mask, size) : kind === 2 ? trunc(a & ~mask, size) : trunc(a ^ mask, size);
}

/** bsf/bsr (0F BC/BD). */
export function bitScan(c: Cpu, i: Insn): void {
  const v = c.readE(i);
  if (v === 0) { c.setFlagBits(0x40, 0x40); return; }
  const idx = i.op === 0x1bc ? 31 - Math.clz32(v & -v) : 31 - Math.clz32(v);
  c.setReg(i.size, i.reg, idx);
  c.setFlagBits(0x40, 0);
}
