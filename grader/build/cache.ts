// A content-addressed cache of builds: the same student sources, compiled by the same compiler with the same limits,
// give the same ELF, so a resubmission, a resumed batch or a test suite compiles each distinct kernel once.
// Only finished results are kept (an image, or the compiler's diagnostics); timeouts and faults are always retried.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { kitPath } from '../paths.js';
import type { BuildDiagnostic, BuildResult } from './isolated.js';

let compilerHash: string | undefined;

/** SHA-256 over every source file of the compiler, the kit's kernel library and the build child. */
export function compilerVersion(): string {
  if (compilerHash) return compilerHash;
  const h = crypto.createHash('sha256');
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'tests') walk(full);
      else if (e.isFile() && /\.(ts|js|json)$/.test(e.name) && !e.name.endsWith('.test.ts')) h.update(`${path.relative(kitPath(), full)}\n`).update(fs.readFileSync(full));
    }
  };
  for (const d of [['minios'], ['hypervisor', 'public'], ['grader', 'build']]) walk(kitPath(...d));
  try {
    h.update(fs.readFileSync(kitPath('node_modules', 'typescript', 'package.json')));
  } catch { /* no typescript: builds fail anyway */ }
  compilerHash = h.digest('hex');
  return compilerHash;
}

const cachedSchema = z.union([
  z.object({ ok: z.literal(true), buildRoot: z.string() }),
  z.object({ ok: z.literal(false), kind: z.literal('compile'), diagnostics: z.array(z.object({ file: z.string(), line: z.number(), column: z.number(), message: z.string(), hint: z.string().optional() })) }),
]);

function cacheDir(): string {
  return kitPath('node_modules', '.cache', 'xenlab', 'builds');
}

export function cacheKey(parts: unknown[]): string {
  return crypto.createHash('sha256').update(JSON.stringify([compilerVersion(), ...parts])).digest('hex');
}

export function readCachedBuild(key: string): BuildResult | undefined {
  try {
    const meta = cachedSchema.parse(JSON.parse(fs.readFileSync(path.join(cacheDir(), `${key}.json`), 'utf8')));
    if (!meta.ok) return { ok: false, kind: 'compile', diagnostics: meta.diagnostics as BuildDiagnostic[] };
    return { ok: true, buildRoot: meta.buildRoot, elf: new Uint8Array(fs.readFileSync(path.join(cacheDir(), `${key}.elf`))) };
  } catch {
    return undefined;
  }
}

export function writeCachedBuild(key: string, result: BuildResult): void {
  if (!result.ok && result.kind !== 'compile') return;
  try {
    fs.mkdirSync(cacheDir(), { recursive: true });
    const tmp = path.join(cacheDir(), `${key}.${process.pid}.tmp`);
    if (result.ok) fs.writeFileSync(path.join(cacheDir(), `${key}.elf`), result.elf);
    fs.writeFileSync(tmp, JSON.stringify(result.ok ? { ok: true, buildRoot: result.buildRoot } : { ok: false, kind: 'compile', diagnostics: result.diagnostics }));
    fs.renameSync(tmp, path.join(cacheDir(), `${key}.json`)); // the metadata last, so a reader never sees half an entry
  } catch { /* a cache that cannot be written is only slower */ }
}
