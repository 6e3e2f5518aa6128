// The instruction decoder: prefixes, opcode, ModRM/SIB/displacement and
// immediates, driven by the operand specs in table.ts. Produces an Insn that
// the CPU caches per physical address.
import type { Cpu } from './cpu.js';
import { Insn, type OpDesc } from './insn.js';
import { CpuFault } from './fault.js';
import { TABLE, type Group } from './table.js';
import { ud } from './ops-ctl.js';
import { specialize } from './fast.js';

/** What the decoder needs from an operand spec, computed once per OpDesc. */
export interface OpForm {
  modrm: boolean;
  /** Register-only ModRM (mov CR/DR): mod bits ignored, no memory operand. */
  regOnly: boolean;
  memOnly: boolean;
  /** Immediate kinds in order (see IMM_*). */
  imms: number[];
  /** 1, 2 or 4 for a fixed size; 0 for the operand-size attribute. */
  size: number;
}

export const IMM_B = 1, IMM_BS = 2, IMM_W = 3, IMM_V = 4, IMM_JB = 5, IMM_JV = 6, IMM_AP = 7, IMM_O = 8;

const forms = new WeakMap<OpDesc, OpForm>();

/** Decoder switches for tests: `specialize` false keeps the generic table handlers. */
export const decodeOptions = { specialize: true };

export function formOf(desc: OpDesc): OpForm {
  let f = forms.get(desc);
  if (f) return f;
  const toks = desc.ops ? desc.ops.split(',') : [];
  const imms: number[] = [];
  let modrm = false, regOnly = false, memOnly = false;
  let size = -1;
  for (const t of toks) {
    if (LITERALS.has(t)) {
      if (size < 0 && (t === 'AL' || t === 'eAX')) size = t === 'AL' ? 1 : 0;
      continue;
    }
    const k = t[0];
    if (k === 'E' || k === 'G' || k === 'M' || k === 'S' || k === 'C' || k === 'D' || k === 'R') modrm = true;
    if (k === 'R' || k === 'C' || k === 'D') regOnly = true;
    if (k === 'M') memOnly = true;
    if (t === 'Ib') imms.push(IMM_B);
    else if (t === 'Ibs') imms.push(IMM_BS);
    else if (t === 'Iw') imms.push(IMM_W);
    else if (t === 'Iv') imms.push(IMM_V);
    else if (t === 'Jb') imms.push(IMM_JB);
    else if (t === 'Jv') imms.push(IMM_JV);
    else if (t === 'Ap') imms.push(IMM_AP);
    else if (k === 'O') imms.push(IMM_O);
    if (size < 0) {
      if ('EGZOR'.includes(k) || t === 'b' || t === 'v') {
        const s = t === 'b' || t === 'v' ? t : t[1];
        size = s === 'b' ? 1 : s === 'w' ? 2 : s === 'd' ? 4 : 0;
      } else if (t === 'AL') size = 1;
      else if (t === 'eAX' || k === 'M') size = t === 'Mq' ? 4 : 0;
    }
  }
  if (C_REG_SIZE.has(desc.ops)) size = 4;
  f = { modrm, regOnly, memOnly, imms, size: size < 0 ? 0 : size };
  forms.set(desc, f);
  return f;
}
const LITERALS = new Set(['AL', 'CL', 'DX', 'eAX', 'ES', 'CS', 'SS', 'DS', 'FS', 'GS', '1']);
const C_REG_SIZE = new Set(['Rd,Cd', 'Cd,Rd', 'Rd,Dd', 'Dd,Rd']);

const UD_DESC: OpDesc = { name: '(bad)', ops: '', exec: ud };

/** Lockable opcodes (memory destination required). */
function lockable(op: number, reg: number): boolean {
  if (op < 0x40) return (op & 7) < 2 && (op >> 3) !== 7;
  if (op >= 0x80 && op <= 0x83) return reg !== 7;
  if (op === 0x86 || op === 0x87) return true;
  if (op === 0xf6 || op === 0xf7) return reg === 2 || reg === 3;
  if (op === 0xfe || op === 0xff) return reg < 2;
  if (op === 0x1ab || op === 0x1b3 || op === 0x1bb) return true;
  if (op === 0x1ba) return reg >= 5;
  if (op === 0x1b0 || op === 0x1b1 || op === 0x1c0 || op === 0x1c1) return true;
  if (op === 0x1c7) return reg === 1;
  return false;
}

/** Byte source for decoding: the CPU (faulting fetches) or a plain buffer (disassembler). */
export interface ByteSource { byte(off: number): number; big: boolean }

export function decode(c: Cpu, eip: number): Insn {
  return decodeFrom({ byte: (o) => c.fetchByte(o), big: c.csBig }, eip);
}

export function decodeFrom(src: ByteSource, start: number): Insn {
  let p = start;
  let o16 = false, a16 = false, segOv = -1, rep = 0, lock = false;
  let b = 0;
  const next = (): number => {
    if (p - start >= 15) throw new CpuFault(13, 0);
    return src.byte(p++);
  };
  for (;;) {
    b = next();
    if (b === 0x66) o16 = true;
    else if (b === 0x67) a16 = true;
    else if (b === 0x26) segOv = 0;
    else if (b === 0x2e) segOv = 1;
    else if (b === 0x36) segOv = 2;
    else if (b === 0x3e) segOv = 3;
    else if (b === 0x64) segOv = 4;
    else if (b === 0x65) segOv = 5;
    else if (b === 0xf0) lock = true;
    else if (b === 0xf2) rep = 2;
    else if (b === 0xf3) rep = 1;
    else break;
  }
  if (!src.big) { o16 = !o16; a16 = !a16; }
  let op = b;
  if (b === 0x0f) op = 0x100 | next();
  const entry = TABLE[op];
  let desc: OpDesc | null = null;
  let modrmByte = -1;
  if (entry && 'group' in entry) {
    modrmByte = next();
    const g = entry as Group;
    const reg = (modrmByte >> 3) & 7;
    desc = (modrmByte >> 6) === 3 && g.regGroup ? g.regGroup[reg] : g.group[reg];
  } else {
    desc = entry as OpDesc | null;
  }
  if (!desc) desc = UD_DESC;
  const form = formOf(desc);
  const i = new Insn(desc.exec, desc);
  i.op = op;
  i.o16 = o16;
  i.a16 = a16;
  i.segOv = segOv;
  i.rep = rep;
  i.lock = lock;
  i.size = form.size || (o16 ? 2 : 4);
  i.seg = segOv >= 0 ? segOv : 3;
  if (form.modrm || modrmByte >= 0) {
    if (modrmByte < 0) modrmByte = next();
    i.mod = modrmByte >> 6;
    i.reg = (modrmByte >> 3) & 7;
    i.rm = modrmByte & 7;
    if (form.regOnly) i.mod = 3;
    else if (i.mod !== 3) decodeMemory(i, next, segOv);
    if (form.memOnly && i.mod === 3) i.exec = ud;
  }
  for (const k of form.imms) {
    let v = 0;
    switch (k) {
      case IMM_B: v = next(); break;
      case IMM_BS: case IMM_JB: v = (next() << 24) >> 24; break;
      case IMM_W: v = next() | (next() << 8); break;
      case IMM_V: case IMM_JV:
        if (o16) { v = next() | (next() << 8); if (k === IMM_JV) v = (v << 16) >> 16; }
        else v = (next() | (next() << 8) | (next() << 16) | (next() << 24)) >>> 0;
        break;
      case IMM_AP:
        v = o16 ? next() | (next() << 8) : (next() | (next() << 8) | (next() << 16) | (next() << 24)) >>> 0;
        i.imm2 = next() | (next() << 8);
        break;
      case IMM_O:
        i.mod = 0; i.base = -1; i.index = -1;
        i.disp = a16 ? next() | (next() << 8) : (next() | (next() << 8) | (next() << 16) | (next() << 24)) >>> 0;
        continue;
    }
    if (k === IMM_AP) { i.imm = v; continue; }
    if (op === 0xc8 && k === IMM_B) i.imm2 = v; else i.imm = v;
  }
  if (lock && (i.mod === 3 || !lockable(op, i.reg))) i.exec = ud;
  else if (i.exec === desc.exec && decodeOptions.specialize) i.exec = specialize(i);
  i.len = p - start;
  return i;
}

const BASE16 = [3, 3, 5, 5, 6, 7, 5, 3];
const INDEX16 = [6, 7, 6, 7, -1, -1, -1, -1];

function decodeMemory(i: Insn, next: () => number, segOv: number): void {
  const mod = i.mod;
  let ss = false;
  if (i.a16) {
    i.base = BASE16[i.rm];
    i.index = INDEX16[i.rm];
    if (mod === 0 && i.rm === 6) { i.base = -1; i.disp = next() | (next() << 8); }
    else if (mod === 1) i.disp = (next() << 24) >> 24;
    else if (mod === 2) i.disp = next() | (next() << 8);
    ss = i.base === 5;
  } else {
    let base = i.rm;
    if (base === 4) {
      const sib = next();
      i.scale = sib >> 6;
      const index = (sib >> 3) & 7;
      i.index = index === 4 ? -1 : index;
      base = sib & 7;
      if (base === 5 && mod === 0) { i.base = -1; i.disp = (next() | (next() << 8) | (next() << 16) | (next() << 24)) | 0; }
      else i.base = base;
    } else if (base === 5 && mod === 0) {
      i.base = -1;
      i.disp = (next() | (next() << 8) | (next() << 16) | (next() << 24)) | 0;
    } else {
      i.base = base;
    }
    if (mod === 1) i.disp = (next() << 24) >> 24;
    else if (mod === 2) i.disp = (next() | (next() << 8) | (next() << 16) | (next() << 24)) | 0;
    ss = i.base === 4 || i.base === 5;
  }
  i.seg = segOv >= 0 ? segOv : ss ? 2 : 3;
}
