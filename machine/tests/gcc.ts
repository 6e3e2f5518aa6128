// Builds the C workload (tests/c/workload.c) as a flat 32-bit image and
// natively, for the differential C tests and the benchmark.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), 'c');

/**
 * Flat image whose entry is its first byte. By default linked at 0x10000 with
 * the results at 0x8000; `base` links it elsewhere (a Xen-style 0xC0010000,
 * say), with the results 0x8000 bytes below 64 KiB past `base` - 0x10000.
 */
export function buildWorkloadImage(base = 0x10000): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-cw-'));
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });
  run('gcc', ['-O2', '-m32', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-nostdlib', '-c', join(here, 'workload.c'), '-o', join(dir, 'w.o')]);
  const out = (base - 0x10000 + 0x8000) >>> 0;
  run('gcc', ['-m32', `-DOUT=0x${out.toString(16)}`, '-c', join(here, 'start.S'), '-o', join(dir, 's.o')]);
  const libgcc = execFileSync('gcc', ['-m32', '-print-libgcc-file-name']).toString().trim();
  run('ld', ['-m', 'elf_i386', '-T', join(here, 'flat.ld'), `--defsym=IMAGE_BASE=0x${base.toString(16)}`, '--oformat', 'binary', '-o', join(dir, 'w.bin'), join(dir, 's.o'), join(dir, 'w.o'), libgcc]);
  return new Uint8Array(readFileSync(join(dir, 'w.bin')));
}

/** Runs the native build and returns its output line ("acc out0 .. out6"). */
export function runWorkloadNative(rounds: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-cn-'));
  execFileSync('gcc', ['-O2', join(here, 'workload.c'), join(here, 'native-main.c'), '-o', join(dir, 'w')], { stdio: 'pipe' });
  return execFileSync(join(dir, 'w'), [String(rounds)]).toString().trim();
}
