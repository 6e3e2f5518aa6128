// Parsing and validating an ELF32 PV kernel the way Xen's libelf does: the
// ELF header, PT_LOAD segments, and the guest's parameters from either the
// legacy `__xen_guest` section (KEY=VALUE,...) or "Xen" ELF notes.
import { X86_32, XEN_ELFNOTE } from './public/xen.js';

/** The kernel cannot be built into a domain; the message says why and what to do. */
export class BadKernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadKernelError';
  }
}

export interface LoadSegment {
  /** Virtual address the bytes are loaded at. */
  vaddr: number;
  fileOffset: number;
  fileSize: number;
  memSize: number;
}

export interface KernelImage {
  guestOs: string;
  xenVersion: string;
  loader: string;
  virtBase: number;
  paddrOffset: number;
  entry: number;
  /** Virtual address of the hypercall page, or undefined when the kernel asked for none. */
  hypercallPage?: number;
  pae: boolean;
  features: string;
  /** Where the parameters came from. */
  source: '__xen_guest' | 'notes';
  segments: LoadSegment[];
  /** Lowest and highest (exclusive) virtual addresses the segments occupy. */
  virtStart: number;
  virtEnd: number;
}

const KNOWN_KEYS = new Set(['LOADER', 'GUEST_OS', 'GUEST_VER', 'XEN_VER', 'PAE', 'BSD_SYMTAB', 'VIRT_BASE', 'VIRT_ENTRY',
  'ELF_PADDR_OFFSET', 'HYPERCALL_PAGE', 'FEATURES']);

const hex = (n: number) => '0x' + (n >>> 0).toString(16);

function parseNumber(key: string, value: string): number {
  const v = value.trim();
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v.slice(2), 16) : /^[0-9]+$/.test(v) ? parseInt(v, 10) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff) {
    throw new BadKernelError(`__xen_guest: ${key}=${value} is not a number (write it as 0x... hex or decimal)`);
  }
  return n;
}

interface Params {
  guestOs?: string; xenVersion?: string; loader?: string; pae?: string; features?: string;
  virtBase?: number; paddrOffset?: number; entry?: number; hypercallPage?: number;
}

function parseGuestString(text: string): Params {
  const p: Params = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1);
    if (!KNOWN_KEYS.has(key)) {
      throw new BadKernelError(`__xen_guest: unknown key '${key}' (known keys: ${[...KNOWN_KEYS].join(', ')})`);
    }
    switch (key) {
      case 'GUEST_OS': p.guestOs = value; break;
      case 'XEN_VER': p.xenVersion = value; break;
      case 'LOADER': p.loader = value; break;
      case 'PAE': p.pae = value; break;
      case 'FEATURES': p.features = value; break;
      case 'VIRT_BASE': p.virtBase = parseNumber(key, value); break;
      case 'VIRT_ENTRY': p.entry = parseNumber(key, value); break;
      case 'ELF_PADDR_OFFSET': p.paddrOffset = parseNumber(key, value); break;
      // A page number relative to VIRT_BASE in the section; resolved below.
      case 'HYPERCALL_PAGE': p.hypercallPage = parseNumber(key, value); break;
    }
  }
  return p;
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

/** Parses "Xen" notes in [off, off+len). */
function parseNotes(b: Uint8Array, dv: DataView, off: number, len: number, p: Params): boolean {
  let found = false;
  let at = off;
  const end = off + len;
  while (at + 12 <= end) {
    const namesz = dv.getUint32(at, true), descsz = dv.getUint32(at + 4, true), type = dv.getUint32(at + 8, true);
    const nameAt = at + 12;
    const descAt = nameAt + ((namesz + 3) & ~3);
    const next = descAt + ((descsz + 3) & ~3);
    if (next > end || namesz > len || descsz > len) break;
    const name = cString(b.subarray(nameAt, nameAt + namesz));
    if (name === 'Xen') {
      found = true;
      const desc = b.subarray(descAt, descAt + descsz);
      const num = () => (descsz >= 4 ? dv.getUint32(descAt, true) : descsz === 2 ? dv.getUint16(descAt, true) : desc[0] ?? 0);
      switch (type) {
        case XEN_ELFNOTE.GUEST_OS: p.guestOs = cString(desc); break;
        case XEN_ELFNOTE.XEN_VERSION: p.xenVersion = cString(desc); break;
        case XEN_ELFNOTE.LOADER: p.loader = cString(desc); break;
        case XEN_ELFNOTE.PAE_MODE: p.pae = cString(desc); break;
        case XEN_ELFNOTE.FEATURES: p.features = cString(desc); break;
        case XEN_ELFNOTE.VIRT_BASE: p.virtBase = num(); break;
        case XEN_ELFNOTE.PADDR_OFFSET: p.paddrOffset = num(); break;
        case XEN_ELFNOTE.ENTRY: p.entry = num(); break;
        case XEN_ELFNOTE.HYPERCALL_PAGE: p.hypercallPage = num(); break;
      }
    }
    at = next;
  }
  return found;
}

/** Parses and validates an ELF32 x86 PV kernel; throws BadKernelError with a one-line reason. */
export function parseKernelImage(bytes: Uint8Array): KernelImage {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new BadKernelError('not an ELF file (expected an ELF32 x86 kernel linked with ld -m elf_i386)');
  }
  if (bytes[4] !== 1) throw new BadKernelError(`not a 32-bit ELF file (ELF class ${bytes[4]}); build the kernel for i386 (gcc -m32, ld -m elf_i386)`);
  if (bytes[5] !== 1) throw new BadKernelError('not a little-endian ELF file; x86 kernels are little-endian');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = dv.getUint16(16, true), machine = dv.getUint16(18, true);
  if (machine !== 3) throw new BadKernelError(`not an x86 (EM_386) ELF file: e_machine is ${machine}`);
  if (type !== 2) throw new BadKernelError(`not an executable ELF file (e_type ${type}); link the kernel into an executable`);
  const entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true), shoff = dv.getUint32(32, true);
  const phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
  const shentsize = dv.getUint16(46, true), shnum = dv.getUint16(48, true), shstrndx = dv.getUint16(50, true);
  if (phnum > 0 && (phentsize < 32 || phoff + phnum * phentsize > bytes.length)) {
    throw new BadKernelError('the ELF program header table lies outside the file (truncated kernel?)');
  }

  const p: Params = {};
  let source: KernelImage['source'] | undefined;
  const segments: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const ptype = dv.getUint32(at, true);
    const off = dv.getUint32(at + 4, true), vaddr = dv.getUint32(at + 8, true), paddr = dv.getUint32(at + 12, true);
    const filesz = dv.getUint32(at + 16, true), memsz = dv.getUint32(at + 20, true);
    if (ptype === 1) {
      if (off + filesz > bytes.length) throw new BadKernelError(`segment ${i} (vaddr ${hex(vaddr)}) has ${filesz} bytes past the end of the file (truncated kernel?)`);
      if (filesz > memsz) throw new BadKernelError(`segment ${i} (vaddr ${hex(vaddr)}) has a file size larger than its memory size`);
      if (memsz === 0) continue;
      // Keep paddr: libelf places segments by physical address plus (VIRT_BASE - ELF_PADDR_OFFSET).
      segments.push({ vaddr: paddr, fileOffset: off, fileSize: filesz, memSize: memsz });
    } else if (ptype === 4 && off + filesz <= bytes.length) {
      if (parseNotes(bytes, dv, off, filesz, p)) source = 'notes';
    }
  }
  if (segments.length === 0) throw new BadKernelError('the kernel has no loadable (PT_LOAD) segments');

  if (shnum > 0 && shentsize >= 40 && shoff + shnum * shentsize <= bytes.length && shstrndx < shnum) {
    const strOff = dv.getUint32(shoff + shstrndx * shentsize + 16, true);
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      const nameOff = strOff + dv.getUint32(at, true);
      if (nameOff >= bytes.length) continue;
      const name = cString(bytes.subarray(nameOff, Math.min(bytes.length, nameOff + 64)));
      const off = dv.getUint32(at + 16, true), size = dv.getUint32(at + 20, true);
      if (off + size > bytes.length) continue;
      if (name === '__xen_guest' && source !== 'notes') {
        Object.assign(p, parseGuestString(cString(bytes.subarray(off, off + size))));
        source = '__xen_guest';
      } else if (dv.getUint32(at + 4, true) === 7 && !source) {
        if (parseNotes(bytes, dv, off, size, p)) source = 'notes';
      }
    }
  }
  if (!source) {
    throw new BadKernelError('no Xen guest header: the kernel has neither a __xen_guest section nor Xen ELF notes ' +
      '(add a __xen_guest section such as "GUEST_OS=Mini-OS,XEN_VER=xen-3.0,VIRT_BASE=0x0,ELF_PADDR_OFFSET=0x0,HYPERCALL_PAGE=0x2,PAE=no,LOADER=generic")');
  }
  const label = source === '__xen_guest' ? '__xen_guest' : 'Xen ELF notes';
  if (p.loader !== 'generic' && p.guestOs?.toLowerCase() !== 'linux') {
    throw new BadKernelError(`${label}: LOADER is ${p.loader === undefined ? 'missing' : `'${p.loader}'`}; only images for the generic loader (LOADER=generic) or Linux can be loaded`);
  }
  if (p.xenVersion !== 'xen-3.0') {
    throw new BadKernelError(`${label}: XEN_VER is ${p.xenVersion === undefined ? 'missing' : `'${p.xenVersion}'`}; Xen loads only images built for xen-3.0`);
  }
  if (p.pae !== undefined && p.pae !== 'no' && p.pae !== '') {
    throw new BadKernelError(`${label}: PAE=${p.pae}, but this hypervisor runs non-PAE 32-bit guests; build the kernel with PAE=no`);
  }

  const virtBase = p.virtBase ?? 0;
  const paddrOffset = p.paddrOffset ?? virtBase;
  const shift = (virtBase - paddrOffset) >>> 0;
  for (const s of segments) s.vaddr = (s.vaddr + shift) >>> 0;
  const virtStart = Math.min(...segments.map((s) => s.vaddr));
  const virtEnd = Math.max(...segments.map((s) => s.vaddr + s.memSize));
  if (virtStart < virtBase) {
    throw new BadKernelError(`a segment starts at ${hex(virtStart)}, below VIRT_BASE ${hex(virtBase)} (check VIRT_BASE and ELF_PADDR_OFFSET)`);
  }
  if (virtEnd > X86_32.HYPERVISOR_VIRT_START_NONPAE) {
    throw new BadKernelError(`the kernel reaches ${hex(virtEnd)}, into the hypervisor's area at ${hex(X86_32.HYPERVISOR_VIRT_START_NONPAE)} and above`);
  }
  const image: KernelImage = {
    guestOs: p.guestOs ?? '', xenVersion: p.xenVersion, loader: p.loader ?? '', virtBase, paddrOffset,
    entry: p.entry ?? entry, pae: false, features: p.features ?? '', source, segments, virtStart, virtEnd,
  };
  if (p.hypercallPage !== undefined) {
    image.hypercallPage = source === '__xen_guest' ? (virtBase + p.hypercallPage * 4096) >>> 0 : p.hypercallPage;
    const hp = image.hypercallPage;
    if (hp % 4096 !== 0 || hp < virtStart || hp + 4096 > Math.ceil(virtEnd / 4096) * 4096) {
      throw new BadKernelError(`the hypercall page at ${hex(hp)} is not a page inside the kernel image (${hex(virtStart)}-${hex(virtEnd)}); ` +
        'HYPERCALL_PAGE in __xen_guest is a page number from VIRT_BASE');
    }
  }
  if (image.entry < virtStart || image.entry >= virtEnd) {
    throw new BadKernelError(`the entry point ${hex(image.entry)} is outside the kernel image (${hex(virtStart)}-${hex(virtEnd)})`);
  }
  return image;
}
