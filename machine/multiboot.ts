// A bare machine that boots a Multiboot (v1) ELF32 kernel with no hypervisor:
// the loader state of the Multiboot specification (32-bit protected mode,
// paging off, EAX = 0x2BADB002, EBX = the info structure with the command
// line and memory map), a 16550 serial port at 0x3F8 and QEMU's
// isa-debug-exit at 0xF4, so the same image runs under `qemu-system-i386 -kernel`.
import { PhysicalMemory } from './memory.js';
import { VirtualClock } from './clock.js';
import { Cpu } from './cpu/cpu.js';
import { Serial16550 } from './devices/serial.js';
import { DebugExit } from './devices/debug-exit.js';

export interface MultibootOptions {
  memoryMiB?: number;
  cmdline?: string;
  /** Instruction budget (default 10 billion). */
  budget?: number;
  onSerial?: (s: string) => void;
}

export interface MultibootResult {
  exit: 'debug-exit' | 'hlt' | 'budget' | 'triple-fault' | 'bad-image';
  /** isa-debug-exit status, (value << 1) | 1. */
  status?: number;
  instructions: number;
  message?: string;
}

const MB_MAGIC = 0x1badb002;
const MB_BOOT_MAGIC = 0x2badb002;
// Where the loader puts its own structures (below the usual 1 MiB kernel load address).
const GDT_ADDR = 0x500, INFO_ADDR = 0x9000, CMDLINE_ADDR = 0x9100, MMAP_ADDR = 0x9800, STACK_TOP = 0x7000;

interface Segment { paddr: number; data: Uint8Array; memsz: number }

/** Parses the kernel; returns its entry and segments, or an error message. */
export function parseMultibootElf(elf: Uint8Array): { entry: number; segments: Segment[] } | string {
  if (elf.length < 52 || elf[0] !== 0x7f || elf[1] !== 0x45 || elf[2] !== 0x4c || elf[3] !== 0x46) return 'not an ELF file';
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf[4] !== 1) return 'not a 32-bit ELF file (ELFCLASS32 expected)';
  if (elf[5] !== 1) return 'not a little-endian ELF file';
  if (dv.getUint16(18, true) !== 3) return 'not an i386 ELF file (e_machine 3 expected)';
  // The Multiboot header: in the first 8192 bytes, 4-byte aligned.
  let header = -1;
  for (let o = 0; o + 12 <= Math.min(elf.length, 8192); o += 4) {
    if (dv.getUint32(o, true) === MB_MAGIC && ((dv.getUint32(o, true) + dv.getUint32(o + 4, true) + dv.getUint32(o + 8, true)) >>> 0) === 0) { header = o; break; }
  }
  if (header < 0) return 'no Multiboot header (magic 0x1BADB002 with a valid checksum) in the first 8 KiB';
  const flags = dv.getUint32(header + 4, true);
  if (flags & 0x4) return 'the Multiboot header asks for a video mode, which this machine does not provide';
  const phoff = dv.getUint32(28, true), phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
  if (flags & 0x10000) {
    // a.out kludge: addresses from the header.
    const headerAddr = dv.getUint32(header + 12, true), loadAddr = dv.getUint32(header + 16, true);
    const loadEnd = dv.getUint32(header + 20, true), bssEnd = dv.getUint32(header + 24, true), entry = dv.getUint32(header + 28, true);
    const fileOff = header - (headerAddr - loadAddr);
    const len = loadEnd ? loadEnd - loadAddr : elf.length - fileOff;
    if (fileOff < 0 || fileOff + len > elf.length) return 'the Multiboot header load addresses lie outside the file';
    return { entry, segments: [{ paddr: loadAddr, data: elf.subarray(fileOff, fileOff + len), memsz: bssEnd ? bssEnd - loadAddr : len }] };
  }
  if (phoff + phnum * phentsize > elf.length || phentsize < 32) return 'the ELF program headers lie outside the file';
  const segments: Segment[] = [];
  for (let k = 0; k < phnum; k++) {
    const p = phoff + k * phentsize;
    if (dv.getUint32(p, true) !== 1) continue; // PT_LOAD
    const off = dv.getUint32(p + 4, true), paddr = dv.getUint32(p + 12, true);
    const filesz = dv.getUint32(p + 16, true), memsz = dv.getUint32(p + 20, true);
    if (off + filesz > elf.length) return `ELF segment ${k} lies outside the file`;
    segments.push({ paddr, data: elf.subarray(off, off + filesz), memsz: Math.max(memsz, filesz) });
  }
  if (segments.length === 0) return 'the ELF file has no loadable segments';
  return { entry: dv.getUint32(24, true), segments };
}

/** Builds the machine in the Multiboot loader state. */
export function createMultibootMachine(elf: Uint8Array, opts: MultibootOptions = {}) {
  const parsed = parseMultibootElf(elf);
  if (typeof parsed === 'string') return parsed;
  const memoryMiB = opts.memoryMiB ?? 32;
  if (!(Number.isInteger(memoryMiB) && memoryMiB >= 2 && memoryMiB <= 1024)) return `memory must be a whole number of MiB from 2 to 1024 (got ${memoryMiB})`;
  let mem: PhysicalMemory;
  try {
    mem = new PhysicalMemory(memoryMiB * 1048576);
  } catch {
    return `could not allocate ${memoryMiB} MiB of guest memory on this host; try a smaller --memory`;
  }
  for (const s of parsed.segments) {
    if (s.paddr < 0x100000 && s.paddr + s.memsz > 0x500 && s.paddr < 0x10000) return `segment at 0x${s.paddr.toString(16)} overlaps the loader area below 64 KiB`;
    if (s.paddr + s.memsz > mem.size) return `segment at 0x${s.paddr.toString(16)} (${s.memsz} bytes) does not fit in ${memoryMiB} MiB of memory`;
    mem.writeBytes(s.paddr, s.data);
  }
  const clock = new VirtualClock();
  const cpu = new Cpu(mem, clock);
  // GDT like QEMU's Multiboot loader: 0x10 flat code, 0x18 flat data.
  const gdt = [0, 0, 0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200];
  gdt.forEach((v, k) => mem.write32(GDT_ADDR + 4 * k, v));
  cpu.gdtr = { base: GDT_ADDR, limit: 31 };
  cpu.idtr = { base: 0, limit: 0x3ff };
  cpu.setSegmentCache(1, { selector: 0x10, base: 0, limit: 0xffffffff, access: 0x9b, big: true });
  for (const s of [0, 2, 3, 4, 5]) cpu.setSegmentCache(s, { selector: 0x18, base: 0, limit: 0xffffffff, access: 0x93, big: true });
  cpu.setCr0(0x11);
  cpu.setEflags(2);
  // Info structure: mem_lower/mem_upper (bit 0), cmdline (bit 2), mmap (bit 6).
  const cmd = new TextEncoder().encode((opts.cmdline ?? '').slice(0, 1500));
  mem.writeBytes(CMDLINE_ADDR, cmd);
  mem.write8(CMDLINE_ADDR + cmd.length, 0);
  const mmap: [number, number, number][] = [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2], [0x100000, mem.size - 0x100000, 1]];
  mmap.forEach(([base, len, type], k) => {
    const e = MMAP_ADDR + k * 24;
    mem.write32(e, 20); mem.write32(e + 4, base); mem.write32(e + 8, 0);
    mem.write32(e + 12, len); mem.write32(e + 16, 0); mem.write32(e + 20, type);
  });
  mem.write32(INFO_ADDR, 0x1 | 0x4 | 0x40);
  mem.write32(INFO_ADDR + 4, 639);
  mem.write32(INFO_ADDR + 8, (mem.size - 0x100000) >>> 10);
  mem.write32(INFO_ADDR + 16, CMDLINE_ADDR);
  mem.write32(INFO_ADDR + 44, mmap.length * 24);
  mem.write32(INFO_ADDR + 48, MMAP_ADDR);
  cpu.regs[0] = MB_BOOT_MAGIC;
  cpu.regs[3] = INFO_ADDR;
  cpu.regs[4] = STACK_TOP;
  cpu.eip = parsed.entry >>> 0;
  return { mem, clock, cpu };
}

export function bootMultiboot(elf: Uint8Array, opts: MultibootOptions = {}): MultibootResult {
  const m = createMultibootMachine(elf, opts);
  if (typeof m === 'string') return { exit: 'bad-image', instructions: 0, message: m };
  const { cpu, clock } = m;
  const decoder = new TextDecoder('utf-8');
  const emit = opts.onSerial ?? (() => {});
  cpu.attachPorts(0x3f8, 8, new Serial16550(0x3f8, (b) => emit(decoder.decode(new Uint8Array([b]), { stream: true }))));
  const dbg = new DebugExit(() => cpu.exitWith({ kind: 'hlt' }));
  cpu.attachPorts(0xf4, 4, dbg);
  const budget = opts.budget ?? 10_000_000_000;
  const flush = () => { const rest = decoder.decode(); if (rest) emit(rest); };
  while (clock.instructions < budget) {
    const exit = cpu.run(Math.min(50_000_000, budget - clock.instructions));
    if (dbg.status !== null) { flush(); return { exit: 'debug-exit', status: dbg.status, instructions: clock.instructions }; }
    if (exit.kind === 'budget') continue;
    flush();
    if (exit.kind === 'hlt') return { exit: 'hlt', instructions: clock.instructions, message: `hlt at eip 0x${cpu.eip.toString(16)}` };
    if (exit.kind === 'shutdown') return { exit: 'triple-fault', instructions: clock.instructions, message: `${exit.reason} at eip 0x${cpu.eip.toString(16)}` };
    return { exit: 'triple-fault', instructions: clock.instructions, message: `unexpected exit ${JSON.stringify(exit)}` };
  }
  flush();
  return { exit: 'budget', instructions: clock.instructions, message: `instruction budget of ${budget} used up` };
}
