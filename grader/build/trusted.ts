// Compiling the kit's own kernels (its reference solutions) in this process. They are not untrusted input, so the
// isolated child (grader/build/isolated.ts: a fresh Node that loads the compiler anew, most of a cold grade's time)
// buys nothing for them. Student submissions never take this path.
import path from 'node:path';
import { compileKernel } from '../../minios/lang/index.js';
import { kitPath } from '../paths.js';
import { diagnosticFile, type BuildResult, type KernelBuild } from './isolated.js';

/** Compiles a kernel of the kit from where it lies. Never throws on a compile error. */
export function buildTrustedKernel(build: KernelBuild): BuildResult {
  const kernelDir = kitPath('minios', 'kernel');
  const sourceRoot = path.join(build.exerciseDir, build.sourceRoot);
  const r = compileKernel({ files: build.files.map((f) => path.join(build.exerciseDir, f)), kitRoot: kernelDir, allowedRoots: [kernelDir, sourceRoot] });
  if (r.ok) return { ok: true, elf: r.elf, buildRoot: build.exerciseDir };
  return { ok: false, kind: 'compile', diagnostics: r.diagnostics.slice(0, 50).map((d) => ({ file: diagnosticFile(build.exerciseDir, kernelDir, d.file), line: d.line, column: d.column, message: d.message, ...(d.hint ? { hint: d.hint } : {}) })) };
}

/** True when `dir` lies inside the kit's own reference solutions. */
export function isKitReference(dir: string): boolean {
  const rel = path.relative(kitPath('grader', 'solutions'), path.resolve(dir));
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}
