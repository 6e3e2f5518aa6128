// Random straight-line integer code in a loop, run three ways: generic table
// handlers only, the specialised fast handlers (the default), and compiled
// blocks. Registers, flags and memory must agree, which pins cpu/fast.ts and
// cpu/inline.ts to the generic handlers (themselves checked against the host
// CPU and QEMU).
import { describe, expect, it } from 'vitest';
import { CODE, makeMachine, nasm } from './harness.js';
import { decodeOptions } from '../cpu/decode.js';
import { DATA, program, rng } from './random-programs.js';

function runMode(src: string, seed: number, mode: 'generic' | 'fast' | 'compiled', chunk = 1_000_000) {
  decodeOptions.specialize = mode !== 'generic';
  try {
    const m = makeMachine({ cpl: 1 });
    m.cpu.compileBlocks = mode === 'compiled';
    m.mem.writeBytes(CODE, nasm(src, CODE));
    const next = rng(seed ^ 0xabcdef);
    for (let k = 0; k < 256; k++) m.mem.write32(DATA + 4 * k, next());
    m.cpu.regs.set([next(), next(), next(), next(), 0xa000, DATA + 0x100, DATA, DATA + 0x200]);
    m.cpu.setEflags((next() & 0x8d5) | 2);
    m.cpu.claimInterrupt(0x80, true);
    // Run in chunks of `chunk` instructions: where each chunk ends (EIP) pins exact budget handling.
    const stops: number[] = [];
    let exit = m.cpu.run(chunk);
    while (exit.kind === 'budget' && m.clock.instructions < 1_000_000) { stops.push(m.cpu.eip); exit = m.cpu.run(chunk); }
    return { exit: exit.kind, instructions: m.clock.instructions, stops, regs: Array.from(m.cpu.regs), eflags: m.cpu.getEflags() & 0x8d5, data: Array.from(m.mem.readBytes(DATA, 1024)) };
  } finally {
    decodeOptions.specialize = true;
  }
}

describe('generic, fast and compiled execution agree', () => {
  const programs = process.env.XENLAB_FUZZ_LONG ? 400 : 25;
  it(`${programs} random programs`, () => {
    for (let p = 0; p < programs; p++) {
      const seed = 0x1234 + p * 7919;
      const src = program(seed);
      const generic = runMode(src, seed, 'generic');
      expect(generic.exit, src).toBe('interrupt');
      expect(runMode(src, seed, 'fast'), `fast handlers, program ${p}:\n${src}`).toEqual(generic);
      expect(runMode(src, seed, 'compiled'), `compiled blocks, program ${p}:\n${src}`).toEqual(generic);
    }
  });
});

describe('compiled loop blocks (a block that jumps to its own start runs again inside its function)', () => {
  const programs = process.env.XENLAB_FUZZ_LONG ? 400 : 25;
  it(`${programs} random one-block loops agree with the interpreter, run whole and in odd budget chunks`, () => {
    for (let p = 0; p < programs; p++) {
      const seed = 0x5678 + p * 7919;
      const src = program(seed, true);
      const chunk = 37 + (p % 5) * 13;
      const generic = runMode(src, seed, 'generic');
      expect(generic.exit, src).toBe('interrupt');
      expect(runMode(src, seed, 'compiled'), `compiled blocks, program ${p}:\n${src}`).toEqual(generic);
      const genericChunks = runMode(src, seed, 'generic', chunk);
      expect(genericChunks.stops.length).toBeGreaterThan(5);
      expect(runMode(src, seed, 'compiled', chunk), `compiled blocks in chunks of ${chunk}, program ${p}:\n${src}`).toEqual(genericChunks);
    }
  });
});
