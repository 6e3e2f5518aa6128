// Branch sizing: short (eb/7x) when the target is in reach, near otherwise, to the same fixed point nasm reaches.
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { AsmError } from '../errors.js';
import { hex, nasm } from './nasm.js';
import { pick, rng } from './rng.js';

function ours(src: string, base = 0): Uint8Array {
  const a = new Assembler({ file: 't.asm' });
  a.text(src);
  return a.link({ base }).sections[0].bytes;
}

function nasmBytes(src: string): Uint8Array {
  const r = nasm(src);
  if (!r.ok) throw new Error(r.errors);
  return r.bytes;
}

/** A random program of labels, fillers of various sizes and branches to random labels. */
function randomProgram(seed: number, labels: number, lines: number): string {
  const r = rng(seed);
  const out: string[] = [];
  const cond = ['je', 'jne', 'jl', 'jg', 'jb', 'ja', 'js', 'jo', 'jp', 'jnp', 'jle', 'jae'];
  const fill = ['nop', 'mov eax, 0x12345678', 'add eax, ebx', 'times 20 nop', 'times 60 nop', 'times 120 db 0', 'push 1', 'ret'];
  let defined = 0;
  for (let i = 0; i < lines; i++) {
    const x = r();
    if (defined < labels && x < labels / lines) out.push(`L${defined++}:`);
    else if (x < 0.45) out.push(`${pick(r, ['jmp', ...cond])} L${Math.floor(r() * labels)}`);
    else if (x < 0.5) out.push(`call L${Math.floor(r() * labels)}`);
    else out.push(pick(r, fill));
  }
  while (defined < labels) out.push(`L${defined++}:`);
  return out.join('\n');
}

describe('branches', () => {
  it('picks short forms for nearby targets and near forms beyond -128..127', () => {
    const src = 'a:\n jmp b\n jne a\n times 125 nop\nb:\n jmp a\n je c\n times 128 nop\nc:\n jmp c\n';
    expect(hex(ours(src))).toBe(hex(nasmBytes(src)));
    // jmp b: short (2 bytes: eb 7f reaches exactly 127 ahead)
    expect(ours(src)[0]).toBe(0xeb);
  });

  it('reaches the same sizes as nasm on random programs', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const src = randomProgram(seed, 12 + (seed % 20), 60 + seed * 5);
      const want = hex(nasmBytes(src));
      const got = hex(ours(src));
      if (got !== want) throw new Error(`seed ${seed} differs from nasm:\n${src}`);
    }
  });

  it('honours short and near', () => {
    const src = 'x:\n jmp near x\n jne near y\n jmp short y\n nop\ny:\n';
    expect(hex(ours(src))).toBe(hex(nasmBytes(src)));
  });

  it('reports a short jump that cannot reach, with its line', () => {
    expect(() => ours('x:\n jmp short y\n times 200 nop\ny:\n')).toThrow(/t\.asm:2: 'jmp short y': short jump out of range by 73 bytes/);
    expect(() => ours('x:\n loop y\n times 200 nop\ny:\n')).toThrow(AsmError);
  });

  it('16-bit jumps (word) match nasm and refuse targets above 64 KiB', () => {
    const src = 'x:\n jmp word x\n call word y\n jz near word x\n nop\ny:\n';
    expect(hex(ours(src))).toBe(hex(nasmBytes(src)));
    expect(() => ours('x:\n jmp word x\n', 0x10000)).toThrow(/t\.asm:2: 'jmp word x': a 16-bit jump \(word\) cannot reach 0x10000/);
  });

  it('jumps to absolute addresses relative to the link base', () => {
    const a = new Assembler();
    a.text('jmp 0x1010\ncall 0x2000\n');
    const bytes = a.link({ base: 0x1000 }).sections[0].bytes;
    expect(hex(bytes)).toBe('eb 0e e8 f9 0f 00 00');
  });

  it('uses near forms across sections', () => {
    const a = new Assembler();
    a.text('section .text\n jmp far_away\nsection .other\nfar_away: ret\n');
    const img = a.link({ base: 0 });
    expect(hex(img.sections[0].bytes)).toBe('e9 fb 0f 00 00');
  });
});
