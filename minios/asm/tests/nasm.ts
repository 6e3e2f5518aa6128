// Runs the real nasm (the oracle for our encodings) on a batch of lines.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NASM = '/usr/bin/nasm';

export function requireNasm(): void {
  if (!existsSync(NASM)) throw new Error(`${NASM} is missing: install Debian's nasm package (the assembler tests compare against it)`);
}

export interface NasmResult {
  ok: boolean;
  bytes: Uint8Array;
  errors: string;
}

/** Assembles `source` (BITS 32 is prepended) with `nasm -f bin`; returns the bytes or nasm's messages. */
export function nasm(source: string): NasmResult {
  requireNasm();
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-nasm-'));
  try {
    writeFileSync(join(dir, 'in.asm'), 'bits 32\n' + source + '\n');
    try {
      execFileSync(NASM, ['-f', 'bin', '-w-all', '-o', join(dir, 'out.bin'), join(dir, 'in.asm')], { stdio: 'pipe' });
    } catch (e) {
      return { ok: false, bytes: new Uint8Array(0), errors: String((e as { stderr?: Buffer }).stderr ?? e) };
    }
    return { ok: true, bytes: new Uint8Array(readFileSync(join(dir, 'out.bin'))), errors: '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const hex = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
