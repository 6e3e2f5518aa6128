import { describe, expect, it } from 'vitest';
import { runAsm } from './harness.js';

describe('smoke', () => {
  it('runs a loop in ring 1 under paging and exits on a claimed int', () => {
    const r = runAsm(`
      mov ecx, 10
      xor eax, eax
    l: add eax, ecx
      dec ecx
      jnz l
      int 0x82
    `, { setup: (m) => m.cpu.claimInterrupt(0x82, true) });
    expect(r.exit).toEqual({ kind: 'interrupt', vector: 0x82, insnEip: 0x10000 + 12, insnLength: 2 });
    expect(r.cpu.regs[0]).toBe(55);
    expect(r.cpu.cpl).toBe(1);
  });
});
