// Random straight-line integer code in a loop, run three ways: generic table
// handlers only, the specialised fast handlers (the default), and compiled
// blocks. Registers, flags and memory must agree, which pins cpu/fast.ts and
// cpu/inline.ts to the generic handlers (themselves checked against the host
// CPU and QEMU).
import { describe, expect, it } from 'vitest';
import { CODE, makeMachine, nasm } from './harness.js';
import { decodeOptions } from '../cpu/decode.js';

const DATA = 0x30000;
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** Random code: a loop whose body has jumps (`selfLoop` false), or a one-block body that loops on itself. */
function program(seed: number, selfLoop = false): string {
  const next = rng(seed);
  const pick = <T>(xs: T[]) => xs[next() % xs.length];
  const R = ['eax', 'ebx', 'ecx', 'edx'];
  const R8 = ['al', 'bl', 'cl', 'dl', 'ah', 'bh'];
  const base = () => pick(['esi', 'edi', 'ebp']);
  const mem = () => `[${base()}+${(next() % 60) * 4 + (next() % 4 === 0 ? 1 : 0)}]`;
  const imm = () => pick([0, 1, -1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, next() | 0, next() % 256]);
  const alu = () => pick(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp']);
  const cc = () => pick(['e', 'ne', 'b', 'ae', 'be', 'a', 'l', 'ge', 'le', 'g', 's', 'ns', 'o', 'no', 'p', 'np']);
  const gens: (() => string)[] = [
    () => `${alu()} ${pick(R)}, ${pick(R)}`,
    () => `${alu()} ${pick(R)}, ${mem()}`,
    () => `${alu()} dword ${mem()}, ${pick(R)}`,
    () => `${alu()} ${pick(R)}, ${imm()}`,
    () => `${alu()} dword ${mem()}, ${imm()}`,
    () => `${alu()} ${pick(R)}, byte ${(next() % 256) - 128}`,
    () => `${alu()} eax, ${imm()}`,
    () => `test ${pick(R)}, ${pick(R)}`,
    () => `mov ${pick(R)}, ${pick(R)}`,
    () => `mov ${pick(R)}, ${mem()}`,
    () => `mov dword ${mem()}, ${pick(R)}`,
    () => `mov dword ${mem()}, ${imm()}`,
    () => `mov ${pick(R)}, ${imm()}`,
    () => `mov byte ${mem()}, ${next() % 256}`,
    () => `mov byte ${mem()}, ${pick(R8)}`,
    () => `cmp byte ${mem()}, ${next() % 256}`,
    () => `lea ${pick(R)}, [${pick(R)}+${pick(R)}*${pick([1, 2, 4, 8])}+${next() % 1000}]`,
    () => `movzx ${pick(R)}, byte ${mem()}`,
    () => `movzx ${pick(R)}, word ${mem()}`,
    () => `movzx ${pick(R)}, ${pick(R8)}`,
    () => `${pick(['inc', 'dec'])} ${pick(R)}`,
    () => `push ${pick(R)}\npop ${pick(R)}`,
    () => `${pick(['shl', 'shr', 'sar', 'rol', 'rcr'])} ${pick(R)}, ${next() % 32}`,
    () => `${pick(['shl', 'shr', 'sar'])} ${pick(R)}, ${pick([1, next() % 32])}\n${pick(['jc', 'jo', 'jp', 'js', 'jz', 'jnz'])} $+3\nnop`,
    () => `imul ${pick(R)}, ${pick(R)}`,
    () => `set${cc()} ${pick(R8)}`,
    () => `cmov${cc()} ${pick(R)}, ${mem()}`,
    () => `xchg ${pick(R)}, ${pick(R)}`,
    () => `j${cc()} $+4\nnop\nnop`,
    // A flag-setting instruction right before a jcc (fused in compiled blocks).
    () => `${pick(['cmp', 'sub', 'and', 'or', 'xor', 'add'])} ${pick(R)}, ${pick([pick(R), String(imm())])}\nj${cc()} $+4\nnop\nnop`,
    () => `test ${pick(R)}, ${pick(R)}\nj${cc()} $+4\nnop\nnop`,
  ];
  if (selfLoop) {
    // No jumps and few enough instructions that the body is one block ending in a jump to itself.
    const straight = gens.slice(0, gens.length - 3).filter((g) => { const t = g(); return !t.includes('push') && !t.includes('\nj'); });
    const body = Array.from({ length: 12 }, () => pick(straight)()).join('\n');
    return `
      mov dword [counter], 60
    top:
      ${body}
      sub dword [counter], 1
      jnz top
      int 0x80
    counter: dd 0`;
  }
  const body = Array.from({ length: 30 }, () => pick(gens)()).join('\n');
  return `
    mov dword [counter], 60
  top:
    ${body}
    dec dword [counter]
    jnz top
    int 0x80
  counter: dd 0`;
}

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
