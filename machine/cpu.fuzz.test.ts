// Random bytes as code at every CPL (0-3): the CPU may raise any architectural
// exception, but must never throw a host error, never report an internal
// error, and never run past the budget. Looping random code also runs once
// with compiled blocks and once with the interpreter alone: both must end in
// the same state after the same number of instructions.
import { describe, expect, it } from 'vitest';
import { randomMachine, rng } from './tests/fuzz-machine.js';

const LONG = !!process.env.XENLAB_FUZZ_LONG;

describe('fuzz: random code', () => {
  for (const cpl of [0, 1, 2, 3] as const) {
    for (const claimed of [true, false]) {
      it(`CPL ${cpl}, exceptions ${claimed ? 'claimed' : 'through the IDT'}`, () => {
        const next = rng(0xc0ffee + cpl * 7 + (claimed ? 1 : 0));
        const rounds = Number(process.env.XENLAB_FUZZ_ROUNDS) || (LONG ? 20000 : 150);
        for (let k = 0; k < rounds; k++) {
          const m = randomMachine(next, cpl, claimed, false);
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
      }, LONG ? 1_800_000 : undefined);
    }
  }
});

describe('fuzz: looping random code, compiled blocks against the interpreter', () => {
  for (const cpl of [0, 1, 2, 3] as const) {
    it(`CPL ${cpl}`, () => {
      const rounds = Number(process.env.XENLAB_FUZZ_ROUNDS) || (LONG ? 4000 : 60);
      let compiledRuns = 0;
      for (let k = 0; k < rounds; k++) {
        const seed = 0xb10c + cpl * 100003 + k;
        const claimed = k % 2 === 0;
        const budget = 500 + (k % 7) * 300;
        const runOne = (compile: boolean) => {
          const m = randomMachine(rng(seed), cpl, claimed, true);
          m.cpu.compileBlocks = compile;
          const stops: unknown[] = [];
          for (let step = 0; step < 3; step++) {
            const before = m.clock.instructions;
            const exit = m.cpu.run(budget);
            expect(m.clock.instructions - before).toBeLessThanOrEqual(budget);
            stops.push(exit, m.cpu.eip, m.clock.instructions);
            if (exit.kind === 'shutdown') expect(exit.reason, `seed ${seed}`).toBe('triple fault');
            if (exit.kind !== 'budget' && exit.kind !== 'io' && exit.kind !== 'interrupt') break;
          }
          return { stops, regs: Array.from(m.cpu.regs), eflags: m.cpu.getEflags(), cpl: m.cpu.cpl, cr2: m.cpu.cr2, mem: m.mem.u8 };
        };
        const a = runOne(true), b = runOne(false);
        if ((a.stops[2] as number) > 200) compiledRuns++;
        expect({ ...a, mem: 0 }, `seed ${seed}`).toEqual({ ...b, mem: 0 });
        expect(Buffer.compare(a.mem, b.mem), `seed ${seed}: memory differs`).toBe(0);
      }
      // Enough of the programs ran long enough for blocks to be compiled.
      expect(compiledRuns).toBeGreaterThan(rounds / 10);
    }, LONG ? 1_800_000 : undefined);
  }
});
