// Operands of the assembler: registers, memory references, symbol references and immediates (plain numbers).

export type RegClass = 'gpr' | 'seg' | 'cr' | 'dr';

export interface Register {
  readonly kind: 'reg';
  readonly name: string;
  readonly cls: RegClass;
  /** Size in bytes (segment/control/debug registers count as 2/4/4). */
  readonly size: 1 | 2 | 4;
  /** Number used in the ModRM reg/rm field or the +r opcode. */
  readonly num: number;
}

/** The address of a label plus a constant, usable as an immediate or a displacement. */
export interface SymRef {
  readonly kind: 'sym';
  readonly name: string;
  readonly addend: number;
  /** A label whose address is subtracted (`dd end - start`); only in data, resolved when linking. */
  readonly minus?: string;
}

/** Memory operand sizes: 6 is a far pointer (m16:32), 10 a tword. */
export type MemSize = 1 | 2 | 4 | 6 | 8 | 10;

export interface Mem {
  readonly kind: 'mem';
  readonly base?: Register;
  readonly index?: Register;
  readonly scale: 1 | 2 | 4 | 8;
  readonly disp: number | SymRef;
  readonly seg?: Register;
  readonly size?: MemSize;
  /** `far` was written (jmp far [x], call far [x]). */
  readonly far?: boolean;
  /** `[word n]`: an absolute 16-bit address (0x67). */
  readonly addr16?: boolean;
}

/** An immediate far pointer `seg:offset` (jmp 0x10:label). */
export interface FarPtr {
  readonly kind: 'far';
  readonly seg: number;
  readonly offset: number | SymRef;
  /** 2 for `word seg:off` (16-bit offset, 0x66 prefix); otherwise a 32-bit offset. */
  readonly size?: 2 | 4;
}

/** An immediate with an explicit size (`push word 5`, `add eax, strict dword 5`); plain numbers need none. */
export interface Imm {
  readonly kind: 'imm';
  readonly value: number | SymRef;
  readonly size: 1 | 2 | 4;
  /** nasm's `strict`: keep exactly this size instead of a shorter sign-extended form. */
  readonly strict: boolean;
}

export type Operand = Register | Mem | SymRef | FarPtr | Imm | number;

function reg(name: string, cls: RegClass, size: 1 | 2 | 4, num: number): Register {
  return Object.freeze({ kind: 'reg', name, cls, size, num });
}

export const eax = reg('eax', 'gpr', 4, 0), ecx = reg('ecx', 'gpr', 4, 1), edx = reg('edx', 'gpr', 4, 2), ebx = reg('ebx', 'gpr', 4, 3);
export const esp = reg('esp', 'gpr', 4, 4), ebp = reg('ebp', 'gpr', 4, 5), esi = reg('esi', 'gpr', 4, 6), edi = reg('edi', 'gpr', 4, 7);
export const ax = reg('ax', 'gpr', 2, 0), cx = reg('cx', 'gpr', 2, 1), dx = reg('dx', 'gpr', 2, 2), bx = reg('bx', 'gpr', 2, 3);
export const sp = reg('sp', 'gpr', 2, 4), bp = reg('bp', 'gpr', 2, 5), si = reg('si', 'gpr', 2, 6), di = reg('di', 'gpr', 2, 7);
export const al = reg('al', 'gpr', 1, 0), cl = reg('cl', 'gpr', 1, 1), dl = reg('dl', 'gpr', 1, 2), bl = reg('bl', 'gpr', 1, 3);
export const ah = reg('ah', 'gpr', 1, 4), ch = reg('ch', 'gpr', 1, 5), dh = reg('dh', 'gpr', 1, 6), bh = reg('bh', 'gpr', 1, 7);
export const es = reg('es', 'seg', 2, 0), cs = reg('cs', 'seg', 2, 1), ss = reg('ss', 'seg', 2, 2), ds = reg('ds', 'seg', 2, 3);
export const fs = reg('fs', 'seg', 2, 4), gs = reg('gs', 'seg', 2, 5);
export const cr0 = reg('cr0', 'cr', 4, 0), cr2 = reg('cr2', 'cr', 4, 2), cr3 = reg('cr3', 'cr', 4, 3), cr4 = reg('cr4', 'cr', 4, 4);
export const dr0 = reg('dr0', 'dr', 4, 0), dr1 = reg('dr1', 'dr', 4, 1), dr2 = reg('dr2', 'dr', 4, 2), dr3 = reg('dr3', 'dr', 4, 3);
export const dr4 = reg('dr4', 'dr', 4, 4), dr5 = reg('dr5', 'dr', 4, 5), dr6 = reg('dr6', 'dr', 4, 6), dr7 = reg('dr7', 'dr', 4, 7);

/** Every register by its nasm name. */
export const registers: ReadonlyMap<string, Register> = new Map(
  [eax, ecx, edx, ebx, esp, ebp, esi, edi, ax, cx, dx, bx, sp, bp, si, di, al, cl, dl, bl, ah, ch, dh, bh,
    es, cs, ss, ds, fs, gs, cr0, cr2, cr3, cr4, dr0, dr1, dr2, dr3, dr4, dr5, dr6, dr7].map((r) => [r.name, r]),
);

export function sym(name: string, addend = 0): SymRef {
  return { kind: 'sym', name, addend };
}

export interface MemSpec {
  base?: Register;
  index?: Register;
  scale?: 1 | 2 | 4 | 8;
  disp?: number | SymRef;
  seg?: Register;
  size?: MemSize;
}

export function mem(spec: MemSpec): Mem {
  return { kind: 'mem', base: spec.base, index: spec.index, scale: spec.scale ?? 1, disp: spec.disp ?? 0, seg: spec.seg, size: spec.size };
}

function sized(m: Mem | MemSpec, size: MemSize): Mem {
  const base = 'kind' in m ? m : mem(m);
  return { ...base, size };
}
export const byte = (m: Mem | MemSpec): Mem => sized(m, 1);
export const word = (m: Mem | MemSpec): Mem => sized(m, 2);
export const dword = (m: Mem | MemSpec): Mem => sized(m, 4);
export const qword = (m: Mem | MemSpec): Mem => sized(m, 8);
/** `far [m]`: a memory far pointer (m16:32) for jmp/call. */
export const far = (m: Mem | MemSpec): Mem => ({ ...('kind' in m ? m : mem(m)), far: true });
/** `seg:offset` immediate far pointer for jmp/call. */
export const farPtr = (seg: number, offset: number | SymRef, size?: 2 | 4): FarPtr => ({ kind: 'far', seg, offset, ...(size ? { size } : {}) });

export const imm = (value: number | SymRef, size: 1 | 2 | 4, strict = false): Imm => ({ kind: 'imm', value, size, strict });

export function isReg(o: Operand): o is Register {
  return typeof o === 'object' && o.kind === 'reg';
}
export function isMem(o: Operand): o is Mem {
  return typeof o === 'object' && o.kind === 'mem';
}
export function isSym(o: Operand): o is SymRef {
  return typeof o === 'object' && o.kind === 'sym';
}

/** nasm-style text of an operand, for error messages and listings. */
export function formatOperand(o: Operand): string {
  if (typeof o === 'number') return Math.abs(o) < 0x10000 ? String(o) : (o < 0 ? '-0x' : '0x') + Math.abs(o).toString(16);
  switch (o.kind) {
    case 'reg':
      return o.name;
    case 'sym':
      return formatSym(o);
    case 'imm':
      return `${o.strict ? 'strict ' : ''}${{ 1: 'byte', 2: 'word', 4: 'dword' }[o.size]} ${formatOperand(o.value)}`;
    case 'far':
      return `${o.size ? (o.size === 2 ? 'word ' : 'dword ') : ''}0x${o.seg.toString(16)}:${typeof o.offset === 'number' ? '0x' + o.offset.toString(16) : formatSym(o.offset)}`;
    case 'mem': {
      const parts: string[] = [];
      if (o.base) parts.push(o.base.name);
      if (o.index) parts.push(o.scale === 1 ? o.index.name : `${o.index.name}*${o.scale}`);
      const d = o.disp;
      if (typeof d !== 'number') parts.push(formatSym(d));
      else if (d !== 0 || parts.length === 0) parts.push(parts.length && d < 0 ? `-0x${(-d).toString(16)}` : '0x' + (d >>> 0).toString(16));
      const size = (o.size && o.size !== 6 ? { 1: 'byte ', 2: 'word ', 4: 'dword ', 8: 'qword ', 10: 'tword ' }[o.size] : '') +
        (o.far || o.size === 6 ? 'far ' : '');
      return `${size}[${o.addr16 ? 'word ' : ''}${o.seg ? o.seg.name + ':' : ''}${parts.join('+').replace(/\+-/g, '-')}]`;
    }
  }
}

function formatSym(s: SymRef): string {
  if (s.minus) return `${formatSym({ ...s, minus: undefined })}-${s.minus}`;
  return s.addend === 0 ? s.name : s.addend > 0 ? `${s.name}+${s.addend}` : `${s.name}${s.addend}`;
}
