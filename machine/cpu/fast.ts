// Specialised handlers for the commonest 32-bit instruction forms (what gcc
// emits most): the decoder swaps them in for the generic table handlers.
// Each does exactly what the generic handler does for that form, with the
// operand size, register/memory choice and ALU operation fixed, so the
// JavaScript engine runs a short straight path. The generic handlers remain
// the reference; the differential tests exercise both.
import type { Cpu } from './cpu.js';
import type { Exec, Insn } from './insn.js';
import { CpuFault } from './fault.js';

// Lazy-flag op codes, as in flags.ts (local: imported bindings are getters under tsx).
const F_ADD = 1, F_SUB = 3, F_LOGIC = 5, F_INC = 6, F_DEC = 7;
const S32 = 0x80000000;

function flags(c: Cpu, op: number, a: number, b: number, r: number): void {
  c.fOp = op; c.fA = a; c.fB = b; c.fR = r; c.fSign = S32;
}

// ---------------------------------------------------------------- ALU r32, r32 / r32, m32 / m32, r32
// One specialised function per operation, written out so each has its own
// feedback and inlines its arithmetic.
const addRR: Exec = (c, i) => { const a = c.regs[i.rm], b = c.regs[i.reg], r = (a + b) >>> 0; c.regs[i.rm] = r; flags(c, F_ADD, a, b, r); };
const subRR: Exec = (c, i) => { const a = c.regs[i.rm], b = c.regs[i.reg], r = (a - b) >>> 0; c.regs[i.rm] = r; flags(c, F_SUB, a, b, r); };
const cmpRR: Exec = (c, i) => { const a = c.regs[i.rm], b = c.regs[i.reg]; flags(c, F_SUB, a, b, (a - b) >>> 0); };
const andRR: Exec = (c, i) => { const r = (c.regs[i.rm] & c.regs[i.reg]) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const orRR: Exec = (c, i) => { const r = (c.regs[i.rm] | c.regs[i.reg]) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const xorRR: Exec = (c, i) => { const r = (c.regs[i.rm] ^ c.regs[i.reg]) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const testRR: Exec = (c, i) => { flags(c, F_LOGIC, 0, 0, (c.regs[i.rm] & c.regs[i.reg]) >>> 0); };

// One function per operation and form, written out: closures made by one
// factory share a feedback vector, so a shared `fn(a, b)` call would be
// megamorphic and not inlined (it measured as a tenth of interpreter time).
const addRM: Exec = (c, i) => { const a = c.regs[i.reg], b = c.rd32(i.seg, c.ea(i)), r = (a + b) >>> 0; c.regs[i.reg] = r; flags(c, F_ADD, a, b, r); };
const addMR: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = c.regs[i.reg], r = (a + b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_ADD, a, b, r); };
const addRI: Exec = (c, i) => { const a = c.regs[i.rm], b = i.imm >>> 0, r = (a + b) >>> 0; c.regs[i.rm] = r; flags(c, F_ADD, a, b, r); };
const addMI: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = i.imm >>> 0, r = (a + b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_ADD, a, b, r); };
const addAI: Exec = (c, i) => { const a = c.regs[0], b = i.imm >>> 0, r = (a + b) >>> 0; c.regs[0] = r; flags(c, F_ADD, a, b, r); };
const orRM: Exec = (c, i) => { const a = c.regs[i.reg], b = c.rd32(i.seg, c.ea(i)), r = (a | b) >>> 0; c.regs[i.reg] = r; flags(c, F_LOGIC, 0, 0, r); };
const orMR: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = c.regs[i.reg], r = (a | b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_LOGIC, 0, 0, r); };
const orRI: Exec = (c, i) => { const a = c.regs[i.rm], b = i.imm >>> 0, r = (a | b) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const orMI: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = i.imm >>> 0, r = (a | b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_LOGIC, 0, 0, r); };
const orAI: Exec = (c, i) => { const a = c.regs[0], b = i.imm >>> 0, r = (a | b) >>> 0; c.regs[0] = r; flags(c, F_LOGIC, 0, 0, r); };
const andRM: Exec = (c, i) => { const a = c.regs[i.reg], b = c.rd32(i.seg, c.ea(i)), r = (a & b) >>> 0; c.regs[i.reg] = r; flags(c, F_LOGIC, 0, 0, r); };
const andMR: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = c.regs[i.reg], r = (a & b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_LOGIC, 0, 0, r); };
const andRI: Exec = (c, i) => { const a = c.regs[i.rm], b = i.imm >>> 0, r = (a & b) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const andMI: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = i.imm >>> 0, r = (a & b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_LOGIC, 0, 0, r); };
const andAI: Exec = (c, i) => { const a = c.regs[0], b = i.imm >>> 0, r = (a & b) >>> 0; c.regs[0] = r; flags(c, F_LOGIC, 0, 0, r); };
const subRM: Exec = (c, i) => { const a = c.regs[i.reg], b = c.rd32(i.seg, c.ea(i)), r = (a - b) >>> 0; c.regs[i.reg] = r; flags(c, F_SUB, a, b, r); };
const subMR: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = c.regs[i.reg], r = (a - b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_SUB, a, b, r); };
const subRI: Exec = (c, i) => { const a = c.regs[i.rm], b = i.imm >>> 0, r = (a - b) >>> 0; c.regs[i.rm] = r; flags(c, F_SUB, a, b, r); };
const subMI: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = i.imm >>> 0, r = (a - b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_SUB, a, b, r); };
const subAI: Exec = (c, i) => { const a = c.regs[0], b = i.imm >>> 0, r = (a - b) >>> 0; c.regs[0] = r; flags(c, F_SUB, a, b, r); };
const xorRM: Exec = (c, i) => { const a = c.regs[i.reg], b = c.rd32(i.seg, c.ea(i)), r = (a ^ b) >>> 0; c.regs[i.reg] = r; flags(c, F_LOGIC, 0, 0, r); };
const xorMR: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = c.regs[i.reg], r = (a ^ b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_LOGIC, 0, 0, r); };
const xorRI: Exec = (c, i) => { const a = c.regs[i.rm], b = i.imm >>> 0, r = (a ^ b) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const xorMI: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = i.imm >>> 0, r = (a ^ b) >>> 0; c.wr32(i.seg, ad, r); flags(c, F_LOGIC, 0, 0, r); };
const xorAI: Exec = (c, i) => { const a = c.regs[0], b = i.imm >>> 0, r = (a ^ b) >>> 0; c.regs[0] = r; flags(c, F_LOGIC, 0, 0, r); };
const cmpRM: Exec = (c, i) => { const a = c.regs[i.reg], b = c.rd32(i.seg, c.ea(i)), r = (a - b) >>> 0; flags(c, F_SUB, a, b, r); };
const cmpMR: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = c.regs[i.reg], r = (a - b) >>> 0; flags(c, F_SUB, a, b, r); };
const cmpRI: Exec = (c, i) => { const a = c.regs[i.rm], b = i.imm >>> 0, r = (a - b) >>> 0; flags(c, F_SUB, a, b, r); };
const cmpMI: Exec = (c, i) => { const ad = c.ea(i), a = c.rd32(i.seg, ad), b = i.imm >>> 0, r = (a - b) >>> 0; flags(c, F_SUB, a, b, r); };
const cmpAI: Exec = (c, i) => { const a = c.regs[0], b = i.imm >>> 0, r = (a - b) >>> 0; flags(c, F_SUB, a, b, r); };
const ALU_RM: (Exec | null)[] = [addRM, orRM, null, null, andRM, subRM, xorRM, cmpRM];
const ALU_MR: (Exec | null)[] = [addMR, orMR, null, null, andMR, subMR, xorMR, cmpMR];
const ALU_RI: (Exec | null)[] = [addRI, orRI, null, null, andRI, subRI, xorRI, cmpRI];
const ALU_MI: (Exec | null)[] = [addMI, orMI, null, null, andMI, subMI, xorMI, cmpMI];
const ALU_AI: (Exec | null)[] = [addAI, orAI, null, null, andAI, subAI, xorAI, cmpAI];
const ALU_RR: (Exec | null)[] = [addRR, orRR, null, null, andRR, subRR, xorRR, cmpRR];

// ---------------------------------------------------------------- moves
const movByteMemImm: Exec = (c, i) => { c.wr8(i.seg, c.ea(i), i.imm); };
const cmpByteMemImm: Exec = (c, i) => {
  const a = c.rd8(i.seg, c.ea(i)), b = i.imm & 0xff;
  c.fOp = F_SUB; c.fA = a; c.fB = b; c.fR = (a - b) & 0xff; c.fSign = 0x80;
};
const movRR: Exec = (c, i) => { c.regs[i.rm] = c.regs[i.reg]; };
const movRegMem: Exec = (c, i) => { c.regs[i.reg] = c.rd32(i.seg, c.ea(i)); };
const movMemReg: Exec = (c, i) => { c.wr32(i.seg, c.ea(i), c.regs[i.reg]); };
const movMemImm: Exec = (c, i) => { c.wr32(i.seg, c.ea(i), i.imm); };
const movRegImm: Exec = (c, i) => { c.regs[i.op & 7] = i.imm; };
const lea32: Exec = (c, i) => { c.regs[i.reg] = c.ea(i); };
const movzxByteMem: Exec = (c, i) => { c.regs[i.reg] = c.rd8(i.seg, c.ea(i)); };
const movzxByteReg: Exec = (c, i) => { c.regs[i.reg] = (c.regs[i.rm & 3] >>> ((i.rm & 4) << 1)) & 0xff; };
const pushReg: Exec = (c, i) => { c.push32(c.regs[i.op & 7]); };
const popReg: Exec = (c, i) => { const v = c.pop32(); c.regs[i.op & 7] = v; };
const incReg: Exec = (c, i) => {
  const r = i.op & 7, a = c.regs[r], v = (a + 1) >>> 0;
  c.regs[r] = v;
  const cf = c.cf();
  c.flags = (c.flags & ~1) | cf;
  flags(c, F_INC, a, 1, v);
};
const decReg: Exec = (c, i) => {
  const r = i.op & 7, a = c.regs[r], v = (a - 1) >>> 0;
  c.regs[r] = v;
  const cf = c.cf();
  c.flags = (c.flags & ~1) | cf;
  flags(c, F_DEC, a, 1, v);
};

// ---------------------------------------------------------------- shifts of r32 by a constant
// shl/shr/sar (C1 /4-7 Ib, D1 /4-7) with a count that is not 0 mod 32; flags
// set eagerly (eagerFlags, also for imul) as grp2 does (all six replaced, AF cleared). Parity is folded
// here rather than read from flags.ts's table (an imported binding).
function eagerFlags(c: Cpu, r: number, cf: number, of: number): void {
  let p = r & 0xff; p ^= p >> 4; p ^= p >> 2; p ^= p >> 1;
  c.fOp = 0;
  c.flags = (c.flags & ~0x8d5) | cf | (of << 11) | (r === 0 ? 0x40 : 0) | ((r >>> 31) << 7) | ((~p & 1) << 2) | 2;
}
const shiftCount = (i: Insn): number => (i.op === 0xd1 ? 1 : i.imm & 31);
const shlRI: Exec = (c, i) => {
  const n = shiftCount(i), a = c.regs[i.rm], r = (a << n) >>> 0, cf = (a >>> (32 - n)) & 1;
  c.regs[i.rm] = r; eagerFlags(c, r, cf, (r >>> 31) ^ cf);
};
const shrRI: Exec = (c, i) => {
  const n = shiftCount(i), a = c.regs[i.rm], r = a >>> n;
  c.regs[i.rm] = r; eagerFlags(c, r, (a >>> (n - 1)) & 1, a >>> 31);
};
const sarRI: Exec = (c, i) => {
  const n = shiftCount(i), a = c.regs[i.rm] | 0, r = (a >> n) >>> 0;
  c.regs[i.rm] = r; eagerFlags(c, r, (a >> (n - 1)) & 1, 0);
};
const SHIFT_RI: Exec[] = [shlRI, shrRI, shlRI, sarRI]; // by ModRM.reg - 4: shl, shr, sal, sar

// ---------------------------------------------------------------- imul r32, r/m32 (, imm)
// Flags eagerly as the generic imul: CF = OF = the signed product does not fit
// in 32 bits (a*b as a double is exact up to 2^53 and far from any int32
// beyond), SF/ZF/PF from the low half, AF cleared.
function imul(c: Cpu, a: number, b: number): number {
  const lo = Math.imul(a, b), of = a * b !== lo ? 1 : 0;
  eagerFlags(c, lo >>> 0, of, of);
  return lo >>> 0;
}
const imulRR: Exec = (c, i) => { c.regs[i.reg] = imul(c, c.regs[i.reg] | 0, c.regs[i.rm] | 0); };
const imulRM: Exec = (c, i) => { c.regs[i.reg] = imul(c, c.regs[i.reg] | 0, c.rd32(i.seg, c.ea(i)) | 0); };
const imulRRI: Exec = (c, i) => { c.regs[i.reg] = imul(c, c.regs[i.rm] | 0, i.imm | 0); };
const imulRMI: Exec = (c, i) => { c.regs[i.reg] = imul(c, c.rd32(i.seg, c.ea(i)) | 0, i.imm | 0); };

// ---------------------------------------------------------------- control
// jcc, one function per condition (each with its own feedback), evaluating
// the condition straight from the lazy state where it is cheap and exact:
// ZF and SF from the stored result for every lazy op, CF/BE and the signed
// conditions from the operands after a 32-bit sub/cmp. Otherwise c.cond.
function jumpRel(c: Cpu, i: Insn): void {
  const t = (c.eip + i.imm) >>> 0;
  if (t > c.csLimit) throw gpFault();
  c.eip = t;
}
const zfSet = (c: Cpu): boolean => (c.fOp !== 0 ? c.fR === 0 : (c.flags & 0x40) !== 0);
const sfSet = (c: Cpu): boolean => (c.fOp !== 0 ? (c.fR & c.fSign) !== 0 : (c.flags & 0x80) !== 0);
const jz: Exec = (c, i) => { if (zfSet(c)) jumpRel(c, i); };
const jnz: Exec = (c, i) => { if (!zfSet(c)) jumpRel(c, i); };
const js: Exec = (c, i) => { if (sfSet(c)) jumpRel(c, i); };
const jns: Exec = (c, i) => { if (!sfSet(c)) jumpRel(c, i); };
const jb: Exec = (c, i) => { if (c.fOp === F_SUB ? c.fA < c.fB : c.cond(2)) jumpRel(c, i); };
const jae: Exec = (c, i) => { if (c.fOp === F_SUB ? c.fA >= c.fB : c.cond(3)) jumpRel(c, i); };
const jbe: Exec = (c, i) => { if (c.fOp === F_SUB ? c.fA <= c.fB : c.cond(6)) jumpRel(c, i); };
const ja: Exec = (c, i) => { if (c.fOp === F_SUB ? c.fA > c.fB : c.cond(7)) jumpRel(c, i); };
const subS32 = (c: Cpu): boolean => c.fOp === F_SUB && c.fSign === S32;
const jl: Exec = (c, i) => { if (subS32(c) ? (c.fA | 0) < (c.fB | 0) : c.cond(12)) jumpRel(c, i); };
const jge: Exec = (c, i) => { if (subS32(c) ? (c.fA | 0) >= (c.fB | 0) : c.cond(13)) jumpRel(c, i); };
const jle: Exec = (c, i) => { if (subS32(c) ? (c.fA | 0) <= (c.fB | 0) : c.cond(14)) jumpRel(c, i); };
const jg: Exec = (c, i) => { if (subS32(c) ? (c.fA | 0) > (c.fB | 0) : c.cond(15)) jumpRel(c, i); };
const jccOther: Exec = (c, i) => { if (c.cond(i.op & 15)) jumpRel(c, i); };
const JCC: Exec[] = [jccOther, jccOther, jb, jae, jz, jnz, jbe, ja, js, jns, jccOther, jccOther, jl, jge, jle, jg];
const jmpRel32: Exec = (c, i) => {
  const t = (c.eip + i.imm) >>> 0;
  if (t > c.csLimit) throw gpFault();
  c.eip = t;
};
const callRel32: Exec = (c, i) => {
  const t = (c.eip + i.imm) >>> 0;
  if (t > c.csLimit) throw gpFault();
  c.push32(c.eip);
  c.eip = t;
};
const ret32: Exec = (c) => {
  const t = c.peek(4, 0);
  if (t > c.csLimit) throw gpFault();
  c.regs[4] = c.ssBig ? (c.regs[4] + 4) >>> 0 : (c.regs[4] & 0xffff0000) | ((c.regs[4] + 4) & 0xffff);
  c.eip = t;
};

function gpFault(): CpuFault { return new CpuFault(13, 0); }

/**
 * A faster handler for this instruction if there is one, else its own.
 * Only plain 32-bit forms without lock prefixes qualify.
 */
export function specialize(i: Insn): Exec {
  if (i.o16 || i.a16 || i.lock) return i.exec;
  const op = i.op, reg3 = i.mod === 3;
  if (op < 0x40 && (op & 7) === 1) { // op Ev,Gv
    const k = op >> 3;
    return (reg3 ? ALU_RR[k] : ALU_MR[k]) ?? i.exec;
  }
  if (op < 0x40 && (op & 7) === 3) { // op Gv,Ev
    const k = op >> 3;
    if (reg3) return i.exec;
    return ALU_RM[k] ?? i.exec;
  }
  if (op < 0x40 && (op & 7) === 5) return ALU_AI[op >> 3] ?? i.exec;
  if (op === 0xc6 && i.reg === 0 && !reg3) return movByteMemImm;
  if ((op === 0x80 || op === 0x82) && i.reg === 7 && !reg3) return cmpByteMemImm;
  if (op === 0x81 || op === 0x83) return (reg3 ? ALU_RI[i.reg] : ALU_MI[i.reg]) ?? i.exec;
  if (op === 0x85 && reg3) return testRR;
  if (op === 0x89) return reg3 ? movRR : movMemReg;
  if (op === 0x8b) return reg3 ? i.exec : movRegMem;
  if (op === 0xc7 && i.reg === 0 && !reg3) return movMemImm;
  if (op >= 0xb8 && op <= 0xbf) return movRegImm;
  if (op === 0x8d && !reg3) return lea32;
  if (op === 0x1b6) return reg3 ? movzxByteReg : movzxByteMem;
  if (op === 0x1af) return reg3 ? imulRR : imulRM;
  if (op === 0x69 || op === 0x6b) return reg3 ? imulRRI : imulRMI;
  if ((op === 0xc1 || op === 0xd1) && reg3 && i.reg >= 4 && (op === 0xd1 || (i.imm & 31) !== 0)) return SHIFT_RI[i.reg - 4];
  if (op >= 0x50 && op <= 0x57) return pushReg;
  if (op >= 0x58 && op <= 0x5f) return popReg;
  if (op >= 0x40 && op <= 0x47) return incReg;
  if (op >= 0x48 && op <= 0x4f) return decReg;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) return JCC[op & 15];
  if (op === 0xe9 || op === 0xeb) return jmpRel32;
  if (op === 0xe8) return callRel32;
  if (op === 0xc3) return ret32;
  return i.exec;
}

/** Specialised handlers that are straight-line (for block building). */
export const FAST_STRAIGHT: Exec[] = [
  addRR, subRR, cmpRR, andRR, orRR, xorRR, testRR, movRR, movRegMem, movMemReg, movMemImm, movRegImm, lea32,
  movzxByteMem, movzxByteReg, shlRI, shrRI, sarRI, imulRR, imulRM, imulRRI, imulRMI, pushReg, popReg, incReg, decReg,
  movByteMemImm, cmpByteMemImm,
  ...ALU_RM, ...ALU_MR, ...ALU_RI, ...ALU_MI, ...ALU_AI,
].filter((f): f is Exec => f !== null);
