// Errors name the source position, the instruction and the problem; what nasm rejects, we reject too.
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { AsmError } from '../errors.js';
import { writeElf32 } from '../elf.js';
import { byte, eax, ebx, mem, al, ecx, dword, imm } from '../operands.js';
import { nasm } from './nasm.js';

function textError(src: string): string {
  const a = new Assembler({ file: 'k.asm' });
  try {
    a.text(src, { file: 'k.asm', line: 1 });
    a.link({ base: 0 });
  } catch (e) {
    if (!(e instanceof AsmError)) throw e;
    return e.message;
  }
  throw new Error(`no error for: ${src}`);
}

describe('error messages', () => {
  it('name position, instruction and problem for TS calls', () => {
    const a = new Assembler();
    a.loc('kernel.ts', 12, 3);
    expect(() => a.mov(byte(mem({ base: eax })), 300)).toThrow("kernel.ts:12:3: 'mov byte [eax], 300': immediate 300 does not fit in 8 bits");
    expect(() => a.mov(mem({ base: eax }), 1)).toThrow("kernel.ts:12:3: 'mov [eax], 1': operation size not specified; write byte, word or dword before [");
    expect(() => a.mov(eax, al)).toThrow(/'mov eax, al': invalid combination of operands \(valid forms: .*r32,rm32/);
    expect(() => a.add(eax, ebx, ecx)).toThrow("'add' takes 2 operands, not 3");
    expect(() => a.ins('frobnicate', eax)).toThrow("kernel.ts:12:3: 'frobnicate eax': unknown instruction 'frobnicate'");
    expect(() => a.push(imm(5, 1, true), 1)).toThrow(/'push' takes 1 operand, not 2/);
    expect(() => a.mov(eax, mem({ base: eax, index: { ...ebx, name: 'bx', size: 2 } }))).toThrow(/16-bit and 32-bit registers cannot be mixed/);
    expect(() => a.mov(dword(mem({ index: { ...eax, name: 'esp', num: 4 }, scale: 2 })), 1)).toThrow(/esp cannot be an index register/);
    expect(() => a.label('_start') ?? a.label('_start')).toThrow("kernel.ts:12:3: label '_start' is defined twice");
  });

  it('name the text line', () => {
    expect(textError('nop\n  movzx eax, [ebx]')).toBe("k.asm:2: 'movzx eax, [ebx]': operation size not specified; write byte, word or dword before [");
    expect(textError('mov eax, [eax+ebx+ecx]')).toMatch(/^k\.asm:1: 'mov eax, \[eax\+ebx\+ecx\]': invalid effective address/);
    expect(textError('db 1\nfoo eax')).toBe("k.asm:2: 'foo eax': unknown instruction 'foo'");
    expect(textError('times x nop')).toBe("k.asm:1: 'times x nop': undefined symbol 'x'");
    expect(textError('mov eax, "abcde"')).toMatch(/longer than 4 bytes/);
    expect(textError('extern printf')).toMatch(/'extern' is not supported/);
    expect(textError('mov eax, ebx ebx')).toMatch(/k\.asm:1: 'mov eax, ebx ebx': unexpected 'ebx' at column/);
    expect(textError("db 'abc")).toMatch(/unterminated string/);
    expect(textError('bits 16')).toMatch(/only BITS 32/);
    expect(textError('.x: nop')).toMatch(/local label '.x' has no preceding non-local label/);
  });

  it('report link-time problems at the instruction', () => {
    expect(textError('nop\n  jmp nowhere')).toBe("k.asm:2: 'jmp nowhere': undefined symbol 'nowhere'");
    expect(textError('a: nop\n  call b')).toBe("k.asm:2: 'call b': undefined symbol 'b'");
    expect(textError('x: loop y\ntimes 300 nop\ny:')).toMatch(/^k\.asm:1: 'loop y': jump target out of range by 173 bytes/);
    expect(textError('db 1\norg2: dw 0\nmov al, far_label\nfar_label equ 0x1000')).toBe("k.asm:3: 'mov al, far_label': address 0x1000 does not fit in 8 bits");
  });

  it('report section limits and undefined globals at the line that caused them, not at no position', () => {
    expect(textError('db 1\nresb 0x8000000\nresb 0x8000000\ndb 2')).toBe("k.asm:3: 'resb 0x8000000': section .text would hold 268435458 bytes, more than 268435456: use .bss (resb) for large zeroed areas");
    const a = new Assembler();
    a.text('nop\ntimes 0x800 db 0\nret', { file: 'k.asm', line: 7 });
    expect(() => a.link({ base: 0xfffff800 })).toThrow("k.asm:8: 'times 0x800 db 0': section .text ends beyond the 4 GiB address space");
    const b = new Assembler();
    b.text('global _start\n_start: nop\n  global nowhere', { file: 'k.asm', line: 20 });
    expect(() => writeElf32(b.link({ base: 0 }), { entry: '_start' })).toThrow("k.asm:22: 'global nowhere': global symbol 'nowhere' is not defined");
  });

  it('reject instruction lines nasm rejects', () => {
    const bad = [
      'mov [eax], 1', 'mov eax, bl', 'add eax, ebx, ecx', 'mov eax, [eax+ebx+ecx]', 'push al', 'lea eax, ebx', 'movzx eax, [ebx]',
      'shl eax, ebx', 'ret eax', 'inc [eax]', 'mov eax, [esp*2]', 'out al, dx', 'in dx, al', 'xchg al, eax', 'imul al, 5',
      'bswap ax', 'lgdt eax', 'jmp al', 'mov cr0, ax', 'mov ds, 5', 'shld eax, ebx, byte 5', 'enter word 5, 0',
      'add eax, word 5', 'mov eax, byte 5', 'mov eax, [bx+cx]', 'mov eax, [si+di]', 'mov eax, [bx+eax]', 'mov eax, [bx*2]',
 'int eax', 'test [eax], 5', 'cmpxchg8b eax', 'mov dr0, [eax]', 'loop eax',
    ];
    for (const line of bad) {
      expect(nasm(line).ok, `nasm accepts '${line}'`).toBe(false);
      expect(() => new Assembler().text(line), line).toThrow(AsmError);
    }
  });

  it('never throw anything but AsmError for garbage text', () => {
    const junk = ['mov', 'mov ,', '[', ']', 'mov eax, [', 'db', 'times', 'align', 'align 3', 'section', '(1', '1+', ':', 'x: y: z:', 'mov eax, (1',
      'jmp short', 'lock', 'rep', 'mov eax, 1/0', 'dd 1 %% 0', 'equ 5', 'x equ', 'mov eax, 1:2:3', '`abc'];
    for (const j of junk) {
      try {
        new Assembler().text(j);
      } catch (e) {
        expect(e, j).toBeInstanceOf(AsmError);
      }
    }
  });
});

describe('limits instead of hangs', () => {
  it('refuses absurd sizes with a hint', () => {
    expect(textError('times 1000000000 nop')).toMatch(/times count 1000000000 is larger than 16777216; reserve space with resb/);
    expect(textError('db 1\nresb 0x20000000')).toMatch(/section \.text would hold 536870913 bytes.*use \.bss/);
    expect(() => new Assembler().org(2 ** 40)).not.toThrow();
  });
});
