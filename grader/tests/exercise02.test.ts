// Exercise 02 end to end: the reference passes under every seed (the exercise's own and a sweep of others), the
// starter fails pointing at its TODOs, and every typical wrong solution under grader/wrong/02-gettimeofday fails the
// checks its expect.json names, with the outcome and message given there. Also: the seeds vary what the README says
// they vary, and the hypervisor really did update the time while the reference was between its version reads.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeExercise } from '../grade.js';
import { kitPath } from '../paths.js';
import { exerciseFixture, wrongSolutionTests, referenceSweepTest, typeCheckTest, determinismTest, observeRuns } from './exercise-suite.js';
import os from 'node:os';
import { timeScale } from '../../hypervisor/time.js';
import { timePlan, type TimeObservation } from '../../exercises/02-gettimeofday/time-plan.js';

const fx = exerciseFixture('02');
const { exercise, reference, wrongCases, results } = fx;
const observe = (dir: string, seeds: number[]) => observeRuns(exercise, dir, seeds);

describe('exercise 02 (gettimeofday)', () => {
  it('is graded under several seeds, and has at least six typical wrong solutions to test its checks against', () => {
    expect(exercise.seeds!.length).toBeGreaterThanOrEqual(4);
    expect(wrongCases.length).toBeGreaterThanOrEqual(6);
  });

  it('gives the reference solution full marks under every seed of the exercise', () => {
    const r = results.get('reference')!;
    expect(r.checks.map((c) => [c.id, c.outcome, c.actual])).toEqual(exercise.checks.map((c) => [c.id, 'PASS', undefined]));
    expect(r.outcome).toBe('PASS');
    expect(r.score).toBe(r.maxScore);
    expect(r.run).toMatchObject({ end: 'shutdown', shutdownReason: 'poweroff' });
  });

  referenceSweepTest(fx, 24);

  it('passes a correct kernel that prints its own debugging lines in the middle of each call', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-ex02-'));
    try {
      fs.cpSync(reference, dir, { recursive: true });
      const file = path.join(dir, 'kernel', 'gettimeofday.ts');
      const src = fs.readFileSync(file, 'utf8')
        .replace('import { HYPERVISOR_update_va_mapping } from "minios/hypercalls";', '$&\nimport { printk } from "minios/console";')
        .replace('  const now = rdtsc();', '  printk("debug: version %u\\n", version);\n$&');
      expect(src).toContain('printk("debug');
      fs.writeFileSync(file, src);
      const r = await gradeExercise(exercise, dir, { hidden: true });
      expect(r.checks.filter((c) => c.outcome !== 'PASS').map((c) => `${c.id}: ${c.actual}`)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('fails the starter with hints that point at its TODO lines', () => {
    const r = results.get('starter')!;
    const starter = fs.readFileSync(kitPath('exercises', '02-gettimeofday', 'kernel', 'gettimeofday.ts'), 'utf8').split('\n');
    const line = (n: number) => `kernel/gettimeofday.ts:${starter.findIndex((l) => l.includes(`TODO ${n}`)) + 1} (TODO ${n})`;
    expect(r.build.ok).toBe(true);
    expect(r.score).toBe(0);
    expect(r.outcome).toBe('FAIL');
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['maps-shared-info']!.hint).toContain(line(1));
    expect(byId['time-of-day']!.outcome).toBe('FAIL');
    expect(byId['time-of-day']!.hint).toContain(line(1));
    expect(byId['monotonic']!.hint).toContain(line(2));
    expect(byId['monotonic']!.hint).toContain(line(5));
    expect(byId['retries-during-update']!.outcome).toBe('NOT RUN');
    expect(byId['large-delta']!.outcome).toBe('NOT RUN');
    expect(byId['own-implementation']!.outcome).toBe('NOT RUN');
  });

  wrongSolutionTests(fx);

  it('names the seed a check failed under, so the student can rerun it with --seed', () => {
    const r = results.get('negative-shift-ignored')!;
    const shiftOf = (seed: number) => timeScale(timePlan(seed).tscHz).shift;
    const firstNegative = exercise.seeds!.find((s) => shiftOf(s) < 0)!;
    expect(r.seed).toBe(firstNegative);
    expect(r.checks.find((c) => c.id === 'time-of-day')!.actual).toMatch(new RegExp(`^with --seed ${firstNegative}: `));
  });

  it('varies the TSC frequency (negative, zero and positive shifts), the epoch and the machine\'s uptime by seed', () => {
    const plans = exercise.seeds!.map(timePlan);
    const shifts = new Set(plans.map((p) => timeScale(p.tscHz).shift));
    expect([...shifts].some((s) => s < 0) && shifts.has(0) && [...shifts].some((s) => s > 0)).toBe(true);
    expect(new Set(plans.map((p) => p.wallclock.sec)).size).toBe(plans.length);
    expect(plans.every((p) => p.wallclock.nsec > 0 || p.wallclock.nsec === 0)).toBe(true);
    expect(new Set(plans.map((p) => p.bootAt)).size).toBe(plans.length);
    for (const p of plans) {
      expect(p.calls.some((c) => c.kind === 'burst')).toBe(true);
      expect(p.calls.some((c) => c.age >= 5e9)).toBe(true); // a record seconds old: a product beyond 64 bits
    }
  });

  it('updates the time while the reference is between its version reads: its burst calls spin through the whole update', async () => {
    const runs = await observe(reference, [1, 3]);
    for (const run of runs) {
      const o = run.extra as unknown as TimeObservation;
      const bursts = o.writes.map((w, k) => ({ w, next: o.writes[k + 1] })).filter(({ w }) => w.plan?.kind === 'burst');
      expect(bursts.length).toBeGreaterThanOrEqual(2);
      for (const { w, next } of bursts) {
        expect(w.holdEnd! - w.at).toBe(w.plan!.hold);
        expect(w.burstEnd! - w.holdEnd!).toBe(w.plan!.storm);
        expect(next!.at).toBeGreaterThan(w.burstEnd!); // the call did not return before the last update
      }
      expect(o.readings.length).toBe(8);
      expect(o.readings.every((r) => r.ok)).toBe(true);
      // The hypervisor's view of the printed time, to the microsecond: each window is a few microseconds wide.
      expect(o.readings.every((r) => r.hiUs - r.loUs < 20)).toBe(true);
    }
  });

  typeCheckTest(fx);

  determinismTest(fx, 'no-retry-on-change');
});
