// The TypeScript-call API: what the compiler uses, checked against the same program written for nasm.
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { al, byte, dword, eax, ebp, ebx, ecx, edi, esi, esp, far, farPtr, imm, mem, sym, word, cr3, fs, dx } from '../operands.js';
import { hex, nasm } from './nasm.js';

function nasmHex(src: string): string {
  const r = nasm(src);
  if (!r.ok) throw new Error(r.errors);
  return hex(r.bytes);
}

describe('TS calls', () => {
  it('assemble a function with local labels, data and fixups like nasm', () => {
    const a = new Assembler();
    a.label('main');
    a.push(ebp);
    a.mov(ebp, esp);
    a.mov(ecx, dword(mem({ base: ebp, disp: 8 })));
    a.label('.loop');
    a.mov(al, byte(mem({ base: esi, index: ecx, scale: 1, disp: sym('table') })));
    a.cmp(al, 0);
    a.je(sym('.done'));
    a.ins('rep stosb');
    a.dec(ecx);
    a.jnz(sym('.loop'));
    a.label('.done');
    a.lea(eax, mem({ base: ebx, index: edi, scale: 8, disp: -12 }));
    a.mov(word(mem({ disp: sym('table', 2), seg: fs })), 0x1234);
    a.push(imm(7, 2));
    a.mov(cr3, eax);
    a.out(dx, al);
    a.jmp(farPtr(0xe019, sym('main')));
    a.call(far(mem({ base: eax })));
    a.leave();
    a.ret(4);
    a.label('table');
    a.db(1, 2, 'ab');
    a.dw(0xffff, sym('main.loop'));
    a.dd(sym('main.done'), sym('table', -1), -1);
    a.dq(0x123456789abcdefn);
    a.times(3, (i) => a.db(i));
    a.align(8);
    a.asciz('hi');
    a.org(0x80);
    a.resb(2);
    a.db(9);
    const ours = hex(a.link({ base: 0 }).sections[0].bytes);
    expect(ours).toBe(nasmHex(`
main:
  push ebp
  mov ebp, esp
  mov ecx, dword [ebp+8]
.loop:
  mov al, byte [esi+ecx+table]
  cmp al, 0
  je .done
  rep stosb
  dec ecx
  jnz .loop
.done:
  lea eax, [ebx+edi*8-12]
  mov word [fs:table+2], 0x1234
  push word 7
  mov cr3, eax
  out dx, al
  jmp 0xe019:main
  call far [eax]
  leave
  ret 4
table:
  db 1, 2, 'ab'
  dw 0xffff, main.loop
  dd main.done, table-1, -1
  dq 0x123456789abcdef
  db 0, 1, 2
  align 8
  db 'hi', 0
  times 0x80-($-$$) db 0
  resb 2
  db 9`));
  });

  it('align fills code with nop and data with zeros; bss holds no bytes', () => {
    const a = new Assembler();
    a.section('.text');
    a.nop();
    a.align(4);
    a.section('.data');
    a.db(1);
    a.align(4);
    a.section('.bss');
    a.resd(10);
    a.align(16);
    a.label('end');
    const img = a.link({ base: 0x100000 });
    expect(img.sections.map((s) => [s.name, s.addr, hex(s.bytes), s.size])).toEqual([
      ['.text', 0x100000, '90 90 90 90', 4],
      ['.data', 0x101000, '01 00 00 00', 4],
      ['.bss', 0x102000, '', 48],
    ]);
    expect(img.symbols.get('end')).toBe(0x102030);
    expect(() => a.db(1)).toThrow(/section \.bss holds no data/);
  });

  it('aligns from the section start, and align raises the section alignment, as nasm does with org', () => {
    const a = new Assembler();
    a.text('nop\nalign 16\nx: jmp x\ndd x');
    const img = a.link({ base: 0x1004 });
    // nasm moves the section up to 0x1010 (zero padding in front of it in the file) and puts x at 0x1020.
    expect(img.sections[0].addr).toBe(0x1010);
    expect(img.symbols.get('x')).toBe(0x1020);
    expect('00 '.repeat(12) + hex(img.sections[0].bytes)).toBe(nasmHex('org 0x1004\nnop\nalign 16\nx: jmp x\ndd x'));
  });

  it('equ constants get short encodings; symbols get 32-bit fields', () => {
    const a = new Assembler();
    a.equ('FLAT_KERNEL_SS', 0xe021);
    a.equ('SMALL', 8);
    a.add(eax, sym('SMALL'));
    a.mov(eax, dword(mem({ base: ebx, disp: sym('SMALL') })));
    a.push(sym('FLAT_KERNEL_SS'));
    a.label('x');
    a.add(eax, sym('x'));
    expect(hex(a.link({ base: 0 }).sections[0].bytes)).toBe(
      nasmHex('SMALL equ 8\nFLAT_KERNEL_SS equ 0xe021\nadd eax, SMALL\nmov eax, [ebx+SMALL]\npush FLAT_KERNEL_SS\nx: add eax, x'));
  });

  it('records loc() positions in the line table and listing', () => {
    const a = new Assembler();
    a.loc('kernel.ts', 3, 5);
    a.mov(eax, 1);
    a.mov(ebx, 2);
    a.loc('kernel.ts', 4, 1);
    a.ret();
    const img = a.link({ base: 0x1000 });
    expect(img.lines).toEqual([
      { addr: 0x1000, file: 'kernel.ts', line: 3, column: 5 },
      { addr: 0x100a, file: 'kernel.ts', line: 4, column: 1 },
    ]);
    expect(img.listing()).toBe([
      'section .text',
      '; kernel.ts:3',
      '00001000  b8 01 00 00 00            mov eax, 1',
      '00001005  bb 02 00 00 00            mov ebx, 2',
      '; kernel.ts:4',
      '0000100a  c3                        ret',
      '',
    ].join('\n'));
  });
});
