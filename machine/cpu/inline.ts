// JavaScript source for the commonest 32-bit instruction forms, emitted
// straight into compiled blocks (block.ts) instead of a handler call:
// registers are array slots, operands and addresses constants, flags the same
// lazy-flag stores the handlers make. Anything not listed here is compiled as
// a call to its (already tested) handler. The gcc workload and the fault
// tests compare compiled blocks with the interpreter.
import type { Insn } from './insn.js';

export interface InlineCode {
  code: string;
  /** May raise an exception (a memory access): insnEip must be set first. */
  faults: boolean;
  /** Writes memory (may drop cached code): the block checks codeGen after it. */
  writes: boolean;
  /** Arithmetic flags: 'all' six written (none read), 'none' untouched, 'other' read or partly written. */
  flags: 'all' | 'none' | 'other';
  /** The code also sets the block's local J to the condition the jcc after it tests. */
  fused: boolean;
}

export interface InlineOptions {
  /** Condition code (0-15) of a jcc right after this instruction to fuse with it, or -1. */
  fuseJcc: number;
  /** Leave out the lazy-flag stores (a later instruction overwrites them first). */
  noFlags?: boolean;
}

const S = 2147483648; // sign bit of a 32-bit result

function ea(i: Insn): string {
  let s = String(i.disp | 0);
  if (i.base >= 0) s += ` + R[${i.base}]`;
  if (i.index >= 0) s += i.scale ? ` + (R[${i.index}] << ${i.scale})` : ` + R[${i.index}]`;
  return `((${s}) >>> 0)`;
}

const EXPR: Record<number, string> = { 0: '(a + b) >>> 0', 1: '(a | b) >>> 0', 4: '(a & b) >>> 0', 5: '(a - b) >>> 0', 6: '(a ^ b) >>> 0', 7: '(a - b) >>> 0' };

function flagsStore(op: number): string {
  if (op === 1 || op === 4 || op === 6) return `c.fOp = 5; c.fR = r; c.fSign = ${S};`;
  return `c.fOp = ${op === 0 ? 1 : 3}; c.fA = a; c.fB = b; c.fR = r; c.fSign = ${S};`;
}

/** Condition cc of a 32-bit sub/cmp from its locals a, b, r (unsigned), or null. */
function subCond(cc: number): string | null {
  const t = [`(((a ^ b) & (a ^ r) & ${S}) !== 0)`, 'a < b', 'r === 0', 'a <= b', `r >= ${S}`, null, '(a | 0) < (b | 0)', '(a | 0) <= (b | 0)'][cc >> 1];
  return t === null ? null : cc & 1 ? `!(${t})` : t;
}
/** Condition cc of a 32-bit logic result r (CF = OF = 0), or null. */
function logicCond(cc: number): string | null {
  const t = ['false', 'false', 'r === 0', 'r === 0', `r >= ${S}`, null, `r >= ${S}`, `(r === 0 || r >= ${S})`][cc >> 1];
  return t === null ? null : cc & 1 ? `!(${t})` : t;
}

/** Inline source for `i`, or null to call its handler. */
export function inlineCode(i: Insn, opts: InlineOptions = { fuseJcc: -1 }): InlineCode | null {
  if (i.o16 || i.a16 || i.lock || i.rep) return null;
  const op = i.op, reg = i.mod === 3, seg = i.seg;
  let fl: 'all' | 'none' | 'other' = 'none', fused = false;
  const pure = (code: string): InlineCode => ({ code, faults: false, writes: false, flags: fl, fused });
  const load = (code: string): InlineCode => ({ code, faults: true, writes: false, flags: fl, fused });
  const store = (code: string): InlineCode => ({ code, faults: true, writes: true, flags: fl, fused });
  /** Flag stores for ALU operation k, plus the fused condition when asked for and expressible. */
  const flagsFor = (k: number): string => {
    fl = 'all';
    let s = opts.noFlags ? '' : flagsStore(k);
    if (opts.fuseJcc >= 0 && !opts.noFlags) {
      const cond = k === 5 || k === 7 ? subCond(opts.fuseJcc) : k === 1 || k === 4 || k === 6 ? logicCond(opts.fuseJcc) : null;
      if (cond !== null) { s += ` J = ${cond};`; fused = true; }
    }
    return s;
  };

  // ALU Ev,Gv and Gv,Ev; group 1 with an immediate.
  if ((op < 0x40 && ((op & 7) === 1 || (op & 7) === 3)) || op === 0x81 || op === 0x83) {
    const k = op < 0x40 ? op >> 3 : i.reg;
    const expr = EXPR[k];
    if (expr === undefined) return null; // adc, sbb
    const fls = flagsFor(k);
    const keep = k !== 7;
    if (op >= 0x80) {
      const b = i.imm >>> 0;
      if (reg) return pure(`{ const a = R[${i.rm}], b = ${b}, r = ${expr};${keep ? ` R[${i.rm}] = r;` : ''} ${fls} }`);
      return (keep ? store : load)(`{ const m = ${ea(i)}, a = c.rd32(${seg}, m), b = ${b}, r = ${expr};${keep ? ` c.wr32(${seg}, m, r);` : ''} ${fls} }`);
    }
    if ((op & 7) === 1) {
      if (reg) return pure(`{ const a = R[${i.rm}], b = R[${i.reg}], r = ${expr};${keep ? ` R[${i.rm}] = r;` : ''} ${fls} }`);
      return (keep ? store : load)(`{ const m = ${ea(i)}, a = c.rd32(${seg}, m), b = R[${i.reg}], r = ${expr};${keep ? ` c.wr32(${seg}, m, r);` : ''} ${fls} }`);
    }
    const src = reg ? `R[${i.rm}]` : `c.rd32(${seg}, ${ea(i)})`;
    return (reg ? pure : load)(`{ const a = R[${i.reg}], b = ${src}, r = ${expr};${keep ? ` R[${i.reg}] = r;` : ''} ${fls} }`);
  }
  // ALU eAX,Iv.
  if (op < 0x40 && (op & 7) === 5) {
    const k = op >> 3, expr = EXPR[k];
    if (expr === undefined) return null;
    return pure(`{ const a = R[0], b = ${i.imm >>> 0}, r = ${expr};${k !== 7 ? ' R[0] = r;' : ''} ${flagsFor(k)} }`);
  }
  switch (op) {
    case 0x80: case 0x82: {
      if (i.reg !== 7) return null; // cmp Eb,Ib
      const src = reg ? `((R[${i.rm & 3}] >>> ${(i.rm & 4) << 1}) & 255)` : `c.rd8(${seg}, ${ea(i)})`;
      fl = 'all';
      if (opts.noFlags) return (reg ? pure : load)(reg ? '' : `${src};`);
      return (reg ? pure : load)(`{ const a = ${src}, b = ${i.imm & 0xff}; c.fOp = 3; c.fA = a; c.fB = b; c.fR = (a - b) & 255; c.fSign = 128; }`);
    }
    case 0x88:
      if (reg) return null;
      return store(`c.wr8(${seg}, ${ea(i)}, (R[${i.reg & 3}] >>> ${(i.reg & 4) << 1}) & 255);`);
    case 0xc6:
      if (i.reg !== 0 || reg) return null;
      return store(`c.wr8(${seg}, ${ea(i)}, ${i.imm & 0xff});`);
    case 0x85: {
      const src = reg ? `R[${i.rm}]` : `c.rd32(${seg}, ${ea(i)})`;
      return (reg ? pure : load)(`{ const r = (${src} & R[${i.reg}]) >>> 0; ${flagsFor(4)} }`);
    }
    case 0x89:
      return reg ? pure(`R[${i.rm}] = R[${i.reg}];`) : store(`c.wr32(${seg}, ${ea(i)}, R[${i.reg}]);`);
    case 0x8b:
      return reg ? pure(`R[${i.reg}] = R[${i.rm}];`) : load(`R[${i.reg}] = c.rd32(${seg}, ${ea(i)});`);
    case 0x8d:
      return reg ? null : pure(`R[${i.reg}] = ${ea(i)};`);
    case 0xc7:
      if (i.reg !== 0) return null;
      return reg ? pure(`R[${i.rm}] = ${i.imm >>> 0};`) : store(`c.wr32(${seg}, ${ea(i)}, ${i.imm >>> 0});`);
    case 0x1b6:
      if (reg) return pure(`R[${i.reg}] = (R[${i.rm & 3}] >>> ${(i.rm & 4) << 1}) & 255;`);
      return load(`R[${i.reg}] = c.rd8(${seg}, ${ea(i)});`);
    case 0x1b7:
      if (reg) return pure(`R[${i.reg}] = R[${i.rm}] & 65535;`);
      return load(`R[${i.reg}] = c.rd16(${seg}, ${ea(i)});`);
  }
  // shl/shr/sar r32 by a constant (C1 Ib, D1): flags set eagerly as grp2 does (AF cleared).
  if ((op === 0xc1 || op === 0xd1) && reg && i.reg >= 4) {
    const n = (op === 0xd1 ? 1 : i.imm) & 31;
    if (n === 0) return null;
    const x = i.rm, kind = i.reg;
    const calc = kind === 5
      ? `const a = R[${x}], r = a >>> ${n}, cf = (a >>> ${n - 1}) & 1, of = a >>> 31;`
      : kind === 7
        ? `const a = R[${x}] | 0, r = (a >> ${n}) >>> 0, cf = (a >> ${n - 1}) & 1, of = 0;`
        : `const a = R[${x}], r = (a << ${n}) >>> 0, cf = (a >>> ${32 - n}) & 1, of = (r >>> 31) ^ cf;`;
    fl = 'all';
    const setFlags = opts.noFlags ? '' : ' let p = r & 255; p ^= p >> 4; p ^= p >> 2; p ^= p >> 1;' +
      ' c.fOp = 0; c.flags = (c.flags & ~2261) | cf | (of << 11) | (r === 0 ? 64 : 0) | ((r >>> 31) << 7) | ((~p & 1) << 2) | 2;';
    return pure(`{ ${calc} R[${x}] = r;${setFlags} }`);
  }
  if (op >= 0xb8 && op <= 0xbf) return pure(`R[${op & 7}] = ${i.imm >>> 0};`);
  if (op >= 0x40 && op <= 0x4f) {
    const r = op & 7, dec = op >= 0x48;
    fl = 'other';
    return pure(`{ const a = R[${r}], v = (a ${dec ? '-' : '+'} 1) >>> 0; c.flags = (c.flags & ~1) | c.cf(); R[${r}] = v; c.fOp = ${dec ? 7 : 6}; c.fA = a; c.fB = 1; c.fR = v; c.fSign = ${S}; }`);
  }
  if (op >= 0x50 && op <= 0x57) return store(`c.push32(R[${op & 7}]);`);
  if (op >= 0x58 && op <= 0x5f) return load(`{ const v = c.pop32(); R[${op & 7}] = v; }`);
  return null;
}
