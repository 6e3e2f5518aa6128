// End to end: a hand-written kernel assembled here boots under `xenlab run` and prints through the hypercall page.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { writeElf32 } from '../elf.js';
import { readElf32 } from '../elfread.js';

const root = new URL('../../../', import.meta.url).pathname;

const hello = `
HYPERVISOR_console_io equ 18
HYPERVISOR_sched_op equ 29
section .text
global _start
_start:
  cld
  lss esp, [stack_start]
  mov ebx, 0                      ; CONSOLEIO_write
  mov ecx, msg_len
  mov edx, msg
  call hypercall_page + HYPERVISOR_console_io * 32
  mov ebx, 2                      ; SCHEDOP_shutdown
  mov ecx, shutdown_reason        ; SHUTDOWN_poweroff = 0
  call hypercall_page + HYPERVISOR_sched_op * 32
  hlt
align 4096, db 0
hypercall_page:
  times 4096 db 0
section .data
msg: db 'Hello from minios/asm!', 10
msg_len equ $ - msg
shutdown_reason: dd 0
stack_start: dd stack_top, 0xe021
section .bss
  resb 8192
stack_top:
`;

/** Runs `elf` with `xenlab run` and returns its output. */
function run(elf: Uint8Array): { stdout: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-boot-'));
  try {
    writeFileSync(join(dir, 'hello.elf'), elf);
    return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'run', join(dir, 'hello.elf')], {
      encoding: 'utf8', cwd: root, timeout: 60_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assemble(extra = ''): ReturnType<Assembler['link']> {
  const a = new Assembler({ file: 'hello.asm' });
  a.text(hello + extra, { file: 'hello.asm', line: 1 });
  return a.link({ base: 0 });
}

const ok = { stderr: '', stdout: 'Hello from minios/asm!\n', status: 0 };

describe('boot', () => {
  it('runs under the hypervisor with xenlab run (__xen_guest and notes)', () => {
    const elf = writeElf32(assemble(), { entry: '_start', xenGuest: { HYPERCALL_PAGE: '0x1' }, xenNotes: true });
    expect(run(elf)).toMatchObject(ok);
  });
  it('the hypervisor loader reads the Xen ELF notes alone (no __xen_guest)', () => {
    const elf = writeElf32(assemble(), { entry: '_start', xenGuest: false, xenNotes: { HYPERCALL_PAGE: '0x1' } });
    expect(readElf32(elf).xenGuest).toBeUndefined();
    expect(run(elf)).toMatchObject(ok);
  });
  it('the loader reads Xen notes written in assembly (.note.Xen, XEN_ELFNOTE_* numbers)', () => {
    const note = (type: number, desc: string) => `  dd 4, ${desc.startsWith("'") ? `${desc.length - 2 + 1}` : '4'}, ${type}\n  db 'Xen', 0\n` +
      (desc.startsWith("'") ? `  db ${desc}, 0\n  align 4, db 0\n` : `  dd ${desc}\n`);
    const notes = `
section .note.Xen note
${note(6, "'hand-written'")}${note(5, "'xen-3.0'")}${note(8, "'generic'")}${note(3, '0')}${note(4, '0')}${note(1, '_start')}${note(2, 'hypercall_page')}`;
    const elf = writeElf32(assemble(notes), { entry: '_start', xenGuest: false });
    const r = readElf32(elf);
    expect(r.notes.map((n) => n.type)).toEqual([6, 5, 8, 3, 4, 1, 2]);
    expect(run(elf)).toMatchObject(ok);
  });
});
