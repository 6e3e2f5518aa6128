// Test helpers: compile kernel sources held in memory (a virtual submission folder) against the real kit.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileKernel, formatDiagnostic, nodeFs, type CompileResult } from '../index.js';
import type { FileSystem } from '../program.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const kernelDir = path.join(repoRoot, 'minios/kernel');
export const subDir = '/virtual/submission';

export function memoryFs(files: Record<string, string>): FileSystem {
  const abs = new Map(Object.entries(files).map(([k, v]) => [path.resolve(subDir, k), v]));
  return {
    readFile: (f) => abs.get(path.resolve(f)) ?? nodeFs.readFile(f),
    exists: (f) => abs.has(path.resolve(f)) || nodeFs.exists(f),
    list: (d) => nodeFs.list?.(d),
  };
}

/** Compiles `files` (name -> source; every file is an entry). */
export function compile(files: Record<string, string>, opts: { listing?: boolean } = {}): CompileResult {
  return compileKernel({
    files: Object.keys(files).map((f) => path.join(subDir, f)),
    kitRoot: repoRoot,
    allowedRoots: [kernelDir, subDir],
    fs: memoryFs(files),
    listing: opts.listing,
  });
}

export function compileOk(files: Record<string, string>, opts: { listing?: boolean } = {}): Extract<CompileResult, { ok: true }> {
  const r = compile(files, opts);
  if (!r.ok) throw new Error('compile failed:\n' + r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  return r;
}

/** The first diagnostic of a kernel that must not compile. */
export function firstError(files: Record<string, string>) {
  const r = compile(files);
  if (r.ok) throw new Error('expected a compile error, but it compiled');
  return r.diagnostics[0];
}
