// readElf32 on mutated and random input: it returns or throws ElfError, nothing else. XENLAB_FUZZ_LONG runs longer.
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { writeElf32 } from '../elf.js';
import { ElfError, readElf32 } from '../elfread.js';
import { rng } from './rng.js';

const rounds = process.env.XENLAB_FUZZ_LONG ? 200_000 : 3_000;

function sample(): Uint8Array {
  const a = new Assembler();
  a.text('global _start\n_start: mov eax, msg\n jmp _start\nsection .data\nmsg: db "hi", 0\nsection .bss\nresb 100');
  return writeElf32(a.link({ base: 0x1000 }), { entry: '_start', xenNotes: true });
}

describe('readElf32 fuzz', () => {
  it(`never throws anything but ElfError (${rounds} inputs)`, () => {
    const base = sample();
    const r = rng(1234);
    let parsed = 0, rejected = 0;
    for (let i = 0; i < rounds; i++) {
      let b: Uint8Array;
      if (i % 10 === 0) {
        b = new Uint8Array(Math.floor(r() * 300));
        for (let k = 0; k < b.length; k++) b[k] = Math.floor(r() * 256);
        if (b.length > 6 && r() < 0.5) b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
      } else {
        b = base.slice(0, r() < 0.2 ? Math.floor(r() * base.length) : base.length);
        const edits = 1 + Math.floor(r() * 8);
        for (let k = 0; k < edits && b.length; k++) {
          // bias towards the headers, where offsets and counts live
          const at = r() < 0.7 ? Math.floor(r() * Math.min(b.length, 0x200)) : Math.floor(r() * b.length);
          b[at] = r() < 0.5 ? Math.floor(r() * 256) : [0, 0xff, 0x7f, 0x80][Math.floor(r() * 4)];
        }
        if (b.length >= 52 && r() < 0.2) { const sh = new DataView(b.buffer).getUint32(32, true); if (sh + 48 < b.length) b[sh + 40 * 2 + 16 + Math.floor(r() * 8)] = 0xff; }
      }
      try {
        readElf32(b);
        parsed++;
      } catch (e) {
        if (!(e instanceof ElfError)) throw new Error(`input ${i} raised ${(e as Error).stack}`);
        rejected++;
      }
    }
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
