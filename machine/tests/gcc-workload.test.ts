import { describe, expect, it } from 'vitest';
import { CODE, makeMachine } from './harness.js';
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
