// Compiling untrusted kernels: the compiler runs in a child Node process under the permission model (read only the
// kit's kernel library and the submission, write only a fresh output folder), with a heap limit and a kill timer.
// The parent accepts back only the ELF bytes and a bounded list of diagnostics.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { kitPath } from '../paths.js';
import type { BuildJob } from './entry.js';

export interface BuildDiagnostic {
  /** Path relative to the submission's exercise folder when it lies inside it. */
  file: string;
  line: number;
  column: number;
  message: string;
  hint?: string;
}

export type BuildResult =
  /** `buildRoot`: where the exercise folder was staged; source paths in the ELF's line table lie under it. */
  | { ok: true; elf: Uint8Array; buildRoot: string }
  | { ok: false; kind: 'compile' | 'timeout' | 'memory' | 'internal'; diagnostics: BuildDiagnostic[] };

export interface BuildLimits {
  /** Wall-clock limit for the compiler process (the only wall clock in grading: it ends runaway builds). */
  timeoutMs: number;
  /** V8 heap limit of the compiler process. */
  memoryMiB: number;
}

export const DEFAULT_BUILD_LIMITS: BuildLimits = { timeoutMs: 60_000, memoryMiB: 512 };
const MAX_ELF_BYTES = 64 * 1024 * 1024;

const diagnosticSchema = z.object({
  file: z.string().max(4096),
  line: z.number().int().nonnegative(),
  column: z.number().int().nonnegative(),
  message: z.string().max(4000),
  hint: z.string().max(4000).optional(),
});
const resultSchema = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), diagnostics: z.array(diagnosticSchema).max(50) }),
]);

let bundled: Promise<string> | undefined;

/** Bundles an entry module and its imports into one .mjs (the permission model forbids loaders such as tsx). */
export async function bundleScript(entry: string, outFile: string): Promise<string> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    // typescript (8 MB of CommonJS) stays a package import: bundling it takes seconds; the child may read its folder.
    external: ['typescript'],
  });
  return outFile;
}

/** Folders the compiler child may read besides the submission: the kit's kernel library and the typescript package. */
export function compilerReadRoots(): string[] {
  return [fs.realpathSync(kitPath('minios', 'kernel')), fs.realpathSync(path.dirname(requireResolve('typescript/package.json')))];
}

function requireResolve(spec: string): string {
  return createRequire(kitPath('package.json')).resolve(spec);
}

/**
 * The bundled build child, made once per process. It sits under node_modules/.cache so that its `import 'typescript'`
 * resolves to the kit's own copy.
 */
export function buildEntryScript(): Promise<string> {
  bundled ??= (async () => {
    const cache = kitPath('node_modules', '.cache', 'xenlab');
    fs.mkdirSync(cache, { recursive: true });
    const dir = fs.mkdtempSync(path.join(cache, 'compiler-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const script = await bundleScript(kitPath('grader', 'build', 'entry.ts'), path.join(dir, 'compile.mjs'));
    return fs.realpathSync(script); // the permission model checks real paths (node_modules may be a link)
  })();
  return bundled;
}

export interface IsolatedRun {
  script: string;
  args: string[];
  reads: string[];
  writes: string[];
  limits: BuildLimits;
}

export interface IsolatedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
}

/**
 * The flag that switches on Node's permission model: `--permission` where this Node knows it (22.13, 23.5 and later;
 * later Nodes dropped `--experimental-permission`), `--experimental-permission` on Node 20; undefined on a Node with
 * neither, where no untrusted build may run.
 */
export function permissionFlag(known: { has(flag: string): boolean } = process.allowedNodeEnvironmentFlags): string | undefined {
  if (known.has('--permission')) return '--permission';
  if (known.has('--experimental-permission')) return '--experimental-permission';
  return undefined;
}

/** Runs a bundled script in a child Node under the permission model, a heap limit and a kill timer. */
export function runIsolated(run: IsolatedRun): Promise<IsolatedExit> {
  const permission = permissionFlag();
  if (!permission) {
    return Promise.resolve({ code: null, signal: null, timedOut: false, stderr: `Error: Node ${process.version} has no permission model (--permission or --experimental-permission); the grader needs Node 20 or newer to build untrusted kernels` });
  }
  const flags = [
    permission,
    `--allow-fs-read=${run.script}`,
    ...run.reads.map((p) => `--allow-fs-read=${p}`),
    ...run.writes.map((p) => `--allow-fs-write=${p}`),
    `--max-old-space-size=${run.limits.memoryMiB}`,
    '--no-warnings',
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, run.script, ...run.args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 16_384) stderr += d.toString('utf8'); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, run.limits.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stderr });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut: false, stderr: String(err) });
    });
  });
}

export interface KernelBuild {
  /** The exercise folder of the submission (paths in diagnostics are made relative to it). */
  exerciseDir: string;
  /** Entry files, relative to exerciseDir. */
  files: string[];
  /** Folder inside exerciseDir the kernel may import from. */
  sourceRoot: string;
  limits?: Partial<BuildLimits>;
  /** Another build child in place of the bundled compiler (tests of what the parent accepts back). */
  script?: string;
}

const MAX_SOURCE_FILES = 200;
const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/**
 * Copies the submission's source folder into `into`: regular files only (no symbolic links, which the permission
 * model would follow out of the folder), at most MAX_SOURCE_FILES files of at most MAX_SOURCE_BYTES each.
 */
function stageSources(from: string, into: string, problems: string[], count = { n: 0 }): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(from, { withFileTypes: true });
  } catch {
    return;
  }
  fs.mkdirSync(into, { recursive: true });
  for (const e of entries) {
    const src = path.join(from, e.name);
    if (e.isDirectory()) stageSources(src, path.join(into, e.name), problems, count);
    else if (e.isFile()) {
      if (++count.n > MAX_SOURCE_FILES) { if (count.n === MAX_SOURCE_FILES + 1) problems.push(`more than ${MAX_SOURCE_FILES} files; the rest were left out`); continue; }
      if (fs.statSync(src).size > MAX_SOURCE_BYTES) { problems.push(`'${e.name}' is larger than ${MAX_SOURCE_BYTES} bytes and was left out`); continue; }
      fs.copyFileSync(src, path.join(into, e.name));
    } else if (e.isSymbolicLink()) problems.push(`'${e.name}' is a symbolic link; links are not followed`);
  }
}

/** A diagnostic's file as a student reads it: relative to the exercise folder `root`, or under minios/kernel. */
export function diagnosticFile(root: string, kernelDir: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file.replace(kernelDir, 'minios/kernel') : rel.split(path.sep).join('/');
}

/** Compiles a submission's kernel in an isolated child process. Never throws on bad input. */
export async function buildKernel(build: KernelBuild): Promise<BuildResult> {
  const limits = { ...DEFAULT_BUILD_LIMITS, ...build.limits };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-build-'));
  try {
    // The child sees a staged copy of the submission, never the original folder.
    const stage = path.join(work, 'submission');
    const outDir = path.join(work, 'out');
    fs.mkdirSync(outDir);
    const problems: string[] = [];
    stageSources(path.join(build.exerciseDir, build.sourceRoot), path.join(stage, build.sourceRoot), problems);
    fs.mkdirSync(path.join(stage, build.sourceRoot), { recursive: true });
    const sourceRoot = path.join(stage, build.sourceRoot);
    const files = build.files.map((f) => path.join(stage, f));
    const missing = build.files.filter((f) => !fs.existsSync(path.join(stage, f)));
    if (missing.length) {
      return { ok: false, kind: 'compile', diagnostics: missing.map((file) => ({ file, line: 0, column: 0, message: `the submission has no file '${file}'${problems.length ? ` (${problems.join('; ')})` : ''}`, hint: 'hand in the exercise folder with its student files in place' })) };
    }
    const readRoots = compilerReadRoots();
    const kernelDir = readRoots[0]!;
    const job: BuildJob = { files, kernelDir, allowedRoots: [kernelDir, sourceRoot], outDir };
    const script = build.script ?? await buildEntryScript();
    const exit = await runIsolated({ script, args: [JSON.stringify(job)], reads: [...readRoots, sourceRoot], writes: [outDir], limits });
    const relative = (d: BuildDiagnostic): BuildDiagnostic => ({ ...d, file: diagnosticFile(stage, kernelDir, d.file) });
    const at = (message: string, hint?: string): BuildDiagnostic => ({ file: build.files[0]!, line: 0, column: 0, message, ...(hint ? { hint } : {}) });
    if (exit.timedOut) {
      return { ok: false, kind: 'timeout', diagnostics: [at(`the compiler did not finish within ${limits.timeoutMs / 1000} s`, 'something in the kernel makes the compiler work without end (a huge constant expression or buffer?); simplify the last thing you changed')] };
    }
    if (/heap out of memory|Allocation failed/i.test(exit.stderr) || exit.signal === 'SIGABRT' || exit.code === 134) {
      return { ok: false, kind: 'memory', diagnostics: [at(`the compiler ran out of memory (limit ${limits.memoryMiB} MiB)`, 'look for a very large static buffer, string or generated expression')] };
    }
    const resultFile = path.join(outDir, 'result.json');
    if (!fs.existsSync(resultFile)) {
      const firstLine = exit.stderr.split('\n').find((l) => /Error|error/.test(l)) ?? exit.stderr.split('\n')[0] ?? '';
      return { ok: false, kind: 'internal', diagnostics: [at(`the compiler stopped without a result (exit ${exit.code ?? exit.signal}): ${firstLine.trim().slice(0, 300)}`, 'this is a fault in the kit, not in your kernel: tell your instructor, with this submission')] };
    }
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    } catch {
      data = undefined;
    }
    const parsed = resultSchema.safeParse(data);
    if (!parsed.success) return { ok: false, kind: 'internal', diagnostics: [at('the compiler returned a malformed result')] };
    if (!parsed.data.ok) return { ok: false, kind: 'compile', diagnostics: parsed.data.diagnostics.map(relative) };
    const elfFile = path.join(outDir, 'kernel.elf');
    const st = fs.lstatSync(elfFile, { throwIfNoEntry: false });
    if (!st?.isFile()) return { ok: false, kind: 'internal', diagnostics: [at('the compiler returned no kernel image')] };
    if (st.size > MAX_ELF_BYTES) return { ok: false, kind: 'compile', diagnostics: [at(`the kernel image is ${st.size} bytes; the limit is ${MAX_ELF_BYTES}`)] };
    return { ok: true, elf: new Uint8Array(fs.readFileSync(elfFile)), buildRoot: stage };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** SHA-256 of bytes, hex. */
export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
