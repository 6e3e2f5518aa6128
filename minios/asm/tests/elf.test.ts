// ELF output read back by binutils (readelf, objdump), by our reader, and checked against Xen's own header numbers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { writeElf32, XenElfNote } from '../elf.js';
import { describeAddress, ElfError, readElf32, symbolize } from '../elfread.js';
import { lineFor } from '../lines.js';

const dir = mkdtempSync(join(tmpdir(), 'xenlab-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tool(name: string, args: string[], bytes: Uint8Array): string {
  const path = `/usr/bin/${name}`;
  if (!existsSync(path)) throw new Error(`${path} is missing: install Debian's binutils (the ELF tests use it)`);
  const file = join(dir, `k${Math.random().toString(36).slice(2)}.elf`);
  writeFileSync(file, bytes);
  return execFileSync(path, [...args, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function kernel(): Assembler {
  const a = new Assembler({ file: 'boot.asm' });
  a.text(`
section .text
global _start
_start:
  cld
  lss esp, [stack_start]
  push esi
  call start_kernel
.hang:
  hlt
  jmp .hang
start_kernel:
  mov eax, 18
  mov ebx, 0
  mov ecx, msg_len
  mov edx, msg
  int 0x82
  ret
section .data
msg: db 'hello', 10
msg_len equ $ - msg
stack_start: dd stack_top, 0xe021
section .bss
  resb 8192
stack_top:
`, { file: 'boot.asm', line: 1 });
  return a;
}

describe('writeElf32', () => {
  const image = kernel().link({ base: 0xc0000000 });
  const elf = writeElf32(image, { entry: '_start', xenNotes: true });

  it('is a valid ET_EXEC EM_386 file for readelf', () => {
    const out = tool('readelf', ['-a', '-W'], elf);
    expect(out).not.toMatch(/warning|error/i);
    expect(out).toMatch(/Type:\s+EXEC/);
    expect(out).toMatch(/Machine:\s+Intel 80386/);
    expect(out).toMatch(/Entry point address:\s+0xc0000000/);
    expect(out).toMatch(/LOAD\s+0x001000 0xc0000000 0xc0000000 0x\w+ 0x\w+ R E 0x1000/);
    expect(out).toMatch(/LOAD\s+0x\w+ 0xc0002000 0xc0002000 0x00000 0x02000 RW\s+0x1000/);
    expect(out).toMatch(/NOTE/);
    expect(out).toMatch(/GLOBAL\s+DEFAULT\s+1 _start/);
    expect(out).toMatch(/LOCAL\s+DEFAULT\s+1 _start\.hang/);
  });

  it('disassembles with objdump at the right addresses and symbols', () => {
    const out = tool('objdump', ['-d', '-M', 'intel', '-j', '.text'], elf);
    expect(out).toMatch(/c0000000 <_start>:/);
    expect(out).toMatch(/lss\s+esp,FWORD PTR ds:0xc0001006/);
    expect(out).toMatch(/call\s+c0000011 <start_kernel>/);
    expect(out).toMatch(/c000000e <_start\.hang>:/);
    expect(out).toMatch(/int\s+0x82/);
  });

  it("carries the book's __xen_guest string", () => {
    const r = readElf32(elf);
    expect(r.xenGuest).toBe('GUEST_OS=Mini-OS,XEN_VER=xen-3.0,VIRT_BASE=0x0,ELF_PADDR_OFFSET=0x0,HYPERCALL_PAGE=0x2,PAE=no,LOADER=generic');
    const r2 = readElf32(writeElf32(image, { entry: '_start', xenGuest: { GUEST_OS: 'xenlab', FEATURES: 'writable_page_tables' } }));
    expect(r2.xenGuest).toBe('GUEST_OS=xenlab,XEN_VER=xen-3.0,VIRT_BASE=0x0,ELF_PADDR_OFFSET=0x0,HYPERCALL_PAGE=0x2,PAE=no,LOADER=generic,FEATURES=writable_page_tables');
    expect(readElf32(writeElf32(image, { entry: 0, xenGuest: false })).xenGuest).toBeUndefined();
  });

  it('writes Xen notes with the numbers of xen/include/public/elfnote.h', () => {
    const header = readFileSync('/usr/include/xen/elfnote.h', 'utf8');
    const num = (name: string) => Number(header.match(new RegExp(`#define XEN_ELFNOTE_${name}\\s+(\\d+)`))![1]);
    for (const [k, v] of Object.entries(XenElfNote)) expect([k, v]).toEqual([k, num(k)]);
    const notes = readElf32(elf).notes;
    const str = (t: number) => new TextDecoder().decode(notes.find((n) => n.type === t)!.desc).replace(/\0$/, '');
    const u32 = (t: number) => new DataView(notes.find((n) => n.type === t)!.desc.buffer).getUint32(0, true);
    expect(notes.every((n) => n.owner === 'Xen')).toBe(true);
    expect(str(num('GUEST_OS'))).toBe('Mini-OS');
    expect(str(num('XEN_VERSION'))).toBe('xen-3.0');
    expect(str(num('LOADER'))).toBe('generic');
    expect(str(num('PAE_MODE'))).toBe('no');
    expect(u32(num('ENTRY'))).toBe(0xc0000000);
    expect(u32(num('HYPERCALL_PAGE'))).toBe(0x2000);
    expect(u32(num('VIRT_BASE'))).toBe(0);
    // readelf agrees on the note layout
    expect(tool('readelf', ['-n', '-W'], elf)).toMatch(/Xen\s+0x00000008\s+.*4d 69 6e 69 2d 4f 53 00/);
  });

  it('reads back sections, symbols and the line table', () => {
    const r = readElf32(elf);
    const text = r.sections.find((s) => s.name === '.text')!;
    expect([...text.data]).toEqual([...image.sections[0].bytes]);
    expect(r.segments.filter((p) => p.type === 1).map((p) => [p.vaddr, p.memsz])).toEqual([[0xc0000000, 0x28], [0xc0001000, 14], [0xc0002000, 0x2000]]);
    expect(symbolize(r, 0xc0000012)).toEqual({ name: 'start_kernel', offset: 1 });
    expect(symbolize(r, 0xc000000e)).toEqual({ name: '_start.hang', offset: 0 });
    expect(lineFor(r.lines, 0xc000000e)).toEqual({ addr: 0xc000000e, file: 'boot.asm', line: 10 });
    expect(lineFor(r.lines, 0xc0000026)?.line).toBe(17);
    expect(describeAddress(r, 0xc0000026)).toBe('start_kernel+0x15 (boot.asm:17)');
    expect(describeAddress(r, 0x10)).toBe('0x10');
    expect(symbolize(r, 0xc0100000)).toBeUndefined();
    expect(image.symbols.get('msg_len')).toBe(6);
  });

  it('takes __xen_guest and notes written in assembly', () => {
    const a = new Assembler();
    a.text(`global _start
_start: hlt
section __xen_guest
  db 'GUEST_OS=handmade,XEN_VER=xen-3.0,HYPERCALL_PAGE=0x1,LOADER=generic', 0
section .note.Xen
  dd 4, 4, 6
  db 'Xen', 0
  db 'abc', 0`);
    const elf = writeElf32(a.link({ base: 0 }), { entry: '_start' });
    const r = readElf32(elf);
    expect(r.xenGuest).toBe('GUEST_OS=handmade,XEN_VER=xen-3.0,HYPERCALL_PAGE=0x1,LOADER=generic');
    expect(r.notes).toEqual([{ owner: 'Xen', type: 6, desc: new TextEncoder().encode('abc\0') }]);
    expect(tool('readelf', ['-l', '-W'], elf)).toMatch(/NOTE\s+0x\w+ 0x00000000 0x00000000 0x00014 0x00014 R\s+0x4/);
  });

  it('keeps file offsets congruent to addresses for an unaligned base', () => {
    const elf = writeElf32(kernel().link({ base: 0x100010 }), { entry: '_start' });
    const r = readElf32(elf);
    for (const p of r.segments.filter((p) => p.type === 1)) expect(p.offset % 0x1000).toBe(p.vaddr % 0x1000);
    expect(r.segments[0].vaddr).toBe(0x100010);
    expect(tool('readelf', ['-l', '-W'], elf)).not.toMatch(/warning|error/i);
  });

  it('uses paddrOffset for p_paddr', () => {
    const r = readElf32(writeElf32(image, { entry: '_start', paddrOffset: 0xc0000000 }));
    expect(r.segments[0].paddr).toBe(0);
  });

  it('rejects an undefined entry symbol', () => {
    expect(() => writeElf32(image, { entry: 'nope' })).toThrow(/entry symbol 'nope' is not defined/);
  });
});

describe('readElf32 on bad input', () => {
  it('says what is wrong', () => {
    expect(() => readElf32(new Uint8Array(10))).toThrow(/only 10 bytes/);
    expect(() => readElf32(new Uint8Array(64))).toThrow(/bad magic/);
    const elf = writeElf32(kernel().link({ base: 0 }), { entry: 0 });
    const cut = elf.slice(0, 0x1100);
    expect(() => readElf32(cut)).toThrow(ElfError);
    const c64 = elf.slice(); c64[4] = 2;
    expect(() => readElf32(c64)).toThrow(/not a 32-bit/);
  });
});
