// Linking: lays sections out (page-aligned), sizes branches to a fixed point as nasm does, and patches symbol fields.
import { itemText, type Item, type ItemText, type Section } from './assembler.js';
import type { Fixup } from './encode.js';
import { AsmError, type SourcePos } from './errors.js';
import type { SymRef } from './operands.js';

export interface LinkedSection {
  name: string;
  /** Virtual address; 0 for sections that are not loaded (notes, __xen_guest). */
  addr: number;
  /** File contents; empty for bss. */
  bytes: Uint8Array;
  /** Size in memory (bss exceeds bytes). */
  size: number;
  flags: string;
}

export interface LineEntry {
  addr: number;
  file: string;
  line: number;
  column?: number;
}

export interface LinkedImage {
  sections: LinkedSection[];
  /** Every label (local ones as 'parent.x') and equ constant, by name. */
  symbols: Map<string, number>;
  /** Names given to global(). */
  globals: Set<string>;
  /** equ constants (not addresses). */
  absolute: Set<string>;
  /** Address -> source position, sorted by address; each entry holds until the next. */
  lines: LineEntry[];
  /** Where each global was declared (for errors about globals never defined). */
  globalPos?: Map<string, SourcePos>;
  /** Address, bytes and source of every instruction and datum. */
  listing(): string;
}

const PAGE = 4096;
/** Largest section with contents we build in memory (256 MiB). */
const MAX_SECTION = 1 << 28;
const alignUp = (v: number, a: number) => Math.ceil(v / a) * a;

export function isLoaded(flags: string): boolean {
  return flags !== 'note';
}

interface Layout {
  addr: number;
  /** Offset of each item, plus the section's size at the end. */
  offsets: number[];
}

function itemError(item: Item, problem: string): AsmError {
  return new AsmError(problem, item.pos, itemText(item.text));
}

export function link(sections: Section[], constants: Map<string, number>, globals: Set<string>, base: number, globalPos?: Map<string, SourcePos>): LinkedImage {
  if (!Number.isInteger(base) || base < 0 || base > 0xffffffff) throw new AsmError(`link base ${base} is not a 32-bit address`);
  const long = sections.map((s) => s.items.map((it) => it.kind === 'branch' && it.branch.force === 'near'));
  // A constant count is known from the start (so branch sizing starts from the true layout); others are found below.
  const fillCount = sections.map((s) => s.items.map((it) => (it.kind === 'fill' && !it.count.terms.length ? it.count.k : 0)));
  const fillRaw = sections.map((s) => s.items.map(() => 0));
  const labelSection = new Map<string, number>();
  sections.forEach((s, si) => s.labels.forEach((_, name) => labelSection.set(name, si)));

  const itemSize = (it: Item, si: number, ii: number, at: number): number => {
    switch (it.kind) {
      case 'bytes': return it.bytes.length;
      case 'branch': return it.branch.prefix.length + (long[si][ii] ? it.branch.near.length + 4 : it.branch.short.length + 1);
      case 'align': return (it.n - (at % it.n)) % it.n;
      case 'org': return Math.max(0, it.offset - at);
      case 'res': return it.size;
      case 'fill': return fillCount[si][ii] * it.pattern.length;
    }
  };

  let layouts: Layout[] = [];
  let symbols = new Map<string, number>();
  const resolve = (t: SymRef | number, item: Item): number => {
    if (typeof t === 'number') return t;
    const v = symbols.get(t.name) ?? constants.get(t.name);
    if (v === undefined) throw itemError(item, `undefined symbol '${t.name}'`);
    if (t.minus !== undefined) {
      const m = symbols.get(t.minus) ?? constants.get(t.minus);
      if (m === undefined) throw itemError(item, `undefined symbol '${t.minus}'`);
      return v + t.addend - m;
    }
    return (v + t.addend) >>> 0;
  };

  let lastChanged: Item | undefined;
  for (let pass = 0; ; pass++) {
    layouts = [];
    let cursor = base;
    let first = true;
    sections.forEach((s, si) => {
      const loaded = isLoaded(s.flags);
      // The first loaded section starts at base (rounded up to its alignment, as nasm does with org); the others
      // on the next page (or stricter) boundary.
      const addr = !loaded ? 0 : first ? alignUp(base, s.align) : alignUp(cursor, Math.max(PAGE, s.align));
      if (loaded) first = false;
      const offsets: number[] = [];
      let off = 0;
      s.items.forEach((it, ii) => {
        offsets.push(off);
        off += itemSize(it, si, ii, off); // align and org count from the section start, like nasm's $$
        // Named at the item that crosses the limit, so that the error points at a source line.
        if (loaded && addr + off > 0x100000000) throw itemError(it, `section ${s.name} ends beyond the 4 GiB address space`);
      });
      offsets.push(off);
      if (loaded) cursor = addr + off;
      layouts.push({ addr, offsets });
    });
    symbols = new Map();
    sections.forEach((s, si) => s.labels.forEach((idx, name) => symbols.set(name, layouts[si].addr + layouts[si].offsets[idx])));
    let changed = false;
    sections.forEach((s, si) => s.items.forEach((it, ii) => {
      if (it.kind !== 'branch' || long[si][ii]) return;
      const t = it.branch.target;
      const crossSection = typeof t === 'object' && labelSection.has(t.name) && labelSection.get(t.name) !== si;
      const end = layouts[si].addr + layouts[si].offsets[ii] + it.branch.prefix.length + it.branch.short.length + 1;
      const d = (resolve(t, it) - end) | 0;
      if (crossSection || d < -128 || d > 127) {
        if (it.branch.force === 'short') {
          throw itemError(it, crossSection ? 'a short jump cannot reach another section' : `short jump out of range by ${d < 0 ? -128 - d : d - 127} bytes`);
        }
        long[si][ii] = true;
        changed = true;
      }
    }));
    sections.forEach((s, si) => s.items.forEach((it, ii) => {
      if (it.kind !== 'fill') return;
      let n = it.count.k;
      for (const [name, coef] of it.count.terms) {
        const v = symbols.get(name) ?? constants.get(name);
        if (v === undefined) throw itemError(it, `undefined symbol '${name}'`);
        n += coef * v;
      }
      if (!Number.isInteger(n)) throw itemError(it, `times count ${n} is not an integer`);
      if (n > MAX_SECTION) throw itemError(it, `times count ${n} is too large`);
      const used = Math.max(0, n);
      fillRaw[si][ii] = n;
      if (used !== fillCount[si][ii]) {
        fillCount[si][ii] = used;
        changed = true;
        lastChanged = it;
      }
    }));
    if (!changed) {
      sections.forEach((s, si) => s.items.forEach((it, ii) => {
        if (it.kind === 'fill' && fillRaw[si][ii] < 0) throw itemError(it, `times count is negative (${fillRaw[si][ii]}): the code before it is already too long`);
      }));
      break;
    }
    if (pass > 1000) {
      const problem = 'branch sizes and times counts did not settle: a times count depends on its own size';
      throw lastChanged ? itemError(lastChanged, problem) : new AsmError(problem);
    }
  }

  const linked: LinkedSection[] = [];
  const lines: LineEntry[] = [];
  const listingRows: ListingRow[] = [];
  sections.forEach((s, si) => {
    const { addr, offsets } = layouts[si];
    const size = offsets[offsets.length - 1];
    const bss = s.flags === 'bss';
    if (!bss && size > MAX_SECTION) {
      const over = s.items[offsets.findIndex((o) => o > MAX_SECTION) - 1];
      const problem = `section ${s.name} would hold ${size} bytes, more than ${MAX_SECTION}: use .bss (resb) for large zeroed areas`;
      throw over ? itemError(over, problem) : new AsmError(problem);
    }
    const out = new Uint8Array(bss ? 0 : size);
    s.items.forEach((it, ii) => {
      const off = offsets[ii];
      const at = addr + off;
      const len = offsets[ii + 1] - off;
      if (it.kind === 'org' && it.offset < off) throw itemError(it, `org 0x${it.offset.toString(16)} is behind the current offset 0x${off.toString(16)}`);
      if (!bss) {
        if (it.kind === 'bytes') {
          out.set(it.bytes, off);
          for (const f of it.fixups) patch(out, off, at, f, resolve(f.target, it), it);
        } else if (it.kind === 'branch') {
          const b = it.branch;
          const op = long[si][ii] ? b.near : b.short;
          out.set([...b.prefix, ...op], off);
          const field: Fixup = { at: b.prefix.length + op.length, size: long[si][ii] ? 4 : 1, target: b.target, pcrel: true, end: len };
          patch(out, off, at, field, resolve(b.target, it), it);
        } else if (it.kind === 'align') out.fill(it.fill, off, off + len);
        else if (it.kind === 'fill') repeatInto(out, off, len, it.pattern);
      }
      if (isLoaded(s.flags) && it.pos && len > 0 && (it.kind === 'bytes' || it.kind === 'branch' || it.kind === 'fill')) {
        const last = lines[lines.length - 1];
        if (!last || last.file !== it.pos.file || last.line !== it.pos.line || last.column !== it.pos.column) {
          lines.push({ addr: at, file: it.pos.file, line: it.pos.line, ...(it.pos.column !== undefined ? { column: it.pos.column } : {}) });
        }
      }
      listingRows.push({ section: s.name, addr: at, bytes: bss ? new Uint8Array(0) : out.subarray(off, off + len), text: it.text, pos: it.pos });
    });
    linked.push({ name: s.name, addr, bytes: out, size, flags: s.flags });
  });
  for (const [k, v] of constants) symbols.set(k, v);
  for (const k of [...symbols.keys()]) if (k.startsWith('..@')) symbols.delete(k);
  lines.sort((a, b) => a.addr - b.addr);
  return {
    sections: linked,
    symbols,
    globals: new Set(globals),
    absolute: new Set(constants.keys()),
    lines,
    ...(globalPos ? { globalPos: new Map(globalPos) } : {}),
    listing: () => formatListing(listingRows, symbols, new Set(constants.keys())),
  };
}

/** `pattern` repeated over out[off, off+len): written once, then copied in doubling runs. */
function repeatInto(out: Uint8Array, off: number, len: number, pattern: readonly number[]): void {
  if (len <= 0) return;
  if (pattern.length === 1) {
    out.fill(pattern[0], off, off + len);
    return;
  }
  const first = Math.min(len, pattern.length);
  for (let k = 0; k < first; k++) out[off + k] = pattern[k];
  for (let done = first; done < len; ) {
    const n = Math.min(done, len - done);
    out.copyWithin(off + done, off, off + n);
    done += n;
  }
}

function patch(out: Uint8Array, off: number, at: number, f: Fixup, target: number, item: Item): void {
  let v = target;
  if (f.pcrel) {
    v = (target - (at + f.end)) | 0;
    if (f.size === 1 && (v < -128 || v > 127)) throw itemError(item, `jump target out of range by ${v < 0 ? -128 - v : v - 127} bytes (this instruction reaches only -128..127)`);
    // a 16-bit jump leaves EIP = (next + disp) & 0xffff: only targets below 64 KiB are reachable
    if (f.size === 2 && target >>> 0 > 0xffff) throw itemError(item, `a 16-bit jump (word) cannot reach 0x${(target >>> 0).toString(16)}: it only reaches addresses below 0x10000; drop 'word'`);
  } else if (f.size < 4) {
    const signed = v | 0;
    const max = f.size === 1 ? 0xff : 0xffff;
    if (!(v <= max || (signed < 0 && signed >= -((max + 1) / 2)))) {
      throw itemError(item, `address 0x${(v >>> 0).toString(16)} does not fit in ${f.size * 8} bits`);
    }
  }
  for (let i = 0; i < f.size; i++) out[off + f.at + i] = (v >>> (8 * i)) & 0xff;
}

/** Bytes of one item shown in the listing; the rest are counted. */
const LISTING_BYTES = 256;

interface ListingRow { section: string; addr: number; bytes: Uint8Array; text: ItemText; pos?: SourcePos }

function formatListing(rows: ListingRow[], symbols: Map<string, number>, absolute: Set<string>): string {
  const labelsAt = new Map<number, string[]>();
  for (const [name, addr] of symbols) if (!absolute.has(name)) (labelsAt.get(addr) ?? labelsAt.set(addr, []).get(addr)!).push(name);
  const out: string[] = [];
  let section = '';
  let lastPos = '';
  const shown = new Set<number>();
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      out.push(`section ${section}`);
    }
    if (!shown.has(r.addr) && labelsAt.has(r.addr)) {
      shown.add(r.addr);
      for (const l of labelsAt.get(r.addr)!) out.push(`${l}:`);
    }
    const pos = r.pos ? `${r.pos.file}:${r.pos.line}` : '';
    if (pos && pos !== lastPos) out.push(`; ${pos}`);
    lastPos = pos;
    const hex = (from: number) => [...r.bytes.subarray(from, from + 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    out.push(`${r.addr.toString(16).padStart(8, '0')}  ${hex(0).padEnd(24)}  ${itemText(r.text)}`);
    // A long item (a large times or buffer) shows its first bytes and its size, not megabytes of hex.
    const upto = Math.min(r.bytes.length, LISTING_BYTES);
    for (let i = 8; i < upto; i += 8) out.push(`${(r.addr + i).toString(16).padStart(8, '0')}  ${hex(i)}`);
    if (r.bytes.length > upto) out.push(`${' '.repeat(10)}... ${r.bytes.length} bytes in all`);
  }
  return out.join('\n') + '\n';
}
