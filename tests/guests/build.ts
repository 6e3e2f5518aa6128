// Builds a C test guest (tests/guests/<name>/*.c, *.S with common/) the
// book's way: gcc -m32 -ffreestanding, ld -m elf_i386 -Ttext 0x0.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CFLAGS = ['-m32', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-fno-asynchronous-unwind-tables',
  '-nostdlib', '-O1', '-Wall', '-I/usr/include', '-I', join(here, 'common')];

const cache = new Map<string, Uint8Array>();

/** The ELF32 kernel for guest `name`; throws with gcc's/ld's message when the build fails. */
export function buildGuest(name: string): Uint8Array {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), `xenlab-guest-${name}-`));
  const sources = [join(here, 'common', 'bootstrap.S'),
    ...readdirSync(join(here, name)).filter((f) => /\.(c|S)$/.test(f)).sort().map((f) => join(here, name, f))];
  const objects = sources.map((src, i) => {
    const obj = join(dir, `${i}.o`);
    try {
      execFileSync('gcc', [...CFLAGS, '-c', src, '-o', obj], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`gcc failed on ${src} (CI needs gcc-multilib and libxen-dev): ${(e as { stderr?: Buffer }).stderr ?? e}`);
    }
    return obj;
  });
  const out = join(dir, 'kernel.elf');
  execFileSync('ld', ['-m', 'elf_i386', '-Ttext', '0x0', '-e', '_start', '-o', out, ...objects], { stdio: 'pipe' });
  const bytes = new Uint8Array(readFileSync(out));
  cache.set(name, bytes);
  return bytes;
}
