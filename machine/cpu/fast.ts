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
type Alu = (a: number, b: number) => number;
const ALU_FN: (Alu | null)[] = [
  (a, b) => (a + b) >>> 0, (a, b) => (a | b) >>> 0, null, null,
  (a, b) => (a & b) >>> 0, (a, b) => (a - b) >>> 0, (a, b) => (a ^ b) >>> 0, (a, b) => (a - b) >>> 0,
];
const ALU_FLAG = [F_ADD, F_LOGIC, 0, 0, F_LOGIC, F_SUB, F_LOGIC, F_SUB];

// One specialised function per operation, written out so each has its own
// feedback and inlines its arithmetic.
const addRR: Exec = (c, i) => { const a = c.regs[i.rm], b = c.regs[i.reg], r = (a + b) >>> 0; c.regs[i.rm] = r; flags(c, F_ADD, a, b, r); };
const subRR: Exec = (c, i) => { const a = c.regs[i.rm], b = c.regs[i.reg], r = (a - b) >>> 0; c.regs[i.rm] = r; flags(c, F_SUB, a, b, r); };
const cmpRR: Exec = (c, i) => { const a = c.regs[i.rm], b = c.regs[i.reg]; flags(c, F_SUB, a, b, (a - b) >>> 0); };
const andRR: Exec = (c, i) => { const r = (c.regs[i.rm] & c.regs[i.reg]) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const orRR: Exec = (c, i) => { const r = (c.regs[i.rm] | c.regs[i.reg]) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const xorRR: Exec = (c, i) => { const r = (c.regs[i.rm] ^ c.regs[i.reg]) >>> 0; c.regs[i.rm] = r; flags(c, F_LOGIC, 0, 0, r); };
const testRR: Exec = (c, i) => { flags(c, F_LOGIC, 0, 0, (c.regs[i.rm] & c.regs[i.reg]) >>> 0); };

function aluRegMem(op: number): Exec {
  const fn = ALU_FN[op]!, fl = ALU_FLAG[op];
  // G = G op [mem]
  return (c, i) => {
    const a = c.regs[i.reg], b = c.rd32(i.seg, c.ea(i)), r = fn(a, b);
    if (op !== 7) c.regs[i.reg] = r;
    if (fl === F_LOGIC) flags(c, fl, 0, 0, r); else flags(c, fl, a, b, r);
  };
}
function aluMemReg(op: number): Exec {
  const fn = ALU_FN[op]!, fl = ALU_FLAG[op];
  // [mem] = [mem] op G
  return (c, i) => {
    const addr = c.ea(i), a = c.rd32(i.seg, addr), b = c.regs[i.reg], r = fn(a, b);
    if (op !== 7) c.wr32(i.seg, addr, r);
    if (fl === F_LOGIC) flags(c, fl, 0, 0, r); else flags(c, fl, a, b, r);
  };
}
function aluRegImm(op: number): Exec {
  const fn = ALU_FN[op]!, fl = ALU_FLAG[op];
  return (c, i) => {
    const a = c.regs[i.rm], b = i.imm >>> 0, r = fn(a, b);
    if (op !== 7) c.regs[i.rm] = r;
    if (fl === F_LOGIC) flags(c, fl, 0, 0, r); else flags(c, fl, a, b, r);
  };
}
function aluMemImm(op: number): Exec {
  const fn = ALU_FN[op]!, fl = ALU_FLAG[op];
  return (c, i) => {
    const addr = c.ea(i), a = c.rd32(i.seg, addr), b = i.imm >>> 0, r = fn(a, b);
    if (op !== 7) c.wr32(i.seg, addr, r);
    if (fl === F_LOGIC) flags(c, fl, 0, 0, r); else flags(c, fl, a, b, r);
  };
}
function aluAccImm(op: number): Exec {
  const fn = ALU_FN[op]!, fl = ALU_FLAG[op];
  return (c, i) => {
    const a = c.regs[0], b = i.imm >>> 0, r = fn(a, b);
    if (op !== 7) c.regs[0] = r;
    if (fl === F_LOGIC) flags(c, fl, 0, 0, r); else flags(c, fl, a, b, r);
  };
}
const ALU_AI = ALU_FN.map((f, op) => (f ? aluAccImm(op) : null));
const ALU_RM = ALU_FN.map((f, op) => (f ? aluRegMem(op) : null));
const ALU_MR = ALU_FN.map((f, op) => (f ? aluMemReg(op) : null));
const ALU_RI = ALU_FN.map((f, op) => (f ? aluRegImm(op) : null));
const ALU_MI = ALU_FN.map((f, op) => (f ? aluMemImm(op) : null));
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

// ---------------------------------------------------------------- control
/** jcc with the condition evaluated straight from the lazy state when it is a sub/cmp or logic result. */
const jccFast: Exec = (c, i) => {
  let taken: boolean;
  const cc = i.op & 15;
  if (c.fOp === F_SUB && (cc === 4 || cc === 5)) taken = (c.fR === 0) !== (cc === 5);
  else if (c.fOp === F_SUB && (cc === 2 || cc === 3)) taken = (c.fA < c.fB) !== (cc === 3);
  else if (c.fOp === F_SUB && (cc === 6 || cc === 7)) taken = (c.fA <= c.fB) !== (cc === 7);
  else if (c.fOp === F_SUB && cc >= 12 && c.fSign === S32) {
    const a = c.fA | 0, b = c.fB | 0;
    taken = cc === 12 ? a < b : cc === 13 ? a >= b : cc === 14 ? a <= b : a > b;
  } else taken = c.cond(cc);
  if (taken) {
    const t = (c.eip + i.imm) >>> 0;
    if (t > c.csLimit) throw gpFault();
    c.eip = t;
  }
};
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
  if (op === 0x1b6 && !reg3) return movzxByteMem;
  if (op >= 0x50 && op <= 0x57) return pushReg;
  if (op >= 0x58 && op <= 0x5f) return popReg;
  if (op >= 0x40 && op <= 0x47) return incReg;
  if (op >= 0x48 && op <= 0x4f) return decReg;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) return jccFast;
  if (op === 0xe9 || op === 0xeb) return jmpRel32;
  if (op === 0xe8) return callRel32;
  if (op === 0xc3) return ret32;
  return i.exec;
}

/** Specialised handlers that are straight-line (for block building). */
export const FAST_STRAIGHT: Exec[] = [
  addRR, subRR, cmpRR, andRR, orRR, xorRR, testRR, movRR, movRegMem, movMemReg, movMemImm, movRegImm, lea32,
  movzxByteMem, pushReg, popReg, incReg, decReg,
  movByteMemImm, cmpByteMemImm,
  ...ALU_RM, ...ALU_MR, ...ALU_RI, ...ALU_MI, ...ALU_AI,
].filter((f): f is Exec => f !== null);
