// Exercise 01 end to end: the reference passes, the starter fails pointing at its TODOs, and every typical wrong
// solution under grader/wrong/01-hello fails the check its expect.json names, with the outcome and message given there.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearBuildCache, gradeExercise } from '../grade.js';
import { kitPath } from '../paths.js';
import { exerciseFixture, wrongSolutionTests, typeCheckTest } from './exercise-suite.js';

const fx = exerciseFixture('01');
const { exercise, reference, wrongRoot, wrongCases, results } = fx;


describe('exercise 01 (hello)', () => {
  it('has at least six typical wrong solutions to test its checks against', () => {
    expect(wrongCases.length).toBeGreaterThanOrEqual(6);
  });

  it('gives the reference solution full marks', () => {
    const r = results.get('reference')!;
    expect(r.checks.map((c) => [c.id, c.outcome])).toEqual(exercise.checks.map((c) => [c.id, 'PASS']));
    expect(r.outcome).toBe('PASS');
    expect(r.score).toBe(r.maxScore);
    expect(r.evidence).toBeUndefined();
    expect(r.run).toMatchObject({ end: 'shutdown', shutdownReason: 'poweroff' });
  });

  it('fails the starter as a timeout whose hints point at the TODO lines', () => {
    const r = results.get('starter')!;
    const starter = fs.readFileSync(kitPath('exercises', '01-hello', 'kernel', 'hello.ts'), 'utf8').split('\n');
    const todo1 = starter.findIndex((l) => l.includes('TODO 1')) + 1;
    const todo2 = starter.findIndex((l) => l.includes('TODO 2')) + 1;
    expect(r.build.ok).toBe(true);
    expect(r.score).toBe(0);
    expect(r.outcome).toBe('TIMEOUT');
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId['prints-hello']!.hint).toContain(`kernel/hello.ts:${todo1} (TODO 1)`);
    expect(byId['powers-off']!.outcome).toBe('TIMEOUT');
    expect(byId['powers-off']!.hint).toContain(`kernel/hello.ts:${todo2} (TODO 2)`);
    expect(byId['exact-output']!.outcome).toBe('NOT RUN');
  });

  wrongSolutionTests(fx);

  typeCheckTest(fx);

  it('grades deterministically: the same submission and seed give the same result and trace hash', async () => {
    clearBuildCache();
    const again = await gradeExercise(exercise, path.join(wrongRoot, 'page-fault'), { hidden: true, noCache: true }); // rebuild too, not only reboot
    expect(again).toEqual(results.get('page-fault'));
    const other = await gradeExercise(exercise, kitPath('grader', 'solutions', '01-hello'), { hidden: true, seed: 7 });
    expect(other.seed).toBe(7);
    expect(other.outcome).toBe('PASS');
  });
});
