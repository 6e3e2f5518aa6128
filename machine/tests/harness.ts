// Test helpers: assemble snippets with nasm, and build a small protected-mode
// machine (GDT with ring 0/1/3 flat segments, IDT, TSS, identity-mapped
// 2-level page tables) to run them on.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhysicalMemory } from '../memory.js';
import { VirtualClock } from '../clock.js';
import { Cpu } from '../cpu/cpu.js';
import type { SegmentCache } from '../types.js';

/** Assembles 32-bit code with nasm (`nasm -f bin`), origin `org`. */
export function nasm(src: string, org = 0x10000): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-nasm-'));
  try {
    writeFileSync(join(dir, 'a.asm'), `bits 32\norg 0x${org.toString(16)}\n${src}\n`);
    execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'a.bin'), join(dir, 'a.asm')], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const GDT = 0x1000, IDT = 0x2000, TSS = 0x3000, PGDIR = 0x4000, PGTAB = 0x5000;
export const CODE = 0x10000, STACK0 = 0x9000, STACK1 = 0xa000, STACK3 = 0xb000;
// Selectors: 0x08 ring-0 code, 0x10 ring-0 data, 0x19 ring-1 code, 0x21 ring-1 data,
// 0x2b ring-3 code, 0x33 ring-3 data, 0x38 TSS.
export const SEL = { CS0: 0x08, DS0: 0x10, CS1: 0x19, DS1: 0x21, CS3: 0x2b, DS3: 0x33, TSS: 0x38 };

export function descriptor(base: number, limit: number, access: number, flags = 0xc): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}

export interface TestMachine { mem: PhysicalMemory; clock: VirtualClock; cpu: Cpu }

export interface MachineOptions {
  memory?: number;
  paging?: boolean;
  cpl?: 0 | 1 | 3;
  /** Limit (pages, G=1) of the ring-1/3 flat segments; default 4 GiB. */
  limitPages?: number;
}

export function cacheFor(sel: number, limitPages = 0xfffff): SegmentCache {
  const dpl = sel & 3;
  const code = [0x08, 0x19, 0x2b].includes(sel);
  return { selector: sel, base: 0, limit: ((limitPages << 12) | 0xfff) >>> 0, access: 0x80 | (dpl << 5) | 0x10 | (code ? 0x0b : 0x03), big: true };
}

export function makeMachine(opts: MachineOptions = {}): TestMachine {
  const mem = new PhysicalMemory(opts.memory ?? 4 << 20);
  const clock = new VirtualClock();
  const cpu = new Cpu(mem, clock);
  const lp = opts.limitPages ?? 0xfffff;
  const descs: [number, number][] = [
    [0, 0],
    descriptor(0, 0xfffff, 0x9b), descriptor(0, 0xfffff, 0x93),
    descriptor(0, lp, 0xbb), descriptor(0, lp, 0xb3),
    descriptor(0, lp, 0xfb), descriptor(0, lp, 0xf3),
    descriptor(TSS, 0x67, 0x89, 0),
  ];
  descs.forEach(([lo, hi], k) => { mem.write32(GDT + k * 8, lo); mem.write32(GDT + k * 8 + 4, hi); });
  cpu.gdtr = { base: GDT, limit: descs.length * 8 - 1 };
  cpu.idtr = { base: IDT, limit: 0x7ff };
  // TSS: ring 0/1/2 stacks.
  mem.write32(TSS + 4, STACK0); mem.write32(TSS + 8, SEL.DS0);
  mem.write32(TSS + 12, STACK1); mem.write32(TSS + 16, SEL.DS1);
  mem.write16(TSS + 0x66, 0x68);
  cpu.tr = { selector: SEL.TSS, base: TSS, limit: 0x67, access: 0x8b, big: false };
  if (opts.paging !== false) {
    mem.write32(PGDIR, PGTAB | 7);
    for (let p = 0; p < 1024; p++) mem.write32(PGTAB + p * 4, (p << 12) | 7);
    cpu.setCr3(PGDIR);
    cpu.setCr0(cpu.cr0 | 0x80010001);
  }
  const cpl = opts.cpl ?? 1;
  const cs = cpl === 0 ? SEL.CS0 : cpl === 1 ? SEL.CS1 : SEL.CS3;
  const ds = cpl === 0 ? SEL.DS0 : cpl === 1 ? SEL.DS1 : SEL.DS3;
  cpu.setSegmentCache(1, cacheFor(cs, cpl === 0 ? 0xfffff : lp));
  for (const s of [0, 2, 3, 4, 5]) cpu.setSegmentCache(s, cacheFor(ds, cpl === 0 ? 0xfffff : lp));
  cpu.regs[4] = cpl === 0 ? STACK0 : cpl === 1 ? STACK1 : STACK3;
  cpu.eip = CODE;
  return { mem, clock, cpu };
}

/** Sets IDT entry `vec` to a 32-bit gate (type 0xE interrupt, 0xF trap). */
export function setGate(m: TestMachine, vec: number, handler: number, sel = SEL.CS0, dpl = 0, type = 0xe): void {
  m.mem.write32(IDT + vec * 8, ((sel << 16) | (handler & 0xffff)) >>> 0);
  m.mem.write32(IDT + vec * 8 + 4, ((handler & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8)) >>> 0);
}

/** Assembles `src`, loads it at CODE and runs it until an exit. */
export function runAsm(src: string, opts: MachineOptions & { budget?: number; setup?: (m: TestMachine) => void } = {}) {
  const m = makeMachine(opts);
  m.mem.writeBytes(CODE, nasm(src, CODE));
  opts.setup?.(m);
  const exit = m.cpu.run(opts.budget ?? 100000);
  return { ...m, exit };
}
