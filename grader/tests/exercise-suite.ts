// What every exercise's end-to-end test does alike: grade the reference, the starter and each typical wrong solution
// under grader/wrong/<slug> once (in beforeAll), then check each wrong solution against its expect.json, sweep the
// reference over more seeds, type-check the hand-out with tsc, and regrade one case from scratch for determinism.
// Each exerciseNN.test.ts adds what is particular to its exercise.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Check, Exercise, RunObservation } from '../api.js';
import { courseExercises, findExercise } from '../course.js';
import { clearBuildCache, gradeExercise, type ExerciseResult } from '../grade.js';
import { kitPath } from '../paths.js';

/** A wrong solution's expect.json: the checks it must fail, how, and with which words. */
export interface WrongExpectation {
  /** The seed the failure must be reported under (the first failing one). */
  seed?: number;
  checks: Record<string, { outcome: string; says?: string }>;
  /** For a crash: the faulting instruction and the student's source line the report must show. */
  crash?: { instruction: string; source: string };
}

export interface ExerciseFixture {
  exercise: Exercise;
  slug: string;
  reference: string;
  starter: string;
  wrongRoot: string;
  wrongCases: string[];
  /** Filled by beforeAll: 'reference', 'starter' and each wrong case's folder name. */
  results: Map<string, ExerciseResult>;
}

/** Loads exercise `id` and grades its reference, starter and wrong solutions once before the file's tests. */
export function exerciseFixture(id: string): ExerciseFixture {
  const exercise = findExercise(id, courseExercises())!;
  const slug = exercise.slug;
  const wrongRoot = kitPath('grader', 'wrong', slug);
  const fx: ExerciseFixture = {
    exercise, slug, wrongRoot,
    reference: kitPath('grader', 'solutions', slug),
    starter: kitPath('exercises', slug),
    wrongCases: fs.readdirSync(wrongRoot).filter((d) => fs.existsSync(path.join(wrongRoot, d, 'expect.json'))).sort(),
    results: new Map(),
  };
  beforeAll(async () => {
    const jobs: [string, string][] = [
      ['reference', fx.reference],
      ['starter', fx.starter],
      ...fx.wrongCases.map((c): [string, string] => [c, path.join(wrongRoot, c)]),
    ];
    // Student builds run in child processes: two at a time keeps a 2-core machine busy without thrashing.
    for (let i = 0; i < jobs.length; i += 2) {
      const batch = jobs.slice(i, i + 2);
      const done = await Promise.all(batch.map(([, dir]) => gradeExercise(exercise, dir, { hidden: true })));
      batch.forEach(([name], k) => fx.results.set(name, done[k]!));
    }
  }, 240_000);
  return fx;
}

/** Grades `dir` with one check that records each run's observation, under the given seeds. */
export async function observeRuns(exercise: Exercise, dir: string, seeds: number[]): Promise<RunObservation[]> {
  const runs: RunObservation[] = [];
  const capture: Check = { id: 'capture', title: 'records the run', weight: 1, run(ctx) { runs.push(ctx.run); return { pass: true }; } };
  await gradeExercise({ ...exercise, seeds, checks: [capture] }, dir);
  return runs;
}

/** One test per wrong solution: it fails, under the seed and with the outcome and words its expect.json gives. */
export function wrongSolutionTests(fx: ExerciseFixture, opts: { mustBuild?: boolean } = {}): void {
  for (const name of fx.wrongCases) {
    it(`fails the wrong solution '${name}' with its teaching message`, () => {
      const want = JSON.parse(fs.readFileSync(path.join(fx.wrongRoot, name, 'expect.json'), 'utf8')) as WrongExpectation;
      const r = fx.results.get(name)!;
      if (opts.mustBuild) expect(r.build.ok, r.build.ok ? '' : JSON.stringify(r.build)).toBe(true);
      expect(r.outcome).not.toBe('PASS');
      expect(r.score).toBeLessThan(r.maxScore);
      if (want.seed !== undefined) expect(r.seed).toBe(want.seed);
      for (const [id, w] of Object.entries(want.checks)) {
        const c = r.checks.find((x) => x.id === id);
        expect(c, `check ${id}`).toBeDefined();
        expect(c!.outcome, `outcome of ${id}: ${c!.actual}`).toBe(w.outcome);
        if (w.says) expect(`${c!.actual ?? ''} ${c!.hint ?? ''}`, `message of ${id}`).toContain(w.says);
      }
      if (want.crash) {
        expect(r.evidence?.crash?.instruction).toBe(want.crash.instruction);
        expect(r.evidence?.crash?.source).toBe(want.crash.source);
      }
    });
  }
}

/** The reference passes every check under `count` seeds beyond the exercise's own. */
export function referenceSweepTest(fx: ExerciseFixture, count: number): void {
  it(`gives the reference full marks under ${count} more seeds`, async () => {
    const seeds = Array.from({ length: count }, (_, i) => 100 + i * 37);
    const r = await gradeExercise({ ...fx.exercise, seeds }, fx.reference, { hidden: true });
    expect(r.checks.filter((c) => c.outcome !== 'PASS').map((c) => `${c.id}: ${c.actual}`)).toEqual([]);
  }, 60_000);
}

/** tsc with the kit's declarations accepts the starter and the reference: what a student's editor shows. */
export function typeCheckTest(fx: ExerciseFixture): void {
  it('type-checks the starter and the reference with tsc and the kit declarations (what a student\'s editor shows)', async () => {
    const tsc = (project: string) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [kitPath('node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', project]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d; });
      child.stderr.on('data', (d: Buffer) => { out += d; });
      child.on('close', (code) => resolve({ code, out }));
    });
    const [starter, ref] = await Promise.all([tsc(path.join(fx.starter, 'kernel')), tsc(path.join(fx.reference, 'kernel'))]);
    expect(starter).toEqual({ code: 0, out: '' });
    expect(ref).toEqual({ code: 0, out: '' });
  }, 60_000);
}

/** Regrading a wrong solution from scratch (rebuilt, not only rebooted) gives the same result and trace hash. */
export function determinismTest(fx: ExerciseFixture, wrongCase: string): void {
  it('grades deterministically: the same submission and seeds give the same result and trace hash', async () => {
    clearBuildCache();
    const again = await gradeExercise(fx.exercise, path.join(fx.wrongRoot, wrongCase), { hidden: true, noCache: true });
    expect(again).toEqual(fx.results.get(wrongCase));
  }, 60_000);
}
