// readElf32: a defensive ELF32 reader for symbolisation (hypervisor crash reports, grader, debugger).
// Every offset is bounds-checked; malformed input raises ElfError with what is wrong, never a host exception.
import { decodeLineTable, LINES_SECTION } from './lines.js';
import type { LineEntry } from './link.js';

export class ElfError extends Error {
  override name = 'ElfError';
}

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  /** File contents (empty for SHT_NOBITS). */
  data: Uint8Array;
}

export interface ElfSegment {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
  /** The file bytes of the segment (filesz long). */
  data: Uint8Array;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  shndx: number;
}

export interface ElfNote {
  owner: string;
  type: number;
  desc: Uint8Array;
}

export interface Elf32 {
  type: number;
  machine: number;
  entry: number;
  sections: ElfSection[];
  segments: ElfSegment[];
  symbols: ElfSymbol[];
  /** From `.xenlab.lines`, or empty. */
  lines: LineEntry[];
  /** The `__xen_guest` string without its NUL, if present. */
  xenGuest?: string;
  notes: ElfNote[];
}

const dec = new TextDecoder();

function cstr(b: Uint8Array, off: number): string {
  if (off >= b.length) return '';
  let end = off;
  while (end < b.length && b[end] !== 0) end++;
  return dec.decode(b.subarray(off, end));
}

function slice(bytes: Uint8Array, off: number, len: number, what: string): Uint8Array {
  if (off < 0 || len < 0 || off + len > bytes.length) {
    throw new ElfError(`${what} (offset 0x${off.toString(16)}, size 0x${len.toString(16)}) lies outside the ${bytes.length}-byte file`);
  }
  return bytes.subarray(off, off + len);
}

function parseNotes(data: Uint8Array, into: ElfNote[]): void {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  while (o + 12 <= data.length) {
    const namesz = v.getUint32(o, true), descsz = v.getUint32(o + 4, true), type = v.getUint32(o + 8, true);
    const nameOff = o + 12, descOff = nameOff + ((namesz + 3) & ~3);
    const next = descOff + ((descsz + 3) & ~3);
    if (namesz > data.length || descsz > data.length || descOff + descsz > data.length) return;
    into.push({ owner: cstr(data.subarray(nameOff, nameOff + namesz), 0), type, desc: data.slice(descOff, descOff + descsz) });
    o = next;
  }
}

export function readElf32(input: Uint8Array | ArrayBuffer): Elf32 {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 52) throw new ElfError(`not an ELF file: only ${bytes.length} bytes`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw new ElfError('not an ELF file: bad magic');
  if (bytes[4] !== 1) throw new ElfError(`not a 32-bit ELF file (class ${bytes[4]})`);
  if (bytes[5] !== 1) throw new ElfError('not a little-endian ELF file');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = v.getUint16(16, true), machine = v.getUint16(18, true), entry = v.getUint32(24, true);
  const phoff = v.getUint32(28, true), shoff = v.getUint32(32, true);
  const phentsize = v.getUint16(42, true), phnum = v.getUint16(44, true);
  const shentsize = v.getUint16(46, true), shnum = v.getUint16(48, true), shstrndx = v.getUint16(50, true);

  const segments: ElfSegment[] = [];
  if (phnum) {
    if (phentsize < 32) throw new ElfError(`program header entries of ${phentsize} bytes are too small`);
    slice(bytes, phoff, phnum * phentsize, 'the program header table');
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      const f = (k: number) => v.getUint32(o + 4 * k, true);
      const seg = { type: f(0), offset: f(1), vaddr: f(2), paddr: f(3), filesz: f(4), memsz: f(5), flags: f(6), align: f(7) };
      segments.push({ ...seg, data: slice(bytes, seg.offset, seg.filesz, `segment ${i}`) });
    }
  }

  const sections: ElfSection[] = [];
  if (shnum) {
    if (shentsize < 40) throw new ElfError(`section header entries of ${shentsize} bytes are too small`);
    slice(bytes, shoff, shnum * shentsize, 'the section header table');
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      const f = (k: number) => v.getUint32(o + 4 * k, true);
      raw.push({ nameOff: f(0), type: f(1), flags: f(2), addr: f(3), offset: f(4), size: f(5), link: f(6), info: f(7) });
    }
    const strs = shstrndx < shnum && raw[shstrndx].type !== 8 ? slice(bytes, raw[shstrndx].offset, raw[shstrndx].size, 'the section name table') : new Uint8Array(0);
    raw.forEach((s, i) => {
      const data = s.type === 8 || i === 0 ? new Uint8Array(0) : slice(bytes, s.offset, s.size, `section ${i}`);
      sections.push({ name: cstr(strs, s.nameOff), type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, link: s.link, info: s.info, data });
    });
  }

  const symbols: ElfSymbol[] = [];
  for (const s of sections) {
    if (s.type !== 2) continue;
    const strtab = sections[s.link]?.data ?? new Uint8Array(0);
    const sv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    for (let o = 16; o + 16 <= s.data.length; o += 16) {
      const info = s.data[o + 12];
      symbols.push({
        name: cstr(strtab, sv.getUint32(o, true)), value: sv.getUint32(o + 4, true), size: sv.getUint32(o + 8, true),
        bind: info >> 4, type: info & 15, shndx: sv.getUint16(o + 14, true),
      });
    }
  }

  const notes: ElfNote[] = [];
  const noteSegs = segments.filter((p) => p.type === 4);
  if (noteSegs.length) noteSegs.forEach((p) => parseNotes(p.data, notes));
  else sections.filter((s) => s.type === 7).forEach((s) => parseNotes(s.data, notes));

  const guest = sections.find((s) => s.name === '__xen_guest');
  const linesSec = sections.find((s) => s.name === LINES_SECTION);
  return {
    type, machine, entry, sections, segments, symbols, notes,
    lines: (linesSec && decodeLineTable(linesSec.data)) ?? [],
    ...(guest ? { xenGuest: cstr(guest.data, 0) } : {}),
  };
}

/** The symbol covering `addr` (the nearest at or below it in the allocated section holding it) and the offset into it. */
export function symbolize(elf: Elf32, addr: number): { name: string; offset: number } | undefined {
  const inside = elf.sections.findIndex((s) => s.flags & 2 && addr >= s.addr && addr < s.addr + s.size);
  if (inside < 0) return undefined;
  let best: ElfSymbol | undefined;
  for (const s of elf.symbols) {
    if (!s.name || s.shndx !== inside || s.value > addr) continue;
    if (!best || s.value > best.value || (s.value === best.value && s.bind > best.bind)) best = s;
  }
  return best ? { name: best.name, offset: addr - best.value } : undefined;
}

/** "start_kernel+0x12 (kernel.ts:40:3)" for crash reports; the hex address alone when nothing is known. */
export function describeAddress(elf: Elf32, addr: number): string {
  const s = symbolize(elf, addr);
  let best: LineEntry | undefined;
  for (const l of elf.lines) if (l.addr <= addr && (!best || l.addr >= best.addr)) best = l;
  const where = s ? `${s.name}${s.offset ? '+0x' + s.offset.toString(16) : ''}` : `0x${(addr >>> 0).toString(16)}`;
  return best ? `${where} (${best.file}:${best.line}${best.column ? ':' + best.column : ''})` : where;
}
