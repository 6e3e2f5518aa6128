// ELF32 output (ET_EXEC, EM_386) with Xen's `__xen_guest` section, optional Xen ELF notes, symbols and a line table.
import { AsmError } from './errors.js';
import { isLoaded, type LinkedImage, type LineEntry } from './link.js';
import { encodeLineTable, LINES_SECTION } from './lines.js';

export interface ElfOptions {
  /** Entry point: an address or a symbol name. */
  entry: number | string;
  /** Contents of `__xen_guest`: keys merged over the defaults below, a verbatim string, or false for none.
   *  When omitted, an image section named __xen_guest is used if there is one, else the defaults. */
  xenGuest?: Record<string, string> | string | false;
  /** Also emit Xen ELF notes (PT_NOTE, owner "Xen") carrying the same facts; an object gives the facts for the notes
   *  in __xen_guest's keys (merged over the defaults), so that `xenGuest: false` makes a notes-only kernel. */
  xenNotes?: boolean | Record<string, string>;
  /** p_paddr = p_vaddr - paddrOffset (Xen's ELF_PADDR_OFFSET). Default 0. */
  paddrOffset?: number;
}

/** What the last non-PAE Mini-OS put in its guest header. */
export const defaultXenGuest: Readonly<Record<string, string>> = {
  GUEST_OS: 'Mini-OS', XEN_VER: 'xen-3.0', VIRT_BASE: '0x0', ELF_PADDR_OFFSET: '0x0', HYPERCALL_PAGE: '0x2', PAE: 'no', LOADER: 'generic',
};

/** XEN_ELFNOTE_* numbers (xen/include/public/elfnote.h). */
export const XenElfNote = {
  INFO: 0, ENTRY: 1, HYPERCALL_PAGE: 2, VIRT_BASE: 3, PADDR_OFFSET: 4, XEN_VERSION: 5, GUEST_OS: 6, GUEST_VERSION: 7,
  LOADER: 8, PAE_MODE: 9, FEATURES: 10, BSD_SYMTAB: 11,
} as const;

export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOTE: 7, NOBITS: 8 } as const;
export const SHF = { WRITE: 1, ALLOC: 2, EXECINSTR: 4 } as const;
export const PT = { LOAD: 1, NOTE: 4 } as const;
const PAGE = 0x1000;

class StrTab {
  bytes: number[] = [0];
  private seen = new Map<string, number>();
  add(s: string): number {
    if (s === '') return 0;
    const have = this.seen.get(s);
    if (have !== undefined) return have;
    const off = this.bytes.length;
    this.bytes.push(...new TextEncoder().encode(s), 0);
    this.seen.set(s, off);
    return off;
  }
}

interface OutSection {
  name: string; type: number; flags: number; addr: number; data: Uint8Array; size: number;
  link?: number; info?: number; align: number; entsize?: number; offset?: number;
}

function guestString(g: Record<string, string> | string): string {
  const s = typeof g === 'string' ? g : Object.entries({ ...defaultXenGuest, ...g }).map(([k, v]) => `${k}=${v}`).join(',');
  return s.endsWith('\0') ? s : s + '\0';
}

function parseGuest(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of s.replace(/\0+$/, '').split(',')) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
  }
  return m;
}

function notes(entries: [number, Uint8Array][]): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  for (const [type, desc] of entries) {
    u32(4); u32(desc.length); u32(type);
    out.push(0x58, 0x65, 0x6e, 0); // "Xen\0"
    out.push(...desc);
    while (out.length % 4) out.push(0);
  }
  return Uint8Array.from(out);
}

function xenNotesFrom(guest: Map<string, string>, entry: number): Uint8Array {
  const str = (s: string) => new TextEncoder().encode(s + '\0');
  const num = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const n = (k: string, dflt: number) => {
    const v = guest.get(k);
    if (v === undefined) return dflt;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new AsmError(`__xen_guest ${k}=${v} is not a number`);
    return x;
  };
  const virtBase = n('VIRT_BASE', 0);
  const list: [number, Uint8Array][] = [];
  if (guest.has('GUEST_OS')) list.push([XenElfNote.GUEST_OS, str(guest.get('GUEST_OS')!)]);
  if (guest.has('GUEST_VER')) list.push([XenElfNote.GUEST_VERSION, str(guest.get('GUEST_VER')!)]);
  list.push([XenElfNote.XEN_VERSION, str(guest.get('XEN_VER') ?? 'xen-3.0')]);
  list.push([XenElfNote.VIRT_BASE, num(virtBase)]);
  list.push([XenElfNote.PADDR_OFFSET, num(n('ELF_PADDR_OFFSET', virtBase))]);
  list.push([XenElfNote.ENTRY, num(entry)]);
  if (guest.has('HYPERCALL_PAGE')) list.push([XenElfNote.HYPERCALL_PAGE, num(n('HYPERCALL_PAGE', 0) * PAGE + virtBase)]);
  if (guest.has('FEATURES')) list.push([XenElfNote.FEATURES, str(guest.get('FEATURES')!)]);
  list.push([XenElfNote.LOADER, str(guest.get('LOADER') ?? 'generic')]);
  if (guest.has('PAE')) list.push([XenElfNote.PAE_MODE, str(guest.get('PAE')!)]);
  return notes(list);
}

export function writeElf32(image: LinkedImage, opts: ElfOptions): Uint8Array {
  const entry = typeof opts.entry === 'number' ? opts.entry : image.symbols.get(opts.entry);
  if (entry === undefined) throw new AsmError(`entry symbol '${opts.entry}' is not defined`);
  const paddrOffset = opts.paddrOffset ?? 0;
  const secs: OutSection[] = [{ name: '', type: SHT.NULL, flags: 0, addr: 0, data: new Uint8Array(0), size: 0, align: 0 }];
  const imageIndex = new Map<string, number>();
  let guestText: string | undefined;
  for (const s of image.sections) {
    if (s.name === '__xen_guest') {
      if (opts.xenGuest === undefined) guestText = new TextDecoder().decode(s.bytes);
      continue;
    }
    const loaded = isLoaded(s.flags);
    const flags = !loaded ? 0 : SHF.ALLOC | (s.flags === 'rx' ? SHF.EXECINSTR : 0) | (s.flags === 'rw' || s.flags === 'bss' ? SHF.WRITE : 0);
    const type = s.flags === 'bss' ? SHT.NOBITS : s.flags === 'note' && s.name.startsWith('.note') ? SHT.NOTE : SHT.PROGBITS;
    imageIndex.set(s.name, secs.length);
    secs.push({ name: s.name, type, flags, addr: s.addr, data: s.bytes, size: s.size, align: loaded ? PAGE : 4 });
  }
  if (opts.xenGuest !== false) {
    guestText ??= guestString(opts.xenGuest ?? {});
    if (typeof opts.xenGuest === 'object' || typeof opts.xenGuest === 'string') guestText = guestString(opts.xenGuest);
    const data = new TextEncoder().encode(guestText.endsWith('\0') ? guestText : guestText + '\0');
    secs.push({ name: '__xen_guest', type: SHT.PROGBITS, flags: 0, addr: 0, data, size: data.length, align: 1 });
  }
  if (opts.xenNotes) {
    const facts = typeof opts.xenNotes === 'object' ? guestString(opts.xenNotes) : guestText ?? guestString({});
    const data = xenNotesFrom(parseGuest(facts), entry);
    secs.push({ name: '.note.Xen', type: SHT.NOTE, flags: 0, addr: 0, data, size: data.length, align: 4 });
  }
  const lines = encodeLineTable(image.lines);
  secs.push({ name: LINES_SECTION, type: SHT.PROGBITS, flags: 0, addr: 0, data: lines, size: lines.length, align: 4 });

  // Symbols: locals first, as ELF requires.
  const strtab = new StrTab();
  const symEntries: { name: number; value: number; shndx: number; bind: number }[] = [];
  const loadedSecs = secs.map((s, i) => ({ s, i })).filter(({ s }) => s.flags & SHF.ALLOC);
  const sectionOf = (addr: number) => {
    const hit = loadedSecs.find(({ s }) => addr >= s.addr && addr < s.addr + s.size) ?? loadedSecs.find(({ s }) => addr === s.addr + s.size);
    return hit ? hit.i : 0xfff1;
  };
  const names = [...image.symbols.keys()].sort((a, b) => image.symbols.get(a)! - image.symbols.get(b)! || a.localeCompare(b));
  for (const bind of [0, 1]) {
    for (const n of names) {
      if ((image.globals.has(n) ? 1 : 0) !== bind) continue;
      const v = image.symbols.get(n)!;
      symEntries.push({ name: strtab.add(n), value: v >>> 0, shndx: image.absolute.has(n) ? 0xfff1 : sectionOf(v), bind });
    }
  }
  for (const g of image.globals) if (!image.symbols.has(g)) throw new AsmError(`global symbol '${g}' is not defined`, image.globalPos?.get(g), `global ${g}`);
  const firstGlobal = 1 + symEntries.filter((e) => e.bind === 0).length;
  const symtab = new Uint8Array(16 * (symEntries.length + 1));
  const sv = new DataView(symtab.buffer);
  symEntries.forEach((e, i) => {
    const o = 16 * (i + 1);
    sv.setUint32(o, e.name, true); sv.setUint32(o + 4, e.value, true); sv.setUint32(o + 8, 0, true);
    symtab[o + 12] = (e.bind << 4) | 0; sv.setUint16(o + 14, e.shndx, true);
  });
  const symIndex = secs.length;
  secs.push({ name: '.symtab', type: SHT.SYMTAB, flags: 0, addr: 0, data: symtab, size: symtab.length, link: symIndex + 1, info: firstGlobal, align: 4, entsize: 16 });
  const strData = Uint8Array.from(strtab.bytes);
  secs.push({ name: '.strtab', type: SHT.STRTAB, flags: 0, addr: 0, data: strData, size: strData.length, align: 1 });
  const shstr = new StrTab();
  const shNames = secs.map((s) => shstr.add(s.name));
  const shstrName = shstr.add('.shstrtab');
  const shstrData = Uint8Array.from(shstr.bytes);
  secs.push({ name: '.shstrtab', type: SHT.STRTAB, flags: 0, addr: 0, data: shstrData, size: shstrData.length, align: 1 });
  shNames.push(shstrName);

  // Program headers: one PT_LOAD per loaded section, plus PT_NOTE.
  const loads = secs.filter((s) => s.flags & SHF.ALLOC);
  const noteSecs = secs.filter((s) => s.type === SHT.NOTE);
  const phnum = loads.length + noteSecs.length;
  let off = 52 + 32 * phnum;
  for (const s of secs.slice(1)) {
    // file offset congruent to the address modulo the page size, as PT_LOAD requires
    if (s.flags & SHF.ALLOC) off = Math.ceil((off - (s.addr % PAGE)) / PAGE) * PAGE + (s.addr % PAGE);
    else off = Math.ceil(off / Math.max(1, s.align)) * Math.max(1, s.align);
    s.offset = off;
    if (s.type !== SHT.NOBITS) off += s.data.length;
  }
  const shoff = Math.ceil(off / 4) * 4;
  const total = shoff + 40 * secs.length;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);
  v.setUint16(16, 2, true); v.setUint16(18, 3, true); v.setUint32(20, 1, true); v.setUint32(24, entry >>> 0, true);
  v.setUint32(28, phnum ? 52 : 0, true); v.setUint32(32, shoff, true); v.setUint32(36, 0, true);
  v.setUint16(40, 52, true); v.setUint16(42, 32, true); v.setUint16(44, phnum, true);
  v.setUint16(46, 40, true); v.setUint16(48, secs.length, true); v.setUint16(50, secs.length - 1, true);
  let ph = 52;
  const phdr = (type: number, offset: number, vaddr: number, paddr: number, filesz: number, memsz: number, flags: number, align: number) => {
    [type, offset, vaddr, paddr, filesz, memsz, flags, align].forEach((x, i) => v.setUint32(ph + 4 * i, x >>> 0, true));
    ph += 32;
  };
  for (const s of loads) {
    const fl = 4 | (s.flags & SHF.WRITE ? 2 : 0) | (s.flags & SHF.EXECINSTR ? 1 : 0);
    phdr(PT.LOAD, s.offset!, s.addr, s.addr - paddrOffset, s.type === SHT.NOBITS ? 0 : s.data.length, s.size, fl, PAGE);
  }
  for (const n of noteSecs) phdr(PT.NOTE, n.offset!, 0, 0, n.data.length, n.data.length, 4, 4);
  secs.forEach((s, i) => {
    if (i > 0 && s.type !== SHT.NOBITS) out.set(s.data, s.offset!);
    const o = shoff + 40 * i;
    const vals = [shNames[i], s.type, s.flags, s.addr, s.offset ?? 0, s.size, s.link ?? 0, s.info ?? 0, s.align, s.entsize ?? 0];
    if (i === 0) return;
    vals.forEach((x, k) => v.setUint32(o + 4 * k, x >>> 0, true));
  });
  return out;
}

export type { LineEntry };
