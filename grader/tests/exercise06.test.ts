// Exercise 06 end to end: the reference passes under every seed (the exercise's own and more), the starter fails
// pointing at its TODOs, and every typical wrong solution under grader/wrong/06-block fails the checks its
// expect.json names, with the outcome and message given there (and under the seed given there). Also: the session
// really delays the backend, injects its error and leaves the disk as the plan says.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kitPath } from '../paths.js';
import { exerciseFixture, wrongSolutionTests, referenceSweepTest, typeCheckTest, determinismTest, observeRuns } from './exercise-suite.js';
import { blockPlan, expectedImage, initialImage, TRAILER, type BlockObservation } from '../../exercises/06-block/block-plan.js';

const fx = exerciseFixture('06');
const { exercise, reference, wrongCases, results } = fx;
const observe = (dir: string, seeds: number[]) => observeRuns(exercise, dir, seeds);

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

  referenceSweepTest(fx, 8);

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

  wrongSolutionTests(fx, { mustBuild: true });

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

  typeCheckTest(fx);

  determinismTest(fx, 'ignores-status');
});
