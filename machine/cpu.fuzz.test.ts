// Random bytes as code at every CPL: the CPU may raise any architectural
// exception, but must never throw a host error, never report an internal
// error, and never run past the budget.
import { describe, expect, it } from 'vitest';
import { CODE, makeMachine, setGate, SEL } from './tests/harness.js';

const LONG = !!process.env.XENLAB_FUZZ_LONG;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

describe('fuzz: random code', () => {
  for (const cpl of [0, 1, 3] as const) {
    for (const claimed of [true, false]) {
      it(`CPL ${cpl}, exceptions ${claimed ? 'claimed' : 'through the IDT'}`, () => {
        const next = rng(0xc0ffee + cpl * 7 + (claimed ? 1 : 0));
        const rounds = Number(process.env.XENLAB_FUZZ_ROUNDS) || (LONG ? 20000 : 200);
        for (let k = 0; k < rounds; k++) {
          const m = makeMachine({ cpl, memory: 4 << 20, limitPages: next() % 4 === 0 ? 0x3ff : 0xfffff });
          const code = new Uint8Array(64);
          for (let j = 0; j < code.length; j++) code[j] = next() & 0xff;
          // Bias toward interesting opcodes: two-byte escapes and prefixes.
          if (next() % 3 === 0) code[0] = [0x0f, 0x66, 0xf3, 0xf0, 0xcd, 0xcf, 0xff, 0x8e][next() % 8];
          m.mem.writeBytes(CODE, code);
          for (let r = 0; r < 8; r++) m.cpu.regs[r] = next() % 2 ? next() : next() & 0xffff;
          m.cpu.regs[4] = [0x9ff0, 0xaff0, 0x3ff0, 0xbff0][next() % 4];
          m.cpu.setEflags(next() & 0x3f7fd5);
          if (claimed) for (let v = 0; v < 32; v++) m.cpu.claimException(v, true);
          else for (let v = 0; v < 256; v++) setGate(m, v, CODE + (next() & 0x3f), [SEL.CS0, SEL.CS1, SEL.CS3][next() % 3], next() & 3, next() % 2 ? 0xe : 0xf);
          if (next() % 2) m.cpu.claimInterrupt(next() & 0xff, true);
          if (next() % 2) m.cpu.claimAllIo(true);
          const budget = 1 + (next() % 200);
          let total = 0;
          for (let step = 0; step < 5; step++) {
            const before = m.clock.instructions;
            const exit = m.cpu.run(budget);
            const used = m.clock.instructions - before;
            total += used;
            expect(used).toBeLessThanOrEqual(budget);
            if (exit.kind === 'shutdown') {
              expect(exit.reason, `seed round ${k}`).toBe('triple fault');
              break;
            }
            expect(['budget', 'hlt', 'interrupt', 'exception', 'io']).toContain(exit.kind);
            if (exit.kind === 'exception') {
              expect(exit.vector).toBeLessThan(32);
              break;
            }
          }
          expect(total).toBeLessThanOrEqual(budget * 5);
        }
      });
    }
  }
});
