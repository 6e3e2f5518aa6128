// Exercise 01 end to end: the reference passes, the starter fails pointing at its TODOs, and every typical wrong
// solution under grader/wrong/01-hello fails the check its expect.json names, with the outcome and message given there.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { courseExercises, findExercise } from '../course.js';
import { clearBuildCache, gradeExercise, type ExerciseResult } from '../grade.js';
import { kitPath } from '../paths.js';

const exercise = findExercise('01', courseExercises())!;
const wrongRoot = kitPath('grader', 'wrong', '01-hello');
const wrongCases = fs.readdirSync(wrongRoot).filter((d) => fs.existsSync(path.join(wrongRoot, d, 'expect.json'))).sort();

interface Expect {
  checks: Record<string, { outcome: string; says?: string }>;
  crash?: { instruction: string; source: string };
}

const results = new Map<string, ExerciseResult>();

beforeAll(async () => {
  const jobs: [string, string][] = [
    ['reference', kitPath('grader', 'solutions', '01-hello')],
    ['starter', kitPath('exercises', '01-hello')],
    ...wrongCases.map((c): [string, string] => [c, path.join(wrongRoot, c)]),
  ];
  // Builds run in child processes: two at a time keeps a 2-core machine busy without thrashing.
  for (let i = 0; i < jobs.length; i += 2) {
    const batch = jobs.slice(i, i + 2);
    const done = await Promise.all(batch.map(([, dir]) => gradeExercise(exercise, dir, { hidden: true })));
    batch.forEach(([name], k) => results.set(name, done[k]!));
  }
}, 240_000);

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

  for (const name of wrongCases) {
    it(`fails the wrong solution '${name}' with its teaching message`, () => {
      const want = JSON.parse(fs.readFileSync(path.join(wrongRoot, name, 'expect.json'), 'utf8')) as Expect;
      const r = results.get(name)!;
      expect(r.outcome).not.toBe('PASS');
      expect(r.score).toBeLessThan(r.maxScore);
      for (const [id, w] of Object.entries(want.checks)) {
        const c = r.checks.find((x) => x.id === id);
        expect(c, `check ${id}`).toBeDefined();
        expect(c!.outcome, `outcome of ${id}`).toBe(w.outcome);
        if (w.says) expect(`${c!.actual ?? ''} ${c!.hint ?? ''}`, `message of ${id}`).toContain(w.says);
      }
      if (want.crash) {
        expect(r.evidence?.crash?.instruction).toBe(want.crash.instruction);
        expect(r.evidence?.crash?.source).toBe(want.crash.source);
      }
      if (r.build.ok) expect(r.evidence?.lastHypercalls.length ?? 0).toBeGreaterThanOrEqual(0);
    });
  }

  it('type-checks the starter and the reference with tsc and the kit declarations (what a student\'s editor shows)', async () => {
    const tsc = (project: string) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [kitPath('node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', project]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d; });
      child.stderr.on('data', (d: Buffer) => { out += d; });
      child.on('close', (code) => resolve({ code, out }));
    });
    const [starter, reference] = await Promise.all([tsc(kitPath('exercises', '01-hello', 'kernel')), tsc(kitPath('grader', 'solutions', '01-hello', 'kernel'))]);
    expect(starter).toEqual({ code: 0, out: '' });
    expect(reference).toEqual({ code: 0, out: '' });
  });

  it('grades deterministically: the same submission and seed give the same result and trace hash', async () => {
    clearBuildCache();
    const again = await gradeExercise(exercise, path.join(wrongRoot, 'page-fault'), { hidden: true, noCache: true }); // rebuild too, not only reboot
    expect(again).toEqual(results.get('page-fault'));
    const other = await gradeExercise(exercise, kitPath('grader', 'solutions', '01-hello'), { hidden: true, seed: 7 });
    expect(other.seed).toBe(7);
    expect(other.outcome).toBe('PASS');
  });
});
