// The assembler: instructions as TypeScript calls (or nasm text), sections, labels, data, and linking to a flat image.
import { encode, opText, splitMnemonic, allMnemonics, type Encoded, type Fixup, type RelaxableBranch } from './encode.js';
import { AsmError, type SourcePos } from './errors.js';
import { link as linkSections, type LinkedImage } from './link.js';
import type { Mnemonic } from './mnemonics.js';
import type { Operand, SymRef } from './operands.js';
import { parseInto } from './parser.js';

export type SectionFlags = 'rx' | 'rw' | 'r' | 'bss' | 'note';

/** Source text of an item: the line as written, or the mnemonic and operands of a TS call (formatted on demand). */
export type ItemText = string | { mn: string; ops: readonly Operand[] };

export function itemText(t: ItemText): string {
  return typeof t === 'string' ? t : opText(t.mn, t.ops);
}

/** One unit of a section's contents, in order. */
export type Item =
  | { kind: 'bytes'; bytes: number[]; fixups: Fixup[]; pos?: SourcePos; text: ItemText }
  | { kind: 'branch'; branch: RelaxableBranch; pos?: SourcePos; text: ItemText }
  | { kind: 'align'; n: number; fill: number; pos?: SourcePos; text: ItemText }
  | { kind: 'org'; offset: number; pos?: SourcePos; text: ItemText }
  | { kind: 'res'; size: number; pos?: SourcePos; text: ItemText }
  /**
   * `times N <body>`, the body's bytes repeated N times when linking: N a constant (a body that is the same bytes each
   * time, kept once however large N is) or depending on addresses (found when linking).
   */
  | { kind: 'fill'; count: LinkCount; pattern: number[]; pos?: SourcePos; text: ItemText };

/** k + sum of coef * address(label), evaluated by the linker. */
export interface LinkCount {
  k: number;
  terms: [string, number][];
}

export interface Section {
  name: string;
  flags: SectionFlags;
  align: number;
  items: Item[];
  /** Label name -> index of the item it precedes. */
  labels: Map<string, number>;
  /** Size so far while it does not depend on branch sizing (undefined after the first relaxable branch). */
  fixedSize: number | undefined;
  /** Offsets of labels defined while the size was fixed. */
  fixedLabels: Map<string, number>;
}

export interface AssemblerOptions {
  /** File name used in positions when no loc() was given. */
  file?: string;
}

const defaultFlags: Record<string, SectionFlags> = {
  '.text': 'rx', '.data': 'rw', '.rodata': 'r', '.bss': 'bss', '__xen_guest': 'note',
};

function flagsFor(name: string): SectionFlags {
  if (defaultFlags[name]) return defaultFlags[name];
  if (name.startsWith('.text')) return 'rx';
  if (name.startsWith('.rodata')) return 'r';
  if (name.startsWith('.bss')) return 'bss';
  if (name.startsWith('.note')) return 'note';
  return 'rw';
}

const textEncoder = new TextEncoder();
/** Beyond this a `times` is a mistake, not a program (it would take minutes and gigabytes). */
export const MAX_TIMES = 1 << 24;

export class Assembler {
  readonly file: string;
  /** Sections in the order they were first named. Flags 'note' means not loaded (an SHT_NOTE when named .note*). */
  readonly sections: Section[] = [];
  readonly globals = new Set<string>();
  /** Where each global was first declared, for "global symbol 'x' is not defined". */
  readonly globalPos = new Map<string, SourcePos>();
  /** Absolute symbols from equ(). */
  readonly constants = new Map<string, number>();
  private cur: Section | undefined;
  private scope = '';
  private pos: SourcePos | undefined;
  /** Where every label was defined, for duplicate-label errors. */
  private readonly labelSection = new Map<string, Section>();
  private hiddenCount = 0;

  constructor(opts: AssemblerOptions = {}) {
    this.file = opts.file ?? 'asm';
  }

  // ---- sections, labels, positions ----

  section(name: string, opts: { align?: number; flags?: SectionFlags } = {}): void {
    let s = this.sections.find((x) => x.name === name);
    if (!s) {
      s = { name, flags: opts.flags ?? flagsFor(name), align: opts.align ?? 1, items: [], labels: new Map(), fixedSize: 0, fixedLabels: new Map() };
      this.sections.push(s);
    } else {
      if (opts.flags && opts.flags !== s.flags) this.fail(`section ${name} was opened with flags '${s.flags}', not '${opts.flags}'`);
      if (opts.align) s.align = Math.max(s.align, opts.align);
    }
    this.cur = s;
  }

  /** The section being filled (.text if none was named yet). */
  get currentSection(): Section {
    if (!this.cur) this.section('.text');
    return this.cur!;
  }

  /** Full name of a label as written: '.x' is local to the last non-local label, as in nasm. */
  qualify(name: string): string {
    if (name.startsWith('.') && !name.startsWith('..')) {
      if (!this.scope) this.fail(`local label '${name}' has no preceding non-local label`);
      return this.scope + name;
    }
    return name;
  }

  label(name: string): void {
    if (!/^[A-Za-z_.?$@][\w.?$@#~]*$/.test(name)) this.fail(`'${name}' is not a valid label name`);
    const full = this.qualify(name);
    if (this.labelSection.has(full) || this.constants.has(full)) this.fail(`label '${full}' is defined twice`);
    const s = this.currentSection;
    s.labels.set(full, s.items.length);
    if (s.fixedSize !== undefined) s.fixedLabels.set(full, s.fixedSize);
    this.labelSection.set(full, s);
    if (!name.startsWith('.') && !name.startsWith('..@')) this.scope = name;
  }

  /** A label at the current position that no user can name (for `$`). */
  here(): SymRef {
    const name = `..@${this.hiddenCount++}`;
    const s = this.currentSection;
    s.labels.set(name, s.items.length);
    this.labelSection.set(name, s);
    return { kind: 'sym', name, addend: 0 };
  }

  /** A label at the start of the current section (for `$$`). */
  sectionStart(): SymRef {
    const s = this.currentSection;
    const name = `..@start${s.name}`;
    if (!s.labels.has(name)) {
      s.labels.set(name, 0);
      s.fixedLabels.set(name, 0);
      this.labelSection.set(name, s);
    }
    return { kind: 'sym', name, addend: 0 };
  }

  /** Section and offset of a label (or `$`, `$$`) when they are already known, for folding label differences. */
  knownOffset(name: string): { section: string; offset: number } | undefined {
    const s = this.currentSection;
    if (name === '$') {
      const at = this.dollar ? this.dollar.offset : s.fixedSize;
      return at === undefined ? undefined : { section: s.name, offset: at };
    }
    if (name === '$$') return { section: s.name, offset: 0 };
    const ls = this.labelSection.get(name);
    const off = ls?.fixedLabels.get(name);
    return ls && off !== undefined ? { section: ls.name, offset: off } : undefined;
  }

  global(name: string): void {
    this.globals.add(name);
    if (this.pos && !this.globalPos.has(name)) this.globalPos.set(name, this.pos);
  }

  /** An absolute symbol (nasm `equ`). */
  equ(name: string, value: number): void {
    const full = this.qualify(name);
    if (this.labelSection.has(full) || this.constants.has(full)) this.fail(`symbol '${full}' is defined twice`);
    this.constants.set(full, value);
  }

  /** Source position recorded for the following instructions and data. */
  loc(file: string, line: number, column?: number): void {
    this.pos = { file, line, column };
  }

  /** Current source position (as given by loc() or the text() line being assembled). */
  get position(): SourcePos | undefined {
    return this.pos;
  }

  private fail(problem: string, text?: ItemText): never {
    throw new AsmError(problem, this.pos, text === undefined ? undefined : itemText(text));
  }

  /** The source line being assembled by text(), used as the items' text instead of a reformatted one. */
  lineText: string | undefined;

  /** What `$` means while a `times` line repeats its body: the start of that line, as in nasm (not each repeat's). */
  dollar: { name: string; offset: number | undefined } | undefined;

  private emit(item: Item): void {
    const s = this.currentSection;
    if (s.flags === 'bss' && ((item.kind === 'bytes' && item.bytes.some((b) => b !== 0)) || (item.kind === 'fill' && item.pattern.some((b) => b !== 0)))) {
      this.fail(`section ${s.name} holds no data: use resb/resd there, or put initialised data in .data`, item.text);
    }
    item.pos = this.pos;
    if (s.fixedSize !== undefined) {
      const at = s.fixedSize;
      switch (item.kind) {
        case 'bytes': s.fixedSize += item.bytes.length; break;
        case 'res': s.fixedSize += item.size; break;
        case 'align': s.fixedSize += (item.n - (at % item.n)) % item.n; break;
        case 'org': s.fixedSize = Math.max(at, item.offset); break;
        case 'fill': s.fixedSize = item.count.terms.length ? undefined : at + Math.max(0, item.count.k) * item.pattern.length; break;
        case 'branch': s.fixedSize = undefined; break;
      }
    }
    s.items.push(item);
  }

  // ---- instructions ----

  /** Any instruction: ins('mov', eax, 1), ins('rep movsd'), ins('lock cmpxchg', mem({ base: edi }), ecx), ins('jmp short', sym('x')). */
  ins(mnemonic: string, ...operands: Operand[]): void {
    const ops: Operand[] = [];
    let needsConst = false;
    for (const o of operands) {
      const q = typeof o === 'object' && o.kind !== 'reg' ? this.qualifyOperand(o) : o;
      ops.push(q);
      if (typeof q === 'object' && q.kind !== 'reg') needsConst = true;
    }
    const text: ItemText = this.lineText ?? { mn: mnemonic.trim().toLowerCase(), ops };
    try {
      const req = splitMnemonic(mnemonic);
      const e = encode(req, needsConst ? ops.map((o) => this.constantOperand(o)) : ops);
      if ('short' in e) this.emit({ kind: 'branch', branch: e, text });
      else this.emit({ kind: 'bytes', bytes: e.bytes, fixups: e.fixups, text });
    } catch (err) {
      if (err instanceof AsmError && !err.pos) this.fail(err.problem, text);
      throw err;
    }
  }

  private qualifyOperand(o: Operand): Operand {
    if (typeof o !== 'object') return o;
    if (o.kind === 'sym') return o.name.startsWith('.') ? { ...o, name: this.qualify(o.name) } : o;
    if (o.kind === 'mem' && typeof o.disp === 'object') return { ...o, disp: this.qualifyOperand(o.disp) as SymRef };
    if (o.kind === 'far' && typeof o.offset === 'object') return { ...o, offset: this.qualifyOperand(o.offset) as SymRef };
    if (o.kind === 'imm' && typeof o.value === 'object') return { ...o, value: this.qualifyOperand(o.value) as SymRef };
    return o;
  }

  /** equ constants become plain numbers so that they get the short encodings numbers get. */
  private constantOperand(o: Operand): Operand {
    if (typeof o !== 'object' || this.constants.size === 0) return o;
    if (o.kind === 'sym') return this.constantOf(o);
    if (o.kind === 'mem' && typeof o.disp === 'object') return { ...o, disp: this.constantOf(o.disp) };
    if (o.kind === 'far' && typeof o.offset === 'object') return { ...o, offset: this.constantOf(o.offset) };
    if (o.kind === 'imm' && typeof o.value === 'object') return { ...o, value: this.constantOf(o.value) };
    return o;
  }

  private constantOf(s: SymRef): SymRef | number {
    const v = s.minus === undefined ? this.constants.get(s.name) : undefined;
    return v === undefined ? s : v + s.addend;
  }

  // ---- data ----

  private data(size: 1 | 2 | 4 | 8, directive: string, values: (number | bigint | string | SymRef)[]): void {
    const bytes: number[] = [];
    const fixups: Fixup[] = [];
    const text = this.lineText ?? `${directive} ${values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? opText('', [v]).trim() : String(v))).join(', ')}`;
    for (let v of values) {
      if (typeof v === 'string') {
        for (const b of textEncoder.encode(v)) bytes.push(b);
        while (bytes.length % size) bytes.push(0);
        continue;
      }
      if (typeof v === 'object') {
        v = this.qualifyOperand(v) as SymRef;
        const c = this.constants.get(v.name);
        if (c === undefined) {
          if (size === 8) this.fail(`a symbol address is 32 bits; use dd, not dq`, text);
          fixups.push({ at: bytes.length, size: size as 1 | 2 | 4, target: v, pcrel: false, end: 0 });
          for (let i = 0; i < size; i++) bytes.push(0);
          continue;
        }
        v = c + v.addend;
      }
      let big: bigint;
      if (typeof v === 'bigint') big = v;
      else {
        if (!Number.isInteger(v)) this.fail(`${v} is not an integer`, text);
        big = BigInt(v);
      }
      const bits = BigInt(size * 8);
      if (big < -(1n << (bits - 1n)) || big >= 1n << bits) this.fail(`value ${v} does not fit in ${size * 8} bits`, text);
      const u = BigInt.asUintN(size * 8, big);
      for (let i = 0n; i < BigInt(size); i++) bytes.push(Number((u >> (8n * i)) & 0xffn));
    }
    this.emit({ kind: 'bytes', bytes, fixups, text });
  }

  db(...v: (number | string | SymRef)[]): void { this.data(1, 'db', v); }
  dw(...v: (number | string | SymRef)[]): void { this.data(2, 'dw', v); }
  dd(...v: (number | string | SymRef)[]): void { this.data(4, 'dd', v); }
  dq(...v: (number | bigint)[]): void { this.data(8, 'dq', v); }
  /** Raw bytes (no spread of large arrays needed). */
  bytes(data: Uint8Array | readonly number[]): void {
    const bytes = Array.from(data);
    for (const b of bytes) if (!Number.isInteger(b) || b < -128 || b > 255) this.fail(`byte value ${b} does not fit in 8 bits`, 'db');
    this.emit({ kind: 'bytes', bytes: bytes.map((b) => b & 0xff), fixups: [], text: this.lineText ?? `db <${bytes.length} bytes>` });
  }
  ascii(s: string): void { this.data(1, 'db', [s]); }
  asciz(s: string): void { this.data(1, 'db', [s, 0]); }

  /** Pads to a multiple of n: with nop (0x90) in code sections and zeros elsewhere unless `fill` says otherwise. */
  align(n: number, fill?: number): void {
    if (!Number.isInteger(n) || n <= 0 || (n & (n - 1)) !== 0) this.fail(`alignment ${n} is not a power of two`, `align ${n}`);
    const s = this.currentSection;
    const f = fill ?? (s.flags === 'rx' ? 0x90 : 0);
    if (!Number.isInteger(f) || f < -128 || f > 255) this.fail(`fill value ${f} does not fit in a byte`, `align ${n}`);
    if (n > s.align) s.align = n;
    this.emit({ kind: 'align', n, fill: f & 0xff, text: `align ${n}` });
  }

  /** nasm's alignb: pads with zeros (reserved space in bss). */
  alignReserve(n: number): void {
    this.align(n, 0);
  }

  times(n: number, fn: (i: number) => void): void {
    if (!Number.isInteger(n) || n < 0) this.fail(`times count ${n} must be a non-negative integer`, 'times');
    if (n > MAX_TIMES) this.fail(`times count ${n} is larger than ${MAX_TIMES}; reserve space with resb instead`, 'times');
    for (let i = 0; i < n; i++) fn(i);
  }

  private reserve(unit: number, n: number, directive: string): void {
    if (!Number.isInteger(n) || n < 0) this.fail(`${directive} count ${n} must be a non-negative integer`, `${directive} ${n}`);
    this.emit({ kind: 'res', size: unit * n, text: this.lineText ?? `${directive} ${n}` });
  }
  resb(n: number): void { this.reserve(1, n, 'resb'); }
  resw(n: number): void { this.reserve(2, n, 'resw'); }
  resd(n: number): void { this.reserve(4, n, 'resd'); }
  resq(n: number): void { this.reserve(8, n, 'resq'); }

  /**
   * `pattern` repeated `count` times, stored once: the count a constant (text() uses it for `times 1000 nop`) or
   * known only when linking (`times 64-($-$$) db 0` after jumps).
   */
  fill(count: LinkCount, pattern: readonly number[]): void {
    if (pattern.length === 0) this.fail('times repeats nothing');
    if (!count.terms.length && (!Number.isInteger(count.k) || count.k < 0 || count.k > MAX_TIMES)) this.fail(`times count ${count.k} must be an integer from 0 to ${MAX_TIMES}`, this.lineText ?? 'times');
    this.emit({ kind: 'fill', count, pattern: [...pattern], text: this.lineText ?? 'times' });
  }

  /** Pads the section with zeros up to `offset` bytes from its start (as gas's .org). */
  org(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0) this.fail(`org offset ${offset} must be a non-negative integer`, `org ${offset}`);
    this.emit({ kind: 'org', offset, text: `org 0x${offset.toString(16)}` });
  }

  /** nasm-syntax source: instructions, labels, data, times, align, section, global, equ. */
  text(source: string, origin?: { file: string; line: number }): void {
    const saved = this.pos;
    try {
      parseInto(this, source, origin ?? { file: this.pos?.file ?? this.file, line: this.pos?.line ?? 1 });
    } finally {
      this.pos = saved;
    }
  }

  /** Lays sections out from `base` (each page-aligned), resolves symbols and sizes branches. */
  link(opts: { base: number }): LinkedImage {
    return linkSections(this.sections, this.constants, this.globals, opts.base, this.globalPos);
  }
}

type InsMethods = { [K in Mnemonic]: (...operands: Operand[]) => void };
// One method per mnemonic (a.mov(eax, 1), a.jne(sym('loop'))), all going through ins().
export interface Assembler extends InsMethods {}
for (const mn of allMnemonics()) {
  if (mn in Assembler.prototype) continue;
  Object.defineProperty(Assembler.prototype, mn, {
    value: function (this: Assembler, ...ops: Operand[]) { this.ins(mn, ...ops); },
    writable: true,
    configurable: true,
  });
}

export type { Encoded };
