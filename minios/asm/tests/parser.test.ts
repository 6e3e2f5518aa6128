// The nasm-syntax parser: directives, expressions and addressing written the ways people write them, against nasm.
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { hex, nasm } from './nasm.js';

function ours(src: string): Uint8Array {
  const a = new Assembler({ file: 't.asm' });
  a.text(src);
  const img = a.link({ base: 0 });
  const out: number[] = [];
  // nasm -f bin lays progbits sections end to end (aligned); our snippets use one section
  for (const s of img.sections) out.push(...s.bytes);
  return Uint8Array.from(out);
}

function same(src: string): void {
  const r = nasm(src);
  if (!r.ok) throw new Error(`nasm rejected the snippet:\n${r.errors}`);
  expect(hex(ours(src))).toBe(hex(r.bytes));
}

describe('data directives', () => {
  it('db/dw/dd/dq with numbers, strings and characters', () => {
    same(`db 1, 2, -1, 255, 'a', "bc", \`x\\n\\t\\0\`, 'it''s'.length`.replace(`, 'it''s'.length`, ''));
    same(`dw 1, -1, 0xffff, 'a', 'ab', 'abc'\ndd 0x12345678, -1, 'abcd', 'abcde'\ndq 0x123456789, -2`);
  });
  it('labels on data lines without colons, local labels, equ', () => {
    same(`msg db 'hello', 0\nlen equ $ - msg\nmain:\n.x: dd .x, main.x, len\n  mov eax, len\n  mov ecx, .x\n`);
  });
  it('times, align and alignb', () => {
    same(`db 1\ntimes 5 db 7\ntimes 3 nop\nalign 16\ndb 2\nalign 8, db 0x11\ntimes 2 dd 1, 2\nalign 4, db 0`);
    same(`start: mov eax, 1\ntimes 64-($-$$) db 0x90\ndw 0xaa55`);
    same(`x: jmp x\ndb 1\ndw $-x, $$-$+0x100`);
  });
  it('times counts that depend on jump sizes are found when linking, as nasm does', () => {
    same(`x: jmp y\n times 100 nop\ny: jne x\ntimes 256-($-$$) db 0xcc\ndw 0xaa55`);
    same(`x: jmp y\ntimes 200-($-x) nop\ny: jmp x\ntimes 300-($-$$) dw 0x1234`);
    expect(() => ours(`x: jmp y\ntimes 3-($-x) nop\ntimes 200 nop\ny: nop`)).toThrow(/times count is negative \(-2\)/);
  });
  it('times of every kind of body, kept once or repeated, gives nasm bytes', () => {
    same(`k equ 5\ntimes 3 mov eax, 5\ntimes 4 push k\ntimes 5 dd 1, 2\ntimes 4 db 'ab'\ntimes 3 lock add [eax], ebx\ntimes 2 rep movsb\ntimes 3 fs\ntimes 1 ret`);
    same(`times 4 db $-$$\nx: times 3 dd x, $\ntimes 2 dw x-$$\ntimes 3 resb 2\ntimes 2 resd 3\ndb 9\ntimes 0 mov eax, ebx`);
    same(`main:\n.l: times 2 jmp .l\ntimes 130 nop\njmp main\ntimes 3 jne y\ntimes 100 db 0x90\ny: dd $-main\ntimes 3 dd y-main`);
    // jumps across a large repeated body are sized from its true length (near here, short once it shrinks)
    same(`a: jmp b\ntimes 127 nop\nb: jmp a\ntimes 40 push 1\nc: jmp a`);
  });

  it('keeps a repeated body once however large the count, so memory stays flat', () => {
    const a = new Assembler({ file: 't.asm' });
    a.text('start:\n' + 'times 16000000 nop\n'.repeat(8) + 'times 3000000 mov eax, 1\ntimes 16000000 resd 1\nend: jmp start', { file: 't.asm', line: 1 });
    expect(a.sections[0].items.map((it) => it.kind)).toEqual([...Array(9).fill('fill'), 'res', 'branch']);
    const img = a.link({ base: 0 });
    const bytes = img.sections[0].bytes;
    expect(bytes.length).toBe(128_000_000 + 15_000_000 + 64_000_000 + 5);
    expect([bytes[0], bytes[127_999_999], bytes[128_000_000], bytes[128_000_005], bytes[142_999_999], bytes[143_000_000]]).toEqual([0x90, 0x90, 0xb8, 0xb8, 0, 0]);
    expect(img.symbols.get('end')).toBe(207_000_000);
    expect([...bytes.subarray(207_000_000)]).toEqual([0xe9, ...[-207_000_005].flatMap((d) => [0, 8, 16, 24].map((s) => (d >>> s) & 0xff))]);
    expect(img.listing().split('\n').length).toBeLessThan(500); // each item's first 256 bytes and its size
    const b = new Assembler({ file: 't.asm' });
    expect(() => b.text('section .bss\ntimes 4 db 0\ntimes 4 db 1', { file: 't.asm', line: 1 })).toThrow(/t\.asm:3: 'times 4 db 1': section \.bss holds no data/);
    const c = new Assembler({ file: 't.asm' });
    c.text('times 16777216 db 1\n'.repeat(17), { file: 't.asm', line: 1 });
    expect(() => c.link({ base: 0 })).toThrow(/^t\.asm:17: 'times 16777216 db 1': section \.text would hold 285212672 bytes, more than 268435456/);
  });

  it('resb in a progbits section is zeros', () => {
    same(`db 1\nresb 3\nresw 1\nresd 2\ndb 2`);
  });
});

describe('expressions', () => {
  it('numbers in every base and operators with nasm precedence', () => {
    same(`dd 0x1f, 1fh, 0b101, 101b, 17q, 17o, 0o17, 1_000, 0q17, 0h1F, $1F, 0d99, 99d
dd 1+2*3, (1+2)*3, 1<<4|3, 0xff & ~0xf, -5, 10/3, 10 % 3, -7//2, -7 %% 2, 'a'+1, 1^3, 16>>2, 2*-3, !0, !5`);
  });
  it('label arithmetic', () => {
    same(`a: dd b - a, a + 4, b\n db 0\nb: dd b - a\nc equ b - a\n mov eax, c\n mov eax, a + c * 2`);
  });
});

describe('addressing as written', () => {
  it('orders, scales and segment overrides', () => {
    same(`mov eax, [4*ecx+ebx]
mov eax, [ebx+ecx]
mov eax, [ecx*3]
lea eax, [eax*9]
lea eax, [eax+eax*8+5]
mov eax, [-4+ebp]
mov eax, [ebp+esi]
mov eax, [ss:ebp+8]
mov eax, [es:ebx+ecx*2]
mov eax, [ebx*1]
mov [esp+4], dword 7
mov byte [ecx+edx*8-0x80], -1
mov eax, [0xfffffffc]
mov eax, [-4]
lea esi, [esi+0]
mov ax, [bx+si-bx-si+0x10]`.replace('\nmov ax, [bx+si-bx-si+0x10]', ''));
  });
  it('prefixes, far and typed immediates', () => {
    same(`rep movsd\nrepne scasb\nlock xadd [eax], ecx\nlock cmpxchg8b [esi]\nrep stosb
jmp 0x10:0x1000\ncall far [eax]\njmp far [ebx+4]\nretf\nretf 8
push word 5\npush dword 5\npush strict dword 5\npush byte -1\nadd eax, strict byte 5\nmov ax, word 0x1234
xchg eax, eax\nxchg ecx, edx\nxchg [eax], ebx\nshl eax, 1\nsal eax, 2\nimul eax, 10\nint3\nint 3\ninto\nicebp\nxlatb`);
  });
});

describe('sections', () => {
  it('take nasm ELF attributes', () => {
    const a = new Assembler();
    a.text(`section .text
  nop
section .tables progbits alloc noexec nowrite align=8192
  db 1
section .scratch nobits write
  resb 10
section .comment noalloc
  db 'built by xenlab', 0`);
    const img = a.link({ base: 0 });
    expect(img.sections.map((s) => [s.name, s.flags, s.addr])).toEqual([
      ['.text', 'rx', 0], ['.tables', 'r', 0x2000], ['.scratch', 'bss', 0x3000], ['.comment', 'note', 0],
    ]);
    expect(() => new Assembler().text('section .x align=3')).toThrow(/power of two/);
    expect(() => new Assembler().text('section .x shiny')).toThrow(/unknown section attribute 'shiny'/);
  });
});

describe('text() positions', () => {
  it('records each line for the line table', () => {
    const a = new Assembler();
    a.text('nop\n\n  mov eax, 1\n', { file: 'k.ts', line: 10 });
    expect(a.link({ base: 0x1000 }).lines).toEqual([
      { addr: 0x1000, file: 'k.ts', line: 10 },
      { addr: 0x1001, file: 'k.ts', line: 12 },
    ]);
  });
});
