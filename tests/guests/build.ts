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
export function buildGuest(name: string, opts: { textBase?: number } = {}): Uint8Array {
  const key = `${name}@${opts.textBase ?? 0}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), `xenlab-guest-${name}-`));
  const own = readdirSync(join(here, name)).filter((f) => /\.(c|S)$/.test(f)).sort();
  // A guest with its own bootstrap.S (e.g. ELF notes instead of __xen_guest) replaces the common one.
  const sources = [...(own.includes('bootstrap.S') ? [] : [join(here, 'common', 'bootstrap.S')]),
    ...own.sort((a, b) => (a === 'bootstrap.S' ? -1 : b === 'bootstrap.S' ? 1 : a.localeCompare(b))).map((f) => join(here, name, f))];
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
  // Above 0 ld would also load the ELF headers in a segment below .text; -N keeps them out.
  const headerless = opts.textBase ? ['-N'] : [];
  const libgcc = execFileSync('gcc', ['-m32', '-print-libgcc-file-name']).toString().trim();
  execFileSync('ld', ['-m', 'elf_i386', ...headerless, '-Ttext', '0x' + (opts.textBase ?? 0).toString(16), '-e', '_start', '-o', out, ...objects, libgcc], { stdio: 'pipe' });
  const bytes = new Uint8Array(readFileSync(out));
  cache.set(key, bytes);
  return bytes;
}
