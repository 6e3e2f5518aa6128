// End to end: a hand-written kernel assembled here boots under `xenlab run` and prints through the hypercall page.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { writeElf32 } from '../elf.js';

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

describe('boot', () => {
  it('runs under the hypervisor with xenlab run', () => {
    const a = new Assembler({ file: 'hello.asm' });
    a.text(hello, { file: 'hello.asm', line: 1 });
    const elf = writeElf32(a.link({ base: 0 }), { entry: '_start', xenGuest: { HYPERCALL_PAGE: '0x1' }, xenNotes: true });
    const dir = mkdtempSync(join(tmpdir(), 'xenlab-boot-'));
    try {
      writeFileSync(join(dir, 'hello.elf'), elf);
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), 'run', join(dir, 'hello.elf')], {
        encoding: 'utf8', cwd: root, timeout: 60_000,
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('Hello from minios/asm!\n');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
