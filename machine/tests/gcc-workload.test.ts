import { describe, expect, it } from 'vitest';
import { CODE, PGTAB, makeMachine, nasm } from './harness.js';
import { buildWorkloadImage, runWorkloadNative } from './gcc.js';

describe('gcc -O2 -m32 workload', () => {
  it('computes what the same C computes natively, in ring 1 under paging', () => {
    const m = makeMachine({ cpl: 1, memory: 8 << 20 });
    m.mem.writeBytes(CODE, buildWorkloadImage());
    m.cpu.regs[3] = 2;
    m.cpu.regs[4] = 0x200000;
    m.cpu.claimInterrupt(0x80, true);
    const exit = m.cpu.run(200_000_000);
    expect(exit.kind).toBe('interrupt');
    const out = [m.cpu.regs[0], ...Array.from({ length: 7 }, (_, k) => m.mem.read32(0x8000 + 4 * k))];
    expect(out.join(' ')).toBe(runWorkloadNative(2));
  });
});

describe('compiled blocks', () => {
  it('give the same state and instruction count as interpreted blocks, including faults inside blocks', () => {
    const runIt = (compile: boolean) => {
      const m = makeMachine({ cpl: 1, memory: 8 << 20 });
      m.cpu.compileBlocks = compile;
      m.mem.writeBytes(CODE, buildWorkloadImage());
      m.cpu.regs[3] = 1;
      m.cpu.regs[4] = 0x200000;
      m.cpu.claimInterrupt(0x80, true);
      // Claim #PF and unmap the output page: the stores to it fault mid-block; the host maps it and resumes.
      m.cpu.claimException(14, true);
      m.mem.write32(0x5000 + 8 * 4, 0);
      const exits: string[] = [];
      for (;;) {
        const exit = m.cpu.run(50_000_000);
        exits.push(`${exit.kind}@${m.clock.instructions}`);
        if (exit.kind !== 'exception') break;
        m.mem.write32(0x5000 + 8 * 4, 0x8007);
        m.cpu.invlpg(0x8000);
      }
      return { exits, regs: Array.from(m.cpu.regs), out: m.mem.readBytes(0x8000, 32) };
    };
    const a = runIt(false), b = runIt(true);
    expect(a.exits.length).toBeGreaterThan(1);
    expect(b).toEqual(a);
  });

  it('count retired instructions exactly when a hot block faults in its middle', () => {
    const runIt = (compile: boolean) => {
      const m = makeMachine({ cpl: 1 });
      m.cpu.compileBlocks = compile;
      m.mem.writeBytes(CODE, nasm(`
        mov esi, 0x200000
        mov ecx, 3000
      l: add eax, 1
        mov [esi], eax
        add esi, 4
        dec ecx
        jnz l
        int 0x80`, CODE));
      m.cpu.claimInterrupt(0x80, true);
      m.cpu.claimException(14, true);
      for (const p of [0x201, 0x202]) m.mem.write32(PGTAB + p * 4, 0);
      const exits: string[] = [];
      for (;;) {
        const exit = m.cpu.run(1_000_000);
        exits.push(`${exit.kind}@${m.clock.instructions}:${m.cpu.eip.toString(16)}`);
        if (exit.kind !== 'exception') break;
        const page = (exit.cr2 ?? 0) >>> 12;
        m.mem.write32(PGTAB + page * 4, (page << 12) | 7);
      }
      return { exits, regs: Array.from(m.cpu.regs), sum: m.mem.read32(0x202000) };
    };
    const a = runIt(false), b = runIt(true);
    // Each fault counts one instruction against the budget (so fault loops end); the
    // faulting store is at 0x1000d, after the 3-byte add.
    expect(a.exits).toEqual([`exception@${2 + 5 * 1024 + 1 + 1}:1000d`, `exception@${2 + 5 * 2048 + 1 + 2}:1000d`, `interrupt@${2 + 5 * 3000 + 1 + 2}:10017`]);
    expect(b).toEqual(a);
  });
});

describe('address-space switches', () => {
  it('the same linear code address in two address spaces runs each one\'s own code (TLB, block cache and chaining)', () => {
    const m = makeMachine({ cpl: 1 });
    m.cpu.claimInterrupt(0x80, true);
    // Second page directory: a copy of the first, but 0x400000-0x7fffff maps a different table.
    const dir2 = 0x30000, tab1 = 0x31000, tab2 = 0x32000;
    for (let k = 0; k < 1024; k++) m.mem.write32(dir2 + 4 * k, m.mem.read32(0x4000 + 4 * k));
    m.mem.write32(0x4000 + 4, tab1 | 7);
    m.mem.write32(dir2 + 4, tab2 | 7);
    m.mem.write32(tab1, 0x100000 | 7);
    m.mem.write32(tab2, 0x101000 | 7);
    const code = (n: number) => nasm(`mov ecx, 100\nl: add eax, ${n}\ndec ecx\njnz l\nint 0x80\njmp 0x400000`, 0x400000);
    m.mem.writeBytes(0x100000, code(1));
    m.mem.writeBytes(0x101000, code(1000));
    m.cpu.eip = 0x400000;
    const sums: number[] = [];
    let eip1 = 0x400000, eip2 = 0x400000;
    for (let round = 0; round < 6; round++) {
      const first = round % 2 === 0;
      m.cpu.setCr3(first ? 0x4000 : dir2);
      m.cpu.eip = first ? eip1 : eip2;
      m.cpu.regs[0] = 0;
      const exit = m.cpu.run(10_000);
      expect(exit.kind).toBe('interrupt');
      sums.push(m.cpu.regs[0]);
      if (first) eip1 = m.cpu.eip; else eip2 = m.cpu.eip;
    }
    expect(sums).toEqual([100, 100000, 100, 100000, 100, 100000]);
  });
});
