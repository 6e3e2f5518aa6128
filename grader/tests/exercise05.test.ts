// Exercise 05 end to end: the reference passes under every seed (the exercise's own and more), the starter fails
// pointing at its TODOs, and every typical wrong solution under grader/wrong/05-xenstore fails the checks its
// expect.json names, with the outcome and message given there (and under the seed given there). Also: the seeds
// really start the rings where they say, the doorbell's event really lands between a request and its reply, the
// first commit really conflicts, and the secret really is refused.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Check, Exercise, RunObservation } from '../api.js';
import { courseExercises, findExercise } from '../course.js';
import { clearBuildCache, gradeExercise, type ExerciseResult } from '../grade.js';
import { kitPath } from '../paths.js';
import { RING_SIZE, xenstorePlan, type XenStoreObservation } from '../../exercises/05-xenstore/xenstore-plan.js';

const exercise = findExercise('05', courseExercises())!;
const reference = kitPath('grader', 'solutions', '05-xenstore');
const wrongRoot = kitPath('grader', 'wrong', '05-xenstore');
const wrongCases = fs.readdirSync(wrongRoot).filter((d) => fs.existsSync(path.join(wrongRoot, d, 'expect.json'))).sort();

interface Expect {
  seed?: number;
  checks: Record<string, { outcome: string; says?: string }>;
}

const results = new Map<string, ExerciseResult>();

beforeAll(async () => {
  const jobs: [string, string][] = [
    ['reference', reference],
    ['starter', kitPath('exercises', '05-xenstore')],
    ...wrongCases.map((c): [string, string] => [c, path.join(wrongRoot, c)]),
  ];
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

describe('exercise 05 (XenStore)', () => {
  it('is graded under several seeds, and has at least six typical wrong solutions to test its checks against', () => {
    expect(exercise.seeds!.length).toBeGreaterThanOrEqual(4);
    expect(wrongCases.length).toBeGreaterThanOrEqual(6);
  });

  it('gives the reference solution full marks under every seed of the exercise', () => {
    const r = results.get('reference')!;
    expect(exercise.checks.filter((c) => c.hidden).map((c) => c.id)).toEqual(['own-client', 'request-ids']);
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
    const starter = fs.readFileSync(kitPath('exercises', '05-xenstore', 'kernel', 'xenstore.ts'), 'utf8').split('\n');
    const line = (n: number) => `kernel/xenstore.ts:${starter.findIndex((l) => l.includes(`TODO ${n}`)) + 1} (TODO ${n})`;
    expect(r.build.ok).toBe(true);
    expect(r.score).toBe(0);
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['talks-to-xenstored']!.actual).toContain('xenstored received no request');
    for (const n of [1, 2, 4]) expect(byId['talks-to-xenstored']!.hint).toContain(line(n));
    for (const id of ['read-write', 'directory', 'error-replies', 'transaction-retry', 'watch-event', 'own-client', 'request-ids']) {
      expect(byId[id]!.outcome).toBe('NOT RUN');
    }
  });

  for (const name of wrongCases) {
    it(`fails the wrong solution '${name}' with its teaching message`, () => {
      const want = JSON.parse(fs.readFileSync(path.join(wrongRoot, name, 'expect.json'), 'utf8')) as Expect;
      const r = results.get(name)!;
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

  it('varies the ring start indices by seed: from 0, a first header split at the end of req[] and of rsp[], u32 wraps', () => {
    const plans = exercise.seeds!.map(xenstorePlan);
    const left = (v: number) => RING_SIZE - (v % RING_SIZE);
    expect(plans.some((p) => p.reqStart === 0 && p.rspStart === 0)).toBe(true);
    expect(plans.some((p) => left(p.reqStart) < 16 && p.reqStart > 2 ** 32 - 16)).toBe(true); // the first request's header wraps both
    expect(plans.some((p) => left(p.rspStart) < 16 && p.rspStart > 2 ** 32 - 16)).toBe(true); // the first reply's likewise
    expect(plans.some((p) => left(p.reqStart) < 16 && p.reqStart < 2 ** 32 - 16)).toBe(true); // split at the ring's end only
    for (let seed = 1; seed <= 200; seed++) {
      const p = xenstorePlan(seed);
      expect(new Set(p.items).size).toBe(p.items.length);
      expect(p.items.length).toBeGreaterThanOrEqual(3);
      expect(p.bump).toBeGreaterThan(1); // counter + 1 (a stale retry) never equals counter + bump
    }
  });

  it('puts the doorbell event between a request and its reply, makes the first commit fail with EAGAIN, refuses the secret', async () => {
    const runs = await observe(reference, [1, 2, 3, 4]);
    for (const [k, run] of runs.entries()) {
      const o = run.extra as unknown as XenStoreObservation;
      const plan = xenstorePlan(k + 1);
      expect(o.reqStart).toBe(plan.reqStart);
      const during = o.requests[o.doorbellDuring!]!;
      expect(during.eventsBefore.some((e) => e.startsWith('data/xenlab/doorbell\\0bell'))).toBe(true);
      expect(during.reply!.reqId).toBe(during.reqId);
      const commit = o.requests[o.conflictDuring!]!;
      expect(commit.reply).toMatchObject({ type: 16, payload: 'EAGAIN\\0' });
      const commits = o.requests.filter((r) => r.type === 7);
      expect(commits.at(-1)!.reply).toMatchObject({ type: 7, payload: 'OK\\0' });
      const secret = o.requests.find((r) => r.payload.startsWith('data/xenlab/secret\\0'))!;
      expect(secret.reply).toMatchObject({ type: 16, payload: 'EACCES\\0' });
      // the rings moved on from where the seed put them and were left empty
      expect(o.final.req_prod).toBe(o.final.req_cons);
      expect(o.final.rsp_prod).toBe(o.final.rsp_cons);
      expect((o.final.req_prod - plan.reqStart) >>> 0).toBeGreaterThan(RING_SIZE / 2);
      expect(o.error).toBe(0);
      expect(run.xenstore![`/local/domain/${run.domains![0]!.domid}/data/xenlab/secret`]).toBe(plan.secret);
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
    const [starter, ref] = await Promise.all([tsc(kitPath('exercises', '05-xenstore', 'kernel')), tsc(kitPath('grader', 'solutions', '05-xenstore', 'kernel'))]);
    expect(starter).toEqual({ code: 0, out: '' });
    expect(ref).toEqual({ code: 0, out: '' });
  }, 60_000);

  it('grades deterministically: the same submission and seeds give the same result and trace hash', async () => {
    clearBuildCache();
    const again = await gradeExercise(exercise, path.join(wrongRoot, 'no-retry'), { hidden: true, noCache: true });
    expect(again).toEqual(results.get('no-retry'));
  }, 60_000);
});
