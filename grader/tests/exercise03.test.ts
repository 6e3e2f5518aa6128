// Exercise 03 end to end: the reference passes under every seed (the exercise's own and a sweep of others), the
// starter fails pointing at its TODOs, and every typical wrong solution under grader/wrong/03-grant-sharing fails the
// checks its expect.json names, with the outcome and message given there. Also: what the run setup observes is what
// happened (every state of the reference's grant entry, in order; the seeds vary what they say they vary).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gradeExercise } from '../grade.js';
import { kitPath } from '../paths.js';
import { exerciseFixture, wrongSolutionTests, typeCheckTest, observeRuns } from './exercise-suite.js';
import { sharePlan, type ShareObservation } from '../../exercises/03-grant-sharing/share-plan.js';

const fx = exerciseFixture('03');
const { exercise, reference, wrongCases, results } = fx;
const observe = (dir: string, seeds: number[]) => observeRuns(exercise, dir, seeds);

describe('exercise 03 (grant sharing)', () => {
  it('is graded under several seeds, and has at least six typical wrong solutions to test its checks against', () => {
    expect(exercise.seeds!.length).toBeGreaterThanOrEqual(3);
    expect(wrongCases.length).toBeGreaterThanOrEqual(6);
    expect(exercise.domains!.map((d) => [d.name, d.cmdline])).toEqual([['granter', 'granter'], ['mapper', 'mapper']]);
  });

  it('gives the reference solution full marks under every seed of the exercise', () => {
    const r = results.get('reference')!;
    expect(r.checks.map((c) => [c.id, c.outcome, c.actual])).toEqual(exercise.checks.map((c) => [c.id, 'PASS', undefined]));
    expect(r.checks.filter((c) => c.hidden).map((c) => c.id)).toEqual(['entry-order', 'own-implementation']);
    expect(r.outcome).toBe('PASS');
    expect(r.score).toBe(r.maxScore);
  });

  it('passes the reference under a sweep of other seeds', async () => {
    const r = await gradeExercise({ ...exercise, seeds: [4, 5, 6, 7, 8, 9] }, reference, { hidden: true });
    expect(r.checks.filter((c) => c.outcome !== 'PASS').map((c) => `${c.id}: ${c.actual}`)).toEqual([]);
  }, 60_000);

  it('fails the starter with hints that point at the TODO lines', () => {
    const r = results.get('starter')!;
    const grant = fs.readFileSync(kitPath('exercises', '03-grant-sharing', 'kernel', 'grant.ts'), 'utf8').split('\n');
    const share = fs.readFileSync(kitPath('exercises', '03-grant-sharing', 'kernel', 'share.ts'), 'utf8').split('\n');
    const todo1 = grant.findIndex((l) => l.includes('TODO 1')) + 1;
    const todo6 = share.findIndex((l) => l.includes('TODO 6')) + 1;
    expect(r.build.ok).toBe(true);
    expect(r.score).toBe(0);
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['mapper-reads-granter']!.actual).toContain('never granted a page');
    expect(byId['mapper-reads-granter']!.hint).toContain(`kernel/grant.ts:${todo1} (TODO 1)`);
    expect(byId['mapper-reads-granter']!.hint).toContain(`kernel/share.ts:${todo6} (TODO 6)`);
    expect(byId['waits-for-unmap']!.outcome).toBe('NOT RUN');
  });

  wrongSolutionTests(fx);

  it('observes every state of a grant entry in order, and the mapper\'s operations with what Xen wrote back', async () => {
    const [run] = await observe(reference, [1]);
    const o = run!.extra as unknown as ShareObservation;
    const plan = sharePlan(1);
    expect(o.plan).toEqual(plan);
    const ref = Number(run!.xenstore![`/local/domain/${o.granter}/share/ref`]);
    expect(ref).toBe(plan.firstRef); // the allocator hands out first-ref first
    // Round 1 as the guest wrote it: frame, then domid, then flags; Xen's GTF_reading|GTF_writing while mapped; cleared.
    const states = o.entries.filter((e) => e.ref === ref && e.at > 0).map((e) => [e.flags, e.domid === o.mapper, e.frame !== 0]);
    expect(states.slice(0, 5)).toEqual([[0, false, true], [0, true, true], [1, true, true], [1 | 8 | 16, true, true], [1, true, true]]);
    expect(states[5]).toEqual([0, true, true]);
    const maps = o.ops.filter((x) => x.dom === 'mapper' && x.op === 'map');
    expect(maps.map((m) => [m.ref, m.granter, m.readonly, m.status])).toEqual([[ref, o.granter, false, 0], [ref, o.granter, false, -8], [ref, o.granter, true, 0]]);
    expect(o.ops.filter((x) => x.dom === 'mapper' && x.op === 'copy').map((c) => [c.ref, c.copyFlags, c.status])).toEqual([[ref, 1, 0]]);
    expect(o.stillMapped).toEqual([]);
    expect(o.stillGranted).toEqual([]);
    expect(o.earlyEnd).toBeUndefined();
    // Only the granter could read its secret; the mapper's share/result holds it all the same.
    expect(run!.xenstore![`/local/domain/${o.mapper}/share/result`]).toBe(plan.secrets.granter);
  }, 60_000);

  it('holds the granter on some seeds from the moment share/ref lands until the mapper maps it', async () => {
    expect(exercise.seeds!.some((s) => sharePlan(s).holdAfterRef)).toBe(true);
    const seed = exercise.seeds!.find((s) => sharePlan(s).holdAfterRef)!;
    const [run] = await observe(reference, [seed]);
    const o = run!.extra as unknown as ShareObservation;
    const ref = o.published.find((p) => p.node === 'ref')!;
    expect(o.published.map((p) => p.node)).toEqual(['domid', 'ref']);
    expect(o.held?.at).toBe(ref.at);
    expect(o.held?.why).toBe('the mapper made a grant operation');
    const firstMap = o.ops.find((x) => x.dom === 'mapper' && x.op === 'map')!;
    expect(o.held!.until).toBe(firstMap.at);
    expect(o.ops.some((x) => x.dom === 'granter' && x.at > ref.at && x.at < firstMap.at)).toBe(false);
  }, 60_000);

  it('varies the first ref, the secrets and the scheduling by seed', () => {
    const plans = [1, 2, 3, 4, 5, 6].map(sharePlan);
    expect(new Set(plans.map((p) => p.firstRef)).size).toBeGreaterThan(4);
    expect(new Set(plans.map((p) => p.secrets.granter)).size).toBe(6);
    expect(new Set(plans.map((p) => p.mapperFirst)).size).toBe(2);
    for (const p of plans) expect(p.firstRef).toBeGreaterThanOrEqual(8);
  });

  typeCheckTest(fx);
});
