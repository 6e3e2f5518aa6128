// Instruction encoder: matches operands against the form table and emits bytes plus fixups for symbols.
import { AsmError } from './errors.js';
import { relaxable, tableLines } from './forms.js';
import { formatOperand, type Mem, type Operand, type Register, type SymRef } from './operands.js';

/** A field the linker fills in once symbol addresses are known. */
export interface Fixup {
  /** Offset of the field within the instruction or data item. */
  at: number;
  size: 1 | 2 | 4;
  target: SymRef | number;
  /** PC-relative: value = target - (item address + `end`). */
  pcrel: boolean;
  end: number;
}

export interface Encoded {
  bytes: number[];
  fixups: Fixup[];
}

/** A jmp/jcc whose short or near form the linker picks. */
export interface RelaxableBranch {
  prefix: number[];
  short: number[];
  near: number[];
  target: SymRef | number;
  /** Forced by `short` or `near` in the source. */
  force?: 'short' | 'near';
}

type Pat = string;

interface Form {
  mn: string;
  pats: Pat[];
  roles: string;
  o16: boolean;
  opcode: number[];
  plusR: boolean;
  modrm: 'r' | number | null;
  imms: ('ib' | 'iw' | 'id')[];
  rel: 'rb' | 'rw' | 'rd' | null;
  moffs: boolean;
  /** Far pointer immediate: 'd' offset:32 (fp), 'w' offset:16 (fpw). */
  farptr: 'd' | 'w' | null;
  /** Address-size prefix 0x67 is part of the encoding (jcxz, loop ..., cx). */
  a16: boolean;
  text: string;
  /** Encoded length apart from prefixes and the memory operand's SIB/displacement. */
  staticLen: number;
}

function parseForm(line: string): Form {
  const [mn, pats, roles, ...enc] = line.split(/\s+/);
  const count = pats === '-' ? 0 : pats.split(',').length;
  if (roles === undefined || (count === 0 ? roles !== '-' : roles.length !== count)) throw new Error(`form table line needs as many roles as patterns: ${line}`);
  const f: Form = {
    mn, pats: pats === '-' ? [] : pats.split(','), roles: roles === '-' && pats === '-' ? '' : roles,
    o16: false, opcode: [], plusR: false, modrm: null, imms: [], rel: null, moffs: false, farptr: null, a16: false, text: `${mn} ${pats}`, staticLen: 0,
  };
  for (const tok of enc) {
    if (tok === 'o16') f.o16 = true;
    else if (/^[0-9a-f]{2}$/.test(tok)) f.opcode.push(parseInt(tok, 16));
    else if (/^[0-9a-f]{2}\+r$/.test(tok)) { f.opcode.push(parseInt(tok, 16)); f.plusR = true; }
    else if (tok === '/r') f.modrm = 'r';
    else if (/^\/[0-7]$/.test(tok)) f.modrm = Number(tok[1]);
    else if (tok === 'ib' || tok === 'iw' || tok === 'id') f.imms.push(tok);
    else if (tok === 'rb' || tok === 'rw' || tok === 'rd') f.rel = tok;
    else if (tok === 'mo') f.moffs = true;
    else if (tok === 'fp') f.farptr = 'd';
    else if (tok === 'fpw') f.farptr = 'w';
    else if (tok === 'a16') f.a16 = true;
    else throw new Error(`bad encoding token ${tok} in form table line: ${line}`);
  }
  f.staticLen = (f.o16 ? 1 : 0) + (f.a16 ? 1 : 0) + f.opcode.length + (f.modrm !== null ? 1 : 0) + (f.moffs ? 4 : 0) +
    (f.farptr === 'd' ? 6 : f.farptr === 'w' ? 4 : 0) +
    (f.rel === 'rb' ? 1 : f.rel === 'rw' ? 2 : f.rel === 'rd' ? 4 : 0) + f.imms.reduce((a, k) => a + (k === 'ib' ? 1 : k === 'iw' ? 2 : 4), 0);
  return f;
}

const formsByMnemonic = new Map<string, Form[]>();
/** Forms by mnemonic and operand count, index [mnemonic][count]. */
const formsByArity = new Map<string, Form[][]>();
for (const line of tableLines) {
  const f = parseForm(line);
  const list = formsByMnemonic.get(f.mn) ?? [];
  list.push(f);
  formsByMnemonic.set(f.mn, list);
  const byN = formsByArity.get(f.mn) ?? [[], [], [], []];
  byN[f.pats.length].push(f);
  formsByArity.set(f.mn, byN);
}

export function isMnemonic(mn: string): boolean {
  return formsByMnemonic.has(mn) || relaxable.has(mn);
}
export function allMnemonics(): string[] {
  return [...new Set([...formsByMnemonic.keys(), ...relaxable.keys()])];
}

const segPrefix = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
/** Instruction prefixes nasm accepts in front of a mnemonic, with the slot that orders them (nasm emits rep, lock,
 * segment, operand size, address size in that order whatever order they are written in). */
const prefixSlots: Record<string, { slot: 'rep' | 'lock' | 'seg' | 'osize' | 'asize'; byte: number }> = {
  rep: { slot: 'rep', byte: 0xf3 }, repe: { slot: 'rep', byte: 0xf3 }, repz: { slot: 'rep', byte: 0xf3 },
  repne: { slot: 'rep', byte: 0xf2 }, repnz: { slot: 'rep', byte: 0xf2 }, lock: { slot: 'lock', byte: 0xf0 },
  ...Object.fromEntries(['es', 'cs', 'ss', 'ds', 'fs', 'gs'].map((s, i) => [s, { slot: 'seg', byte: segPrefix[i] }])),
  o16: { slot: 'osize', byte: 0x66 }, o32: { slot: 'osize', byte: 0 }, a16: { slot: 'asize', byte: 0x67 }, a32: { slot: 'asize', byte: 0 },
};
export function isPrefix(word: string): boolean {
  return Object.hasOwn(prefixSlots, word);
}

/** The prefixes written in front of an instruction, by slot. */
interface Prefixes { rep?: number; lock?: number; seg?: number; osize?: 'o16' | 'o32'; asize?: 'a16' | 'a32' }

function prefixSet(words: readonly string[]): Prefixes {
  const p: Prefixes = {};
  for (const w of words) {
    const { slot, byte } = prefixSlots[w];
    if (slot === 'osize') p.osize = w as 'o16' | 'o32';
    else if (slot === 'asize') p.asize = w as 'a16' | 'a32';
    else {
      if (p[slot] !== undefined && p[slot] !== byte) throw new AsmError(`conflicting ${slot === 'seg' ? 'segment override' : slot} prefixes`);
      p[slot] = byte;
    }
  }
  return p;
}

/** Prefix bytes in nasm's order; `o16`/`a16` say whether the form itself needs 0x66/0x67. */
function prefixBytesFor(p: Prefixes, o16: boolean, a16: boolean, seg?: number): number[] {
  const out: number[] = [];
  if (p.rep !== undefined) out.push(p.rep);
  if (p.lock !== undefined) out.push(p.lock);
  if (p.seg !== undefined && seg !== undefined) throw new AsmError('instruction has conflicting segment overrides: write the segment either in front or inside [ ]');
  if (p.seg !== undefined || seg !== undefined) out.push((p.seg ?? seg)!);
  if (p.osize === 'o16' || (o16 && p.osize !== 'o32')) out.push(0x66);
  if (p.asize === 'a16' || a16) out.push(0x67);
  return out;
}

const immRange: Record<number, [number, number]> = { 1: [-0x80, 0xff], 2: [-0x8000, 0xffff], 4: [-0x80000000, 0xffffffff] };

function fitsImm(v: number, size: 1 | 2 | 4): boolean {
  const [lo, hi] = immRange[size];
  return Number.isInteger(v) && v >= lo && v <= hi;
}

function fitsSx8(v: number, opSize: 2 | 4): boolean {
  if (!fitsImm(v, opSize)) return false;
  const s = opSize === 4 ? v | 0 : (v << 16) >> 16;
  return s >= -128 && s <= 127;
}

const patSize: Record<string, number> = {
  rm8: 1, m8: 1, moffs8: 1, rm16: 2, m16: 2, moffs16: 2, rm32: 4, m32: 4, moffs32: 4, m64: 8,
};

/** Does operand `o` fit pattern `p` of form `f`? */
function matches(p: Pat, o: Operand, f: Form): boolean {
  if (typeof o === 'object' && o.kind === 'imm') {
    const v = o.value;
    const opSize = f.o16 ? 2 : 4;
    switch (p) {
      case 'imm8': case 'imm16': case 'imm32': return o.size * 8 === Number(p.slice(3)) && matches(p, v, f);
      case 'wimm16': return o.size === 2 && matches('imm16', v, f);
      case 'wrel16': return o.size === 2 && !o.strict && (typeof v !== 'number' || fitsImm(v, 2));
      case 'sx8': case 'wsx8': return typeof v === 'number' && fitsSx8(v, opSize) && (o.size === 1 || (!o.strict && o.size === opSize));
      default: return false;
    }
  }
  if (typeof o === 'number' || (typeof o === 'object' && o.kind === 'sym')) {
    const isNum = typeof o === 'number';
    switch (p) {
      case 'imm8': return isNum ? fitsImm(o, 1) : true;
      case 'imm16': return isNum ? fitsImm(o, 2) : true;
      case 'imm32': return isNum ? fitsImm(o, 4) : true;
      case 'uimm8': return isNum ? fitsImm(o, 1) : true;
      case 'uimm16': return isNum ? fitsImm(o, 2) : true;
      case 'sx8': return isNum && fitsSx8(o, f.o16 ? 2 : 4);
      case 'one': return o === 1;
      case 'rel8': case 'rel32': return isNum ? fitsImm(o, 4) : true;
      default: return false;
    }
  }
  switch (o.kind) {
    case 'far':
      return p === 'farptr' ? o.size !== 2 : p === 'farptr16' && o.size === 2;
    case 'reg':
      switch (p) {
        case 'r8': case 'rm8': return o.cls === 'gpr' && o.size === 1;
        case 'r16': case 'rm16': return o.cls === 'gpr' && o.size === 2;
        case 'r32': case 'rm32': return o.cls === 'gpr' && o.size === 4;
        case 'sreg': return o.cls === 'seg';
        case 'creg': return o.cls === 'cr';
        case 'dreg': return o.cls === 'dr';
        case 'srm16': return o.cls === 'gpr' && o.size === 2;
        case 'al': case 'ax': case 'eax': case 'cl': case 'dx': case 'cx': case 'ecx':
        case 'es': case 'cs': case 'ss': case 'ds': case 'fs': case 'gs':
          return o.name === p;
        default: return false;
      }
    case 'mem': {
      if (p === 'mfar') return (!!o.far && o.size !== 2) || o.size === 6;
      if (p === 'mfar16') return !!o.far && o.size === 2;
      if (o.far || o.size === 6) return false;
      if (p === 'srm16') return o.size === 2;
      if (p === 'm') return true;
      if (p.startsWith('moffs') && (o.base || o.index)) return false;
      const size = patSize[p];
      if (size === undefined || !p.includes('m')) return false;
      return o.size === undefined || o.size === size;
    }
  }
}

function opText(mn: string, ops: readonly Operand[]): string {
  return ops.length ? `${mn} ${ops.map(formatOperand).join(', ')}` : mn;
}

/** Explains why no form matched, in the terms a user can act on. */
function diagnose(mn: string, ops: readonly Operand[], forms: Form[]): string {
  // Same shape but an immediate out of range?
  for (const o of ops) {
    if (typeof o !== 'number') continue;
    if (!Number.isInteger(o)) return `immediate ${o} is not an integer`;
  }
  const relaxed = forms.filter((f) => f.pats.length === ops.length && f.pats.every((p, i) => {
    const o = ops[i];
    if ((typeof o === 'number' || (typeof o === 'object' && o.kind === 'imm')) && /^(u?imm|w?sx8|wimm|one)/.test(p)) return true;
    return matches(p, o, f);
  }));
  if (relaxed.length) {
    const i = relaxed[0].pats.findIndex((p) => /^u?imm/.test(p));
    const bits = relaxed.map((f) => f.pats.find((p) => /^u?imm/.test(p))).filter(Boolean).map((p) => Number(p!.replace(/^u?imm/, '')));
    const o = ops[i >= 0 ? i : ops.findIndex((x) => typeof x === 'number')];
    const shown = typeof o === 'object' && o.kind === 'imm' ? formatOperand(o) : o;
    return `immediate ${shown} does not fit in ${Math.max(...bits, 8)} bits`;
  }
  if (!forms.some((f) => f.pats.length === ops.length)) {
    const counts = [...new Set(forms.map((f) => f.pats.length))].sort();
    return `'${mn}' takes ${counts.join(' or ')} operand${counts.length === 1 && counts[0] === 1 ? '' : 's'}, not ${ops.length}`;
  }
  const m = ops.find((o): o is Mem => typeof o === 'object' && o.kind === 'mem');
  const valid = forms.filter((f) => f.pats.length === ops.length).map((f) => f.pats.join(',')).filter((v, i, a) => a.indexOf(v) === i);
  return `invalid combination of operands (valid forms: ${valid.join(' | ')})`;
}

export interface InsRequest {
  mnemonic: string;
  prefixes: string[];
  force?: 'short' | 'near';
}

const splitCache = new Map<string, InsRequest>();

/** Splits 'rep movsd' / 'lock cmpxchg' / 'jmp short' into prefixes, mnemonic and branch size. */
export function splitMnemonic(text: string): InsRequest {
  let r = splitCache.get(text);
  if (!r) {
    r = splitUncached(text);
    if (splitCache.size < 10000) splitCache.set(text, r);
  }
  return r;
}

function splitUncached(text: string): InsRequest {
  const words = text.trim().toLowerCase().split(/\s+/);
  const prefixes: string[] = [];
  while (words.length > 1 && isPrefix(words[0])) prefixes.push(words.shift()!);
  const mnemonic = words.shift() ?? '';
  let force: 'short' | 'near' | undefined;
  for (const w of words) {
    if (w === 'short' || w === 'near') force = w;
    else throw new AsmError(`unexpected word '${w}' after mnemonic '${mnemonic}'`);
  }
  return { mnemonic, prefixes, force };
}

/** Encodes one instruction; a jmp/jcc to a label comes back as a branch for the linker to size. */
export function encode(req: InsRequest, ops: readonly Operand[]): Encoded | RelaxableBranch {
  const mn = req.mnemonic;
  const prefix = req.prefixes.length ? prefixSet(req.prefixes) : noPrefixes;
  const rel = relaxable.get(mn);
  if (rel && ops.length === 1 && (typeof ops[0] === 'number' || ops[0].kind === 'sym')) {
    const target = ops[0];
    if (typeof target === 'number' && !fitsImm(target, 4)) throw new AsmError(`branch target ${target} is not a 32-bit address`);
    return { prefix: req.prefixes.length ? prefixBytesFor(prefix, false, false) : noPrefix, short: rel.short, near: rel.near, target, force: req.force };
  }
  const forms = formsByMnemonic.get(mn);
  if (!forms) {
    // a prefix on a line of its own (`lock`, `rep`, `fs`, `o16`) is a byte of its own, as in nasm
    if (isPrefix(mn) && ops.length === 0) return { bytes: prefixBytesFor(prefixSet([...req.prefixes, mn]), false, false), fixups: [] };
    if (rel) throw new AsmError(`invalid operand for '${mn}': expected a label, a register or memory`);
    throw new AsmError(`unknown instruction '${mn}'`);
  }
  let mi = -1;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    if (typeof o !== 'object' || o.kind === 'reg') continue;
    validateOperand(o);
    if (o.kind === 'mem' && o.size === undefined && !o.far) mi = i;
  }
  let best: Form | undefined;
  let bestLen = Infinity;
  let memSize = 0;
  let memExtra = -1;
  for (const f of formsByArity.get(mn)![ops.length] ?? []) {
    let ok = true;
    for (let i = 0; i < ops.length && ok; i++) ok = matches(f.pats[i], ops[i], f);
    if (!ok) continue;
    // An unsized memory operand must get its size from another operand, as in nasm.
    if (mi >= 0) {
      const s = patSize[f.pats[mi]] ?? 0;
      if (s !== 0 && memSize !== 0 && s !== memSize) throw new AsmError(`operation size not specified; write byte, word or dword before [`);
      if (s !== 0) memSize = s;
    }
    let len = f.staticLen;
    if (f.modrm !== null) {
      if (memExtra < 0) memExtra = memExtraLen(findMem(ops));
      len += memExtra;
    }
    if (len < bestLen) { best = f; bestLen = len; }
  }
  if (!best) {
    if (mn === 'retw' && ops.length === 1) throw new AsmError("'retw imm' is ambiguous (nasm 2.16 emits a 32-bit 'ret imm' for it): write 'retnw imm' for a 16-bit return or 'ret imm'");
    throw new AsmError(diagnose(mn, ops, forms));
  }
  return encodeForm(best, ops, prefix);
}

function findMem(ops: readonly Operand[]): Mem | undefined {
  for (const o of ops) if (typeof o === 'object' && o.kind === 'mem') return o;
  return undefined;
}

/**
 * Base, index and scale as nasm encodes them: [x*2] becomes [x+x] and [x*1] becomes [x]; esp written as an index
 * moves to the base; and when the displacement is a label plus a nonzero constant, nasm loses track of which register
 * was written first and takes the alphabetically first as the base (observed with nasm 2.16: [esi+ecx+tgt-5] has
 * base ecx, [ecx+ebx+tgt+5] base ebx), which we copy so that bytes stay identical.
 */
function nasmRegisterOrder(m: Mem): { base?: Register; index?: Register; scale: number } {
  let base = m.base, index = m.index, scale: number = m.scale;
  if (index && !base && (scale === 1 || scale === 2)) {
    base = index;
    if (scale === 1) index = undefined;
    scale = 1;
  }
  if (base && index && scale === 1 && typeof m.disp === 'object' && m.disp.addend !== 0 && index.name < base.name) {
    [base, index] = [index, base];
  }
  if (index && index.num === 4 && scale === 1 && !(base && base.num === 4)) [base, index] = [index, base];
  return { base, index, scale };
}

/** SIB and displacement bytes encodeMem will emit for `m` (the same for every ModRM form). */
function memExtraLen(m: Mem | undefined): number {
  if (!m) return 0;
  if (is16(m)) return disp16Len(m, rm16(m));
  const { base, index } = nasmRegisterOrder(m);
  if (!base) return index ? 5 : 4;
  const sib = index || base.num === 4 ? 1 : 0;
  if (typeof m.disp !== 'number') return sib + 4;
  const d = m.disp | 0;
  return sib + (d === 0 && base.num !== 5 ? 0 : d >= -128 && d <= 127 ? 1 : 4);
}

const noPrefix: number[] = [];
const noPrefixes: Prefixes = {};

/** The value of an immediate operand, sized or not. */
function immValue(o: Operand): number | SymRef {
  return typeof o === 'object' && o.kind === 'imm' ? o.value : (o as number | SymRef);
}

function validateOperand(o: Operand): void {
  if (typeof o !== 'object') {
    if (!Number.isFinite(o)) throw new AsmError(`immediate ${o} is not a number`);
    return;
  }
  const s = o.kind === 'sym' ? o : o.kind === 'mem' ? o.disp : o.kind === 'imm' ? o.value : o.kind === 'far' ? o.offset : undefined;
  if (typeof s === 'object' && s.minus) {
    throw new AsmError(`the difference ${s.name} - ${s.minus} is not known yet here; define both labels before this line or use equ`);
  }
  if (o.kind === 'mem') {
    if (![1, 2, 4, 8].includes(o.scale)) throw new AsmError(`scale ${o.scale} must be 1, 2, 4 or 8`);
    if (o.seg && o.seg.cls !== 'seg') throw new AsmError(`'${o.seg.name}' is not a segment register`);
    for (const r of [o.base, o.index]) {
      if (r && (r.cls !== 'gpr' || r.size === 1)) throw new AsmError(`'${r.name}' cannot be used in a memory address`);
    }
    if (o.base && o.index && o.base.size !== o.index.size) throw new AsmError('16-bit and 32-bit registers cannot be mixed in an address');
    if (is16(o)) {
      rm16(o);
      if (typeof o.disp === 'number' && !fitsImm(o.disp, 2)) throw new AsmError(`displacement ${o.disp} does not fit in 16 bits (16-bit addressing)`);
    } else if (typeof o.disp === 'number' && !fitsImm(o.disp, 4)) throw new AsmError(`displacement ${o.disp} does not fit in 32 bits`);
  }
}

function pushLE(out: number[], v: number, size: number): void {
  for (let i = 0; i < size; i++) out.push((v >>> (8 * i)) & 0xff);
}

function encodeForm(f: Form, ops: readonly Operand[], userPrefix: Prefixes): Encoded {
  const fixups: Fixup[] = [];
  let rm: Operand | undefined, reg: Register | undefined;
  const imms: Operand[] = [];
  let relTarget: Operand | undefined, moffs: Mem | undefined, farp: Operand | undefined;
  for (let i = 0; i < f.roles.length; i++) {
    const o = ops[i];
    switch (f.roles[i]) {
      case 'm': rm = o; break;
      case 'r': reg = o as Register; break;
      case 'b': rm = o; reg = o as Register; break;
      case 'i': case 'j': imms.push(o); break;
      case 'd': relTarget = o; break;
      case 'o': moffs = o as Mem; break;
      case 'f': farp = o; break;
    }
  }
  const memOp = (typeof rm === 'object' && rm.kind === 'mem' ? rm : undefined) ?? moffs;
  // an address without registers is 16-bit when written [word n] or after a16 (nasm: 67 a1 iw, 67 8b 06 iw)
  const abs16 = !!memOp && !memOp.base && !memOp.index && (!!memOp.addr16 || userPrefix.asize === 'a16');
  const mem16 = !!memOp && (abs16 || is16(memOp));
  if (mem16 && userPrefix.asize === 'a32') throw new AsmError('a32 cannot be used with a 16-bit address');
  if (abs16 && typeof memOp!.disp === 'number' && !fitsImm(memOp!.disp, 2)) throw new AsmError(`address ${memOp!.disp} does not fit in 16 bits (16-bit addressing)`);
  if (memOp && !mem16 && (memOp.base || memOp.index) && userPrefix.asize === 'a16') throw new AsmError('a16 cannot be used with a 32-bit address: write the address with bx/bp/si/di');
  const seg = memOp?.seg ? segPrefix[memOp.seg.num] : undefined;
  let bytes: number[];
  if (userPrefix === noPrefixes) {
    bytes = [];
    if (seg !== undefined) bytes.push(seg);
    if (f.o16) bytes.push(0x66);
    if (mem16 || f.a16) bytes.push(0x67);
  } else bytes = prefixBytesFor(userPrefix, f.o16, mem16 || f.a16, seg);
  for (let i = 0; i < f.opcode.length; i++) bytes.push(f.plusR && i === f.opcode.length - 1 ? f.opcode[i] + reg!.num : f.opcode[i]);
  if (f.modrm !== null) {
    const regField = f.modrm === 'r' ? reg!.num : f.modrm;
    if (typeof rm === 'object' && rm.kind === 'reg') bytes.push(0xc0 | (regField << 3) | rm.num);
    else if (abs16) { bytes.push((regField << 3) | 6); putField(bytes, fixups, (rm as Mem).disp, 2, false); }
    else if (is16(rm as Mem)) encodeMem16(rm as Mem, regField, bytes, fixups);
    else encodeMem(rm as Mem, regField, bytes, fixups);
  }
  if (f.moffs) putField(bytes, fixups, moffs!.disp, abs16 ? 2 : 4, false);
  for (let i = 0; i < f.imms.length; i++) putField(bytes, fixups, immValue(imms[i]), f.imms[i] === 'ib' ? 1 : f.imms[i] === 'iw' ? 2 : 4, false);
  if (f.rel) putField(bytes, fixups, immValue(relTarget!), f.rel === 'rb' ? 1 : f.rel === 'rw' ? 2 : 4, true);
  if (f.farptr) {
    const fp = farp as { seg: number; offset: number | SymRef };
    putField(bytes, fixups, fp.offset, f.farptr === 'w' ? 2 : 4, false);
    if (!fitsImm(fp.seg, 2)) throw new AsmError(`segment selector ${fp.seg} does not fit in 16 bits`);
    pushLE(bytes, fp.seg, 2);
  }
  for (const x of fixups) if (x.pcrel) x.end = bytes.length;
  return { bytes, fixups };
}

/** Emits a field: a number directly, a symbol as a fixup (pc-relative ones for branches, always to an address). */
function putField(bytes: number[], fixups: Fixup[], v: number | SymRef, size: 1 | 2 | 4, pcrel: boolean): void {
  if (typeof v === 'number' && !pcrel) pushLE(bytes, v, size);
  else {
    fixups.push({ at: bytes.length, size, target: v, pcrel, end: 0 });
    pushLE(bytes, 0, size);
  }
}

/** A memory operand with 16-bit registers: encoded with the 0x67 address-size prefix. */
function is16(m: Mem): boolean {
  return (m.base?.size ?? m.index?.size) === 2;
}

const rm16Table: Record<string, number> = { 'bx+si': 0, 'bx+di': 1, 'bp+si': 2, 'bp+di': 3, si: 4, di: 5, bp: 6, bx: 7 };

/** The ModRM.rm of a 16-bit address; the registers may be written in either order. */
function rm16(m: Mem): number {
  const regs = [m.base, m.index].filter((r): r is Register => !!r);
  if (m.index && m.scale !== 1) throw new AsmError('16-bit addresses have no scaled index');
  const key = regs.map((r) => r.name).sort((a, b) => (a[0] === 'b' ? -1 : b[0] === 'b' ? 1 : 0)).join('+');
  const rm = rm16Table[key];
  if (rm === undefined) throw new AsmError(`invalid 16-bit address [${regs.map((r) => r.name).join('+')}]: use bx or bp, plus si or di`);
  return rm;
}

function disp16Len(m: Mem, rm: number): number {
  if (typeof m.disp !== 'number') return 2;
  const d = (m.disp << 16) >> 16;
  return d === 0 && rm !== 6 ? 0 : d >= -128 && d <= 127 ? 1 : 2;
}

function encodeMem16(m: Mem, regField: number, out: number[], fixups: Fixup[]): void {
  const rm = rm16(m);
  const len = disp16Len(m, rm);
  out.push(((len === 0 ? 0 : len === 1 ? 1 : 2) << 6) | (regField << 3) | rm);
  if (len === 1) out.push((m.disp as number) & 0xff);
  else if (len === 2) putField(out, fixups, m.disp, 2, false);
}

/** ModRM (+SIB, +displacement) for a 32-bit memory operand, with nasm's choices (shortest displacement, [x*2] as [x+x]). */
function encodeMem(m: Mem, regField: number, out: number[], fixups: Fixup[]): void {
  const { base, index, scale } = nasmRegisterOrder(m);
  if (index && index.num === 4) throw new AsmError('esp cannot be an index register');
  const disp = m.disp;
  const symbolic = typeof disp !== 'number';
  const d = symbolic ? 0 : disp | 0;
  if (!base && !index) {
    out.push((regField << 3) | 5);
    putField(out, fixups, disp, 4, false);
    return;
  }
  const ss = { 1: 0, 2: 1, 4: 2, 8: 3 }[scale]!;
  let mod: number;
  if (!base) mod = 0;
  else if (symbolic) mod = 2;
  else if (d === 0 && base.num !== 5) mod = 0;
  else if (d >= -128 && d <= 127) mod = 1;
  else mod = 2;
  if (index || !base || base.num === 4) {
    out.push((mod << 6) | (regField << 3) | 4);
    out.push((ss << 6) | ((index ? index.num : 4) << 3) | (base ? base.num : 5));
  } else {
    out.push((mod << 6) | (regField << 3) | base.num);
  }
  if (!base || mod === 2) putField(out, fixups, disp, 4, false);
  else if (mod === 1) out.push(d & 0xff);
}

export { opText };

/** Every (mnemonic, operand patterns) pair of the table, for tests that walk all forms. */
export function formPatterns(): { mn: string; pats: string[] }[] {
  return [...formsByMnemonic.values()].flat().map((f) => ({ mn: f.mn, pats: [...f.pats] }));
}
