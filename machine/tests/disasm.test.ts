import { describe, expect, it } from 'vitest';
import { disassemble } from '../cpu/disasm.js';
import { nasm } from './harness.js';

// Each line is assembled by nasm, disassembled by us, and our text assembled
// again by nasm: the bytes must round-trip exactly.
const LINES = `
mov eax, [ebx+0x8]
mov [esp+0x10], ecx
mov al, [esi+edi*4-0x20]
mov word [eax], 0x1234
mov dword [0x1000], 0x5
add eax, ebx
add eax, byte -1
sub dword [ebp-0x4], 0x100
and cl, 0x7f
xor edx, edx
cmp byte [eax+ecx], 0x0
test eax, 0x80000000
lea esi, [eax+ebx*2+0x10]
movzx eax, byte [ebx]
movsx ecx, word [edx+0x2]
push ebp
pop edi
push dword [eax]
imul eax, ecx, 0x10
imul edx, [ebx]
shl eax, 0x3
sar dword [ecx], 1
rol bl, cl
shld eax, edx, 0x4
shrd eax, edx, cl
inc dword [eax]
dec cx
neg eax
not byte [edi]
mul ecx
idiv dword [esi]
cdq
rep movsd
rep stosb
repne scasb
lock cmpxchg [edx], ecx
lock xadd [eax], ebx
cmpxchg8b [esi]
bswap ecx
bt eax, 0x5
bts [eax], edx
bsf eax, ecx
setne al
cmovg eax, [ebx]
xchg eax, ecx
int 0x82
int3
iretd
ret
ret 0x8
retf
hlt
cli
sti
cpuid
rdtsc
wrmsr
in al, dx
out 0x80, al
lgdt [eax]
lidt [0x2000]
ltr ax
mov cr3, eax
mov eax, cr0
invlpg [ebx]
mov ds, ax
mov ax, ss
pushfd
popad
leave
enter 0x10, 0x0
mov eax, [fs:0x0]
jmp far [eax]
jmp 0x8:0x1000
pause
xchg ax, ax
o16 leave
movsx eax, byte [fs:ebx]
movsx ax, byte [bx+si]
movsx ecx, word [gs:bp+di+0x4]
movzx eax, byte [es:si]
fs movsx edx, word [eax]
fs rep movsb
a16 lodsd
add eax, strict dword 5
add eax, strict dword 0xfffffffb
add ax, strict word 5
add ebx, strict dword -0x80
add word [eax], strict word 0x7f
sub dword [ebp-0x4], strict dword 0x10
cmp eax, strict dword 0x7f
push strict dword 5
push strict word -3
imul eax, ebx, strict dword 5
imul ax, [ecx], strict word 0x20
add eax, 0x80
push 0xffffff80
`.trim().split('\n');

describe('disassembler', () => {
  for (const line of LINES) {
    it(`round-trips "${line}" through nasm`, () => {
      const bytes = nasm(line, 0x1000);
      const d = disassemble(bytes, 0, 0x1000);
      expect(d.length).toBe(bytes.length);
      const again = nasm(d.text, 0x1000);
      expect(Array.from(again), `${line} -> ${d.text}`).toEqual(Array.from(bytes));
    });
  }

  it('resolves relative jumps to absolute targets', () => {
    const bytes = nasm('jmp 0x1234\njz 0x1000\ncall 0x2000', 0x1000);
    const a = disassemble(bytes, 0, 0x1000);
    expect(a.text).toBe('jmp 0x1234');
    const b = disassemble(bytes, a.length, 0x1000 + a.length);
    expect(b.text).toBe('je 0x1000');
    const c = disassemble(bytes, a.length + b.length, 0x1000 + a.length + b.length);
    expect(c.text).toBe('call 0x2000');
  });

  it('reports bad bytes and truncated buffers', () => {
    expect(disassemble(new Uint8Array([0x0f, 0xff]), 0, 0)).toEqual({ text: '(bad)', length: 2 });
    expect(disassemble(new Uint8Array([0xb8, 0x01]), 0, 0)).toEqual({ text: '(bad)', length: 1 });
    expect(disassemble(new Uint8Array([0x8d, 0xc0]), 0, 0).text).toBe('(bad)');
  });
});
