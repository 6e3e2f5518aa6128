// Exercise 06 end to end: the reference passes under every seed (the exercise's own and more), the starter fails
// pointing at its TODOs, and every typical wrong solution under grader/wrong/06-block fails the checks its
// expect.json names, with the outcome and message given there (and under the seed given there). Also: the session
// really delays the backend, injects its error and leaves the disk as the plan says.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Check, Exercise, RunObservation } from '../api.js';
import { courseExercises, findExercise } from '../course.js';
import { clearBuildCache, gradeExercise, type ExerciseResult } from '../grade.js';
import { kitPath } from '../paths.js';
import { blockPlan, expectedImage, initialImage, TRAILER, type BlockObservation } from '../../exercises/06-block/block-plan.js';

const exercise = findExercise('06', courseExercises())!;
const reference = kitPath('grader', 'solutions', '06-block');
const wrongRoot = kitPath('grader', 'wrong', '06-block');
const wrongCases = fs.readdirSync(wrongRoot).filter((d) => fs.existsSync(path.join(wrongRoot, d, 'expect.json'))).sort();

interface Expect {
  seed?: number;
  checks: Record<string, { outcome: string; says?: string }>;
}

const results = new Map<string, ExerciseResult>();

beforeAll(async () => {
  const jobs: [string, string][] = [
    ['reference', reference],
    ['starter', kitPath('exercises', '06-block')],
    ...wrongCases.map((c): [string, string] => [c, path.join(wrongRoot, c)]),
  ];
  // Builds run in child processes: two at a time keeps a 2-core machine busy without thrashing.
  for (let i = 0; i < jobs.length; i += 2) {
    const batch = jobs.slice(i, i + 2);
    const done = await Promise.all(batch.map(([, dir]) => gradeExercise(exercise, dir, { hidden: true })));
    batch.forEach(([name], k) => results.set(name, done[k]!));
  }
}, 240_000);

/** Grades with a check that records each run's observation, under the given seeds. */
async function observe(dir: string, seeds: number[]): Promise<RunObservation[]> {
  const runs: RunObservation[] = [];
  const capture: Check = { id: 'capture', title: 'records the run', weight: 1, run(ctx) { runs.push(ctx.run); return { pass: true }; } };
  const ex: Exercise = { ...exercise, seeds, checks: [capture] };
  await gradeExercise(ex, dir);
  return runs;
}

describe('exercise 06 (block)', () => {
  it('is graded under several seeds, and has at least seven typical wrong solutions to test its checks against', () => {
    expect(exercise.seeds!.length).toBeGreaterThanOrEqual(4);
    expect(wrongCases.length).toBeGreaterThanOrEqual(7);
  });

  it('gives the reference solution full marks under every seed of the exercise', () => {
    const r = results.get('reference')!;
    expect(exercise.checks.filter((c) => c.hidden).map((c) => c.id)).toEqual(['own-driver', 'read-only-write-grants']);
    expect(r.checks.map((c) => [c.id, c.outcome, c.actual])).toEqual(exercise.checks.map((c) => [c.id, 'PASS', undefined]));
    expect(r.outcome).toBe('PASS');
    expect(r.score).toBe(r.maxScore);
    expect(r.run).toMatchObject({ end: 'shutdown', shutdownReason: 'poweroff' });
  });

  it('gives the reference full marks under 8 more seeds', async () => {
    const seeds = Array.from({ length: 8 }, (_, i) => 100 + i * 37);
    const r = await gradeExercise({ ...exercise, seeds }, reference, { hidden: true });
    expect(r.checks.filter((c) => c.outcome !== 'PASS').map((c) => `${c.id}: ${c.actual}`)).toEqual([]);
  }, 60_000);

  it('fails the starter with hints that point at its TODO lines', () => {
    const r = results.get('starter')!;
    const starter = fs.readFileSync(kitPath('exercises', '06-block', 'kernel', 'blkfront.ts'), 'utf8').split('\n');
    const line = (n: number) => `kernel/blkfront.ts:${starter.findIndex((l) => l.includes(`TODO ${n}`)) + 1} (TODO ${n})`;
    expect(r.build.ok).toBe(true);
    expect(r.score).toBe(0);
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['connects']!.actual).toContain('never changed from Initialising');
    expect(byId['connects']!.hint).toContain(line(1));
    expect(byId['disk-contents']!.hint).toContain(line(6));
    for (const id of ['segments', 'handles-errors', 'flushes', 'ends-grants', 'disconnects']) expect(byId[id]!.outcome).toBe('NOT RUN');
  });

  for (const name of wrongCases) {
    it(`fails the wrong solution '${name}' with its teaching message`, () => {
      const want = JSON.parse(fs.readFileSync(path.join(wrongRoot, name, 'expect.json'), 'utf8')) as Expect;
      const r = results.get(name)!;
      expect(r.build.ok, r.build.ok ? '' : JSON.stringify(r.build)).toBe(true);
      expect(r.outcome).not.toBe('PASS');
      expect(r.score).toBeLessThan(r.maxScore);
      if (want.seed !== undefined) expect(r.seed).toBe(want.seed);
      for (const [id, w] of Object.entries(want.checks)) {
        const c = r.checks.find((x) => x.id === id);
        expect(c, `check ${id}`).toBeDefined();
        expect(c!.outcome, `outcome of ${id}: ${c!.actual}`).toBe(w.outcome);
        if (w.says) expect(`${c!.actual ?? ''} ${c!.hint ?? ''}`, `message of ${id}`).toContain(w.says);
      }
    });
  }

  it('varies the disk, the job, the failing request and the backend\'s delay by seed; the job fits in 11 segments', () => {
    const plans = exercise.seeds!.map(blockPlan);
    expect(new Set(plans.map((p) => p.failRequest))).toEqual(new Set([0, 1, 2, 4]));
    expect(plans.filter((p) => p.backendDelay > 0).length).toBe(2);
    expect(new Set(plans.map((p) => p.sectors)).size).toBe(plans.length);
    for (let seed = 1; seed <= 300; seed++) {
      const p = blockPlan(seed);
      expect(p.src + p.count, `seed ${seed}`).toBeLessThanOrEqual(p.dst);
      expect(p.dst + p.count, `seed ${seed}`).toBeLessThan(p.sectors - 1);
      expect(p.src).toBeGreaterThan(0);
      expect(Math.ceil((Math.max(p.readOffset, p.writeOffset) + p.count) / 8)).toBeLessThanOrEqual(11);
      expect(Math.ceil((p.readOffset + p.count) / 8)).toBeGreaterThan(1); // the copy always needs several segments
    }
    const p = plans[0]!;
    const before = initialImage(p);
    const after = expectedImage(p);
    expect(Buffer.from(before.subarray(0, 8)).toString('latin1')).toBe('XENLAB06');
    expect(after[p.dst * 512]).toBe(~before[p.src * 512]! & 255);
    expect(Buffer.from(after.subarray((p.sectors - 1) * 512, (p.sectors - 1) * 512 + TRAILER.length)).toString('latin1')).toBe(TRAILER);
  });

  it('delays the backend, answers the planned request with an error, and sees the reference retry it and end every grant', async () => {
    const runs = await observe(reference, [1, 2]);
    for (const [k, run] of runs.entries()) {
      const o = run.extra as unknown as BlockObservation;
      const plan = blockPlan(k + 1);
      const data = o.requests.filter((r) => r.operation <= 1);
      expect(data.findIndex((r) => r.injected)).toBe(plan.failRequest);
      expect(data.filter((r) => r.status !== 0).length).toBe(1);
      expect(o.differing).toBe(0);
      expect(o.grantsLeft).toEqual([]);
      expect(o.requests.every((r) => r.stale.length === 0)).toBe(true);
      const fe = o.states.filter((s) => s.end === 'frontend').map((s) => s.state);
      expect(fe).toEqual([3, 4, 5, 6]);
      if (plan.backendDelay) {
        const ready = o.states.find((s) => s.end === 'backend' && s.state === 2 && s.at > 0)!;
        expect(ready.at).toBe(plan.backendDelay);
        expect(o.states.find((s) => s.end === 'frontend')!.at).toBeGreaterThan(plan.backendDelay);
      }
      expect(run.console).toContain('main: verify: the copy reads back the same\n');
    }
  }, 60_000);

  it('type-checks the starter and the reference with tsc and the kit declarations (what a student\'s editor shows)', async () => {
    const tsc = (project: string) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [kitPath('node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', project]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d; });
      child.stderr.on('data', (d: Buffer) => { out += d; });
      child.on('close', (code) => resolve({ code, out }));
    });
    const [starter, ref] = await Promise.all([tsc(kitPath('exercises', '06-block', 'kernel')), tsc(kitPath('grader', 'solutions', '06-block', 'kernel'))]);
    expect(starter).toEqual({ code: 0, out: '' });
    expect(ref).toEqual({ code: 0, out: '' });
  }, 60_000);

  it('grades deterministically: the same submission and seeds give the same result and trace hash', async () => {
    clearBuildCache();
    const again = await gradeExercise(exercise, path.join(wrongRoot, 'ignores-status'), { hidden: true, noCache: true });
    expect(again).toEqual(results.get('ignores-status'));
  }, 60_000);
});
