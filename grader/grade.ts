// Grading one exercise of one submission: hash the student files, build them in isolation, boot the kernel under a
// budget, run the checks in order (a check whose prerequisite did not pass is NOT RUN), and score.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Check, CheckContext, Exercise, HypercallObservation, Outcome, RunObservation, Verdict } from './api.js';
import { bootDomains } from './boot.js';
import { buildKernel, type BuildDiagnostic, type BuildLimits, type BuildResult } from './build/isolated.js';
import { cacheKey, readCachedBuild, writeCachedBuild } from './build/cache.js';
import { buildTrustedKernel, isKitReference } from './build/trusted.js';
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

/** Builds one kernel file of a submission once per process (and once per machine, through the on-disk cache). */
function buildOnce(exercise: Exercise, exerciseDir: string, hash: string, file: string, opts: GradeOptions): Promise<BuildResult> {
  const key = cacheKey([hash, file, exercise.sourceRoot, opts.buildLimits ?? {}]);
  let pending = opts.noCache ? undefined : buildCache.get(key);
  if (!pending) {
    const build = { exerciseDir, files: [file], sourceRoot: exercise.sourceRoot, limits: opts.buildLimits };
    if (isKitReference(exerciseDir)) {
      pending = Promise.resolve(buildTrustedKernel(build));
      buildCache.set(key, pending);
      return pending;
    }
    const cached = opts.noCache ? undefined : readCachedBuild(key);
    pending = cached ? Promise.resolve(cached) : buildKernel(build)
      .then((r) => { writeCachedBuild(key, r); return r; });
    buildCache.set(key, pending);
  }
  return pending;
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
  const entry = exercise.studentFiles[0]!;
  const specs = exercise.domains ?? [{ name: 'submission', file: entry, memoryMiB: exercise.memoryMiB, cmdline: exercise.cmdline }];
  const images = new Map<string, Extract<BuildResult, { ok: true }>>();
  for (const file of [...new Set(specs.map((d) => d.file ?? entry))]) {
    const built = await buildOnce(exercise, exerciseDir, hash, file, opts);
    if (!built.ok) {
      const first = built.diagnostics[0];
      const where = first ? `${first.file}${first.line ? `:${first.line}:${first.column}` : ''}: ${first.message}` : 'the kernel did not build';
      return { ...base, outcome: 'BUILD ERROR', score: 0, build: { ok: false, kind: built.kind, diagnostics: built.diagnostics }, checks: blank('BUILD ERROR', where, first?.hint) };
    }
    images.set(file, built);
  }
  const firstImage = images.get(specs[0]!.file ?? entry)!;
  const map = new SourceMap(firstImage.elf, firstImage.buildRoot, sources);
  const seeds = opts.seed !== undefined ? [opts.seed] : exercise.seeds?.length ? exercise.seeds : [exercise.seed];
  const runs: { seed: number; run: RunObservation; results: CheckResult[] }[] = [];
  for (const s of seeds) {
    const booted = bootDomains(specs.map((d) => ({ name: d.name, elf: images.get(d.file ?? entry)!.elf, memoryMiB: d.memoryMiB, cmdline: d.cmdline })),
      { budget: exercise.budget, seed: s, exercise });
    if (!booted.ok) {
      const hint = 'the kernel compiled but Xen cannot load it: keep `import "minios/bootstrap"` (its __xen_guest note, _start and hypercall page) in the entry file';
      const diagnostics = [{ file: entry, line: 0, column: 0, message: booted.message, hint }];
      return { ...base, outcome: 'BUILD ERROR', score: 0, build: { ok: false, kind: 'image', diagnostics }, checks: blank('BUILD ERROR', `${entry}: ${booted.message}`, hint) };
    }
    runs.push({ seed: s, run: booted.run, results: evaluateChecks(checks, contextFor(booted.run, s, sources, map)) });
  }
  // A check passes only under every seed; otherwise the first seed it did not pass under is reported, so the student can rerun it.
  const results = checks.map((_, i) => {
    const bad = runs.find((r) => r.results[i]!.outcome !== 'PASS');
    if (!bad) return runs[0]!.results[i]!;
    const r = bad.results[i]!;
    return seeds.length > 1 && r.actual !== undefined ? { ...r, actual: `with --seed ${bad.seed}: ${r.actual}` } : r;
  });
  const shown = runs.find((r) => r.results.some((c) => c.outcome !== 'PASS')) ?? runs[0]!;
  const run = shown.run;
  const traceHashAll = runs.length === 1 ? run.traceHash : crypto.createHash('sha256').update(runs.map((r) => r.run.traceHash).join('\n')).digest('hex');
  const score = results.reduce((sum, r) => sum + r.score, 0);
  const firstBad = results.find((r) => r.outcome !== 'PASS');
  return {
    ...base,
    seed: shown.seed,
    traceHash: traceHashAll,
    outcome: firstBad ? firstBad.outcome : 'PASS',
    score,
    build: { ok: true },
    run: { end: run.end, instructions: run.instructions, budget: run.budget, ...(run.shutdownReason ? { shutdownReason: run.shutdownReason } : {}) },
    checks: results,
    ...(firstBad ? { evidence: gatherEvidence(run, map) } : {}),
  };
}
