// Exercise 05 end to end: the reference passes under every seed (the exercise's own and more), the starter fails
// pointing at its TODOs, and every typical wrong solution under grader/wrong/05-xenstore fails the checks its
// expect.json names, with the outcome and message given there (and under the seed given there). Also: the seeds
// really start the rings where they say, the doorbell's event really lands between a request and its reply, the
// first commit really conflicts, and the secret really is refused.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kitPath } from '../paths.js';
import { exerciseFixture, wrongSolutionTests, referenceSweepTest, typeCheckTest, determinismTest, observeRuns } from './exercise-suite.js';
import { RING_SIZE, xenstorePlan, type XenStoreObservation } from '../../exercises/05-xenstore/xenstore-plan.js';

const fx = exerciseFixture('05');
const { exercise, reference, wrongCases, results } = fx;
const observe = (dir: string, seeds: number[]) => observeRuns(exercise, dir, seeds);

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

  referenceSweepTest(fx, 8);

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

  wrongSolutionTests(fx);

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

  typeCheckTest(fx);

  determinismTest(fx, 'no-retry');
});
