// Builds the Multiboot test kernels (tests/mb/*.c) with gcc -m32 and ld, and
// runs an image under QEMU for the differential tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CFLAGS = ['-m32', '-O2', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-nostdlib', '-fno-builtin'];

/** Builds `name`.c (plus the C workload) into a Multiboot ELF; returns its bytes. */
export function buildKernel(name: string): Uint8Array {
  return buildKernelFrom(join(here, `${name}.c`));
}

/** Builds a kernel from C source text (it may `#include "lib.h"`). */
export function buildKernelFromSource(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-mbsrc-'));
  writeFileSync(join(dir, 'k.c'), source);
  return buildKernelFrom(join(dir, 'k.c'));
}

function buildKernelFrom(cFile: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-mb-'));
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });
  run('gcc', [...CFLAGS, '-I', here, '-c', cFile, '-o', join(dir, 'k.o')]);
  run('gcc', [...CFLAGS, '-c', join(here, '..', 'c', 'workload.c'), '-o', join(dir, 'w.o')]);
  run('gcc', ['-m32', '-c', join(here, 'boot.S'), '-o', join(dir, 'b.o')]);
  const libgcc = execFileSync('gcc', ['-m32', '-print-libgcc-file-name']).toString().trim();
  run('ld', ['-m', 'elf_i386', '--no-warn-rwx-segments', '-z', 'noexecstack', '-T', join(here, 'kernel.ld'), '-o', join(dir, 'k.elf'), join(dir, 'b.o'), join(dir, 'k.o'), join(dir, 'w.o'), libgcc]);
  return new Uint8Array(readFileSync(join(dir, 'k.elf')));
}

/** Runs a kernel file under qemu-system-i386; returns serial output and exit status. */
export function runQemu(elfPath: string, memoryMiB = 32): { out: string; status: number | null } {
  const r = spawnSync('qemu-system-i386', [
    '-kernel', elfPath, '-serial', 'stdio', '-display', 'none', '-monitor', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-no-reboot', '-m', String(memoryMiB),
  ], { timeout: 30_000, maxBuffer: 1 << 24 });
  if (r.error) throw new Error(`qemu-system-i386 failed or hung (${r.error.message}); is Debian's qemu-system-x86 installed?`);
  return { out: r.stdout.toString(), status: r.status };
}
