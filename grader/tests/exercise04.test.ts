// Exercise 04 end to end: the reference passes under every seed (the exercise's own and more), the starter fails
// pointing at its TODOs, and every typical wrong solution under grader/wrong/04-console fails the checks its
// expect.json names, with the outcome and message given there (and under the seed given there). Also: the session
// really makes the reference wait for room, hold input back and sleep, and the barrier check reads sources right.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckContext } from '../api.js';
import { usesBarriers } from '../checks/04-console.js';
import { kitPath } from '../paths.js';
import { exerciseFixture, wrongSolutionTests, referenceSweepTest, typeCheckTest, determinismTest, observeRuns } from './exercise-suite.js';
import {
  consolePlan, CPU_BUDGET, IN_SIZE, OUT_SIZE, OUTPUT_TEXT, SESSION_BUDGET, typedText, type ConsoleObservation,
} from '../../exercises/04-console/console-plan.js';

const fx = exerciseFixture('04');
const { exercise, reference, wrongCases, results } = fx;
const observe = (dir: string, seeds: number[]) => observeRuns(exercise, dir, seeds);

describe('exercise 04 (console)', () => {
  it('is graded under several seeds, and has at least six typical wrong solutions to test its checks against', () => {
    expect(exercise.seeds!.length).toBeGreaterThanOrEqual(4);
    expect(wrongCases.length).toBeGreaterThanOrEqual(6);
  });

  it('gives the reference solution full marks under every seed of the exercise', () => {
    const r = results.get('reference')!;
    expect(exercise.checks.filter((c) => c.hidden).map((c) => c.id)).toEqual(['own-driver', 'uses-barriers']);
    expect(r.checks.map((c) => [c.id, c.outcome, c.actual])).toEqual(exercise.checks.map((c) => [c.id, 'PASS', undefined]));
    expect(r.outcome).toBe('PASS');
    expect(r.score).toBe(r.maxScore);
    expect(r.run).toMatchObject({ end: 'shutdown', shutdownReason: 'poweroff' });
  });

  referenceSweepTest(fx, 12);

  it('fails the starter with hints that point at its TODO lines', () => {
    const r = results.get('starter')!;
    const starter = fs.readFileSync(kitPath('exercises', '04-console', 'kernel', 'xencons.ts'), 'utf8').split('\n');
    const line = (n: number) => `kernel/xencons.ts:${starter.findIndex((l) => l.includes(`TODO ${n}`)) + 1} (TODO ${n})`;
    expect(r.build.ok).toBe(true);
    expect(r.score).toBe(0);
    expect(r.outcome).toBe('TIMEOUT'); // start_kernel's echo loop spins on a read that returns nothing
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['output-whole']!.actual).toContain('out_prod never moved');
    for (const n of [1, 2, 3]) expect(byId['output-whole']!.hint).toContain(line(n));
    expect(byId['blocks-when-idle']!.outcome).toBe('TIMEOUT');
    expect(byId['blocks-when-idle']!.hint).toContain(line(6));
    for (const id of ['echoes-typing', 'loses-no-input', 'own-driver', 'uses-barriers']) expect(byId[id]!.outcome).toBe('NOT RUN');
  });

  wrongSolutionTests(fx);

  it('varies the ring start indices by seed: from 0, wrapping past 2^32 in each ring, and unaligned', () => {
    const plans = exercise.seeds!.map(consolePlan);
    const wraps = (start: number, bytes: number) => start + bytes > 2 ** 32;
    expect(plans.some((p) => p.outStart === 0 && p.inStart === 0)).toBe(true);
    expect(plans.some((p) => wraps(p.outStart, OUTPUT_TEXT.length))).toBe(true);
    expect(plans.some((p) => wraps(p.inStart, typedText(p).length))).toBe(true);
    expect(plans.some((p) => p.outStart % OUT_SIZE !== 0 && !wraps(p.outStart, 2 * OUTPUT_TEXT.length))).toBe(true);
    expect(new Set(plans.map((p) => p.latency)).size).toBe(plans.length);
    for (const p of plans) {
      expect(OUTPUT_TEXT.length).toBeGreaterThan(2 * OUT_SIZE);
      expect(p.inputs.find((e) => e.kind === 'paste')!.text.length).toBeGreaterThan(2 * IN_SIZE);
      expect(p.inputs.some((e) => e.kind === 'early')).toBe(true);
      expect(p.inputs.at(-1)!.text).toBe('\x04');
    }
  });

  it('types in order and ends the session in time under any seed: arrivals increase, the quiet stretch follows the last key', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const p = consolePlan(seed);
      expect(p.inputs.every((e, i) => i === 0 || e.at > p.inputs[i - 1]!.at), `seed ${seed}`).toBe(true);
      const end = p.inputs.at(-1)!;
      expect(end.at).toBeGreaterThanOrEqual(p.quiet.to);
      expect(end.at).toBeLessThan(SESSION_BUDGET - 500_000);
      expect(p.quiet.from).toBeGreaterThan(p.inputs.at(-2)!.at + 200_000);
      expect(p.quiet.from).toBeGreaterThan(CPU_BUDGET); // a spinner is out of CPU before the quiet stretch
    }
  });

  it('makes the reference wait for room, makes Dom0 hold typed input back, and sees the reference sleep', async () => {
    const runs = await observe(reference, [1, 2]);
    for (const run of runs) {
      const o = run.extra as unknown as ConsoleObservation;
      expect(o.peaks.out).toBe(OUT_SIZE); // the ring was full: only flow control got the text through
      expect(o.peaks.backlog).toBeGreaterThan(0); // input came faster than the guest made room for it
      expect(o.inputBacklog).toBe(0);
      expect(o.quiet.ran).toBe(0);
      expect(o.cpu).toBeLessThan(CPU_BUDGET / 2);
      expect(run.hypercalls.filter((h) => h.name === 'sched_op' && h.args[0] === 1).length).toBeGreaterThan(20);
      expect(o.final.out_prod).toBe(o.final.out_cons);
      expect(o.final.in_prod).toBe(o.final.in_cons);
    }
  });

  it('checks barriers in the driver\'s source, not in its comments', () => {
    const source = fs.readFileSync(path.join(reference, 'kernel', 'xencons.ts'), 'utf8');
    const ctx = (text: string) => ({ sources: { 'kernel/xencons.ts': text } }) as unknown as CheckContext;
    const verdict = (text: string) => { const v = usesBarriers.run(ctx(text)); return v.pass ? 'PASS' : v.actual; };
    expect(verdict(source)).toBe('PASS');
    expect(verdict(source.replace('  wmb(); //', '  // wmb();'))).toMatch(/publishes out_prod with no wmb\(\)/);
    expect(verdict(source.replace('  rmb(); //', '  //'))).toMatch(/reads in\[\] with no rmb\(\)/);
    expect(verdict(source.replace('  mb(); // done reading', '  // done reading'))).toMatch(/writes in_cons\) with no mb\(\)/);
    expect(verdict(source.replace('  mb(); // done reading', '  rmb(); // done reading'))).toMatch(/with no mb\(\)/);
  });

  typeCheckTest(fx);

  determinismTest(fx, 'drops-input');
});
