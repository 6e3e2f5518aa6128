// Grading one exercise of one submission: hash the student files, build them in isolation, boot the kernel under a
// budget, run the checks in order (a check whose prerequisite did not pass is NOT RUN), and score.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Check, CheckContext, Exercise, HypercallObservation, Outcome, RunObservation, Verdict } from './api.js';
import { bootKernel } from './boot.js';
import { buildKernel, type BuildDiagnostic, type BuildLimits, type BuildResult } from './build/isolated.js';
import { cacheKey, readCachedBuild, writeCachedBuild } from './build/cache.js';
import { gatherEvidence, SourceMap, type Evidence } from './explain.js';

export interface CheckResult {
  id: string;
  title: string;
  weight: number;
  hidden: boolean;
  outcome: Outcome;
  score: number;
  expected?: string;
  actual?: string;
  hint?: string;
}

export interface ExerciseResult {
  id: string;
  slug: string;
  title: string;
  seed: number;
  /** SHA-256 over the student files (names and contents). */
  submissionHash: string;
  /** SHA-256 of the run's observations; absent when the kernel did not build. */
  traceHash?: string;
  /** The outcome of the exercise as a whole: PASS when every check passed, else the first non-passing outcome. */
  outcome: Outcome;
  score: number;
  maxScore: number;
  build: { ok: true } | { ok: false; kind: string; diagnostics: BuildDiagnostic[] };
  run?: { end: RunObservation['end']; instructions: number; budget: number; shutdownReason?: string };
  checks: CheckResult[];
  evidence?: Evidence;
}

export interface GradeOptions {
  seed?: number;
  /** Include hidden checks (the instructor's kit). */
  hidden?: boolean;
  buildLimits?: Partial<BuildLimits>;
  /** Compile afresh, ignoring the build caches (in memory and under node_modules/.cache/xenlab/builds). */
  noCache?: boolean;
}

/** SHA-256 over the exercise's source folder (every file, sorted by path), or the listed student files when the folder is missing. */
export function submissionHash(exercise: Exercise, exerciseDir: string): { hash: string; sources: Record<string, string> } {
  const sources: Record<string, string> = {};
  const root = path.join(exerciseDir, exercise.sourceRoot);
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && Object.keys(sources).length < 200) {
        const rel = path.relative(exerciseDir, full).split(path.sep).join('/');
        const st = fs.statSync(full);
        sources[rel] = st.size > 4 * 1024 * 1024 ? `<${st.size} bytes>` : fs.readFileSync(full, 'utf8');
      }
    }
  };
  walk(root);
  const h = crypto.createHash('sha256').update(`xenlab-exercise:${exercise.slug}\n`);
  for (const rel of Object.keys(sources).sort()) h.update(`${rel}\n${sources[rel]!.length}\n`).update(sources[rel]!);
  return { hash: h.digest('hex'), sources };
}

const buildCache = new Map<string, Promise<BuildResult>>();

/** Forget cached builds (the cache is keyed by the submission's content hash, for one process). */
export function clearBuildCache(): void {
  buildCache.clear();
}

export function contextFor(run: RunObservation, seed: number, sources: Record<string, string>, map: { locate(addr: number): string | undefined }): CheckContext {
  const lines = run.console.replace(/\r/g, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const byName = new Map<string, HypercallObservation[]>();
  for (const h of run.hypercalls) (byName.get(h.name) ?? byName.set(h.name, []).get(h.name)!).push(h);
  return { run, lines, seed, sources, calls: (name) => byName.get(name) ?? [], locate: (addr) => map.locate(addr) };
}

/** Runs one check; a check that throws is a fault in the check, reported as a failure that says so. */
function runCheck(check: Check, ctx: CheckContext): Verdict {
  try {
    return check.run(ctx);
  } catch (e) {
    return { pass: false, expected: 'the check to run', actual: `the check itself failed: ${(e as Error).message}`, hint: 'this is a fault in the exercise, not in your kernel: tell your instructor' };
  }
}

function failureOutcome(run: RunObservation): Outcome {
  if (run.end === 'budget') return 'TIMEOUT';
  if (run.end === 'crashed' || run.crash) return 'CRASH';
  return 'FAIL';
}

/** Runs checks in order against one run: PASS, or FAIL/TIMEOUT/CRASH by how the run ended, or NOT RUN when a prerequisite did not pass. */
export function evaluateChecks(checks: Check[], ctx: CheckContext): CheckResult[] {
  const results: CheckResult[] = [];
  const passed = new Set<string>();
  for (const check of checks) {
    const head = { id: check.id, title: check.title, weight: check.weight, hidden: !!check.hidden };
    const blocker = (check.dependsOn ?? []).find((d) => !passed.has(d));
    if (blocker !== undefined) {
      const known = checks.some((c) => c.id === blocker);
      results.push({ ...head, outcome: 'NOT RUN', score: 0, actual: known ? `not run: it needs '${blocker}' to pass first` : `not run: it depends on '${blocker}', which this grading does not include` });
      continue;
    }
    const v = runCheck(check, ctx);
    if (v.pass) {
      passed.add(check.id);
      results.push({ ...head, outcome: 'PASS', score: check.weight, ...(v.note ? { hint: v.note } : {}) });
    } else {
      results.push({ ...head, outcome: failureOutcome(ctx.run), score: 0, expected: v.expected, actual: v.actual, ...(v.hint ? { hint: v.hint } : {}) });
    }
  }
  return results;
}

export function checksFor(exercise: Exercise, hidden: boolean): Check[] {
  return exercise.checks.filter((c) => hidden || !c.hidden);
}

/** Grades one exercise folder (holding the exercise's student files). Never throws on a bad submission. */
export async function gradeExercise(exercise: Exercise, exerciseDir: string, opts: GradeOptions = {}): Promise<ExerciseResult> {
  const seed = opts.seed ?? exercise.seed;
  const checks = checksFor(exercise, opts.hidden ?? false);
  const maxScore = checks.reduce((s, c) => s + c.weight, 0);
  const { hash, sources } = submissionHash(exercise, exerciseDir);
  const base = { id: exercise.id, slug: exercise.slug, title: exercise.title, seed, submissionHash: hash, maxScore };
  const blank = (outcome: Outcome, actual?: string, hint?: string): CheckResult[] =>
    checks.map((c) => ({ id: c.id, title: c.title, weight: c.weight, hidden: !!c.hidden, outcome, score: 0, ...(actual ? { actual } : {}), ...(hint ? { hint } : {}) }));

  if (!fs.existsSync(exerciseDir)) {
    const diagnostics = [{ file: exercise.studentFiles[0]!, line: 0, column: 0, message: `the submission has no folder for exercise ${exercise.slug}`, hint: `hand in ${exercise.slug}/ with ${exercise.studentFiles.join(', ')}` }];
    return { ...base, outcome: 'BUILD ERROR', score: 0, build: { ok: false, kind: 'missing', diagnostics }, checks: blank('BUILD ERROR', diagnostics[0]!.message) };
  }
  const key = cacheKey([hash, exercise.studentFiles[0], exercise.sourceRoot, opts.buildLimits ?? {}]);
  let pending = opts.noCache ? undefined : buildCache.get(key);
  if (!pending) {
    const cached = opts.noCache ? undefined : readCachedBuild(key);
    pending = cached ? Promise.resolve(cached) : buildKernel({ exerciseDir, files: exercise.studentFiles.slice(0, 1), sourceRoot: exercise.sourceRoot, limits: opts.buildLimits })
      .then((r) => { writeCachedBuild(key, r); return r; });
    buildCache.set(key, pending);
  }
  const built = await pending;
  if (!built.ok) {
    const first = built.diagnostics[0];
    const where = first ? `${first.file}${first.line ? `:${first.line}:${first.column}` : ''}: ${first.message}` : 'the kernel did not build';
    return { ...base, outcome: 'BUILD ERROR', score: 0, build: { ok: false, kind: built.kind, diagnostics: built.diagnostics }, checks: blank('BUILD ERROR', where, first?.hint) };
  }
  const booted = bootKernel(built.elf, { budget: exercise.budget, seed, memoryMiB: exercise.memoryMiB, cmdline: exercise.cmdline });
  if (!booted.ok) {
    const diagnostics = [{ file: exercise.studentFiles[0]!, line: 0, column: 0, message: booted.message }];
    return { ...base, outcome: 'BUILD ERROR', score: 0, build: { ok: false, kind: 'image', diagnostics }, checks: blank('BUILD ERROR', booted.message) };
  }
  const run = booted.run;
  const map = new SourceMap(built.elf, built.buildRoot, sources);
  const ctx = contextFor(run, seed, sources, map);
  const results = evaluateChecks(checks, ctx);
  const score = results.reduce((s, r) => s + r.score, 0);
  const firstBad = results.find((r) => r.outcome !== 'PASS');
  return {
    ...base,
    traceHash: run.traceHash,
    outcome: firstBad ? firstBad.outcome : 'PASS',
    score,
    build: { ok: true },
    run: { end: run.end, instructions: run.instructions, budget: run.budget, ...(run.shutdownReason ? { shutdownReason: run.shutdownReason } : {}) },
    checks: results,
    ...(firstBad ? { evidence: gatherEvidence(run, map) } : {}),
  };
}
