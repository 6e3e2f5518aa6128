// Public test for exercise 05: builds and boots the kernel under every seed of the exercise and runs the public checks.
// In the instructor's kit (which holds the reference solution) it grades the reference, and checks that the starter
// does not pass; in a student hand-out it grades your kernel/xenstore.ts: it passes when your kernel does.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gradeExercise } from '../../grader/grade.js';
import { exercise } from './exercise.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const reference = path.join(here, '..', '..', 'grader', 'solutions', '05-xenstore');
const isKit = fs.existsSync(reference);

describe('exercise 05 (public checks)', () => {
  it(isKit ? 'passes on the reference solution' : 'passes on your kernel', async () => {
    const r = await gradeExercise(exercise, isKit ? reference : here);
    const failed = r.checks.filter((c) => c.outcome !== 'PASS').map((c) => `${c.outcome} ${c.title}: ${c.actual ?? ''} ${c.hint ? `(hint: ${c.hint})` : ''}`);
    expect(failed).toEqual([]);
  }, 60_000);

  if (isKit) {
    it('does not pass on the starter file', async () => {
      const r = await gradeExercise(exercise, here);
      expect(r.outcome).not.toBe('PASS');
      expect(r.score).toBe(0);
    }, 60_000);
  }
});
