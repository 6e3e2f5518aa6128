// The course the grader knows: the exercises (exercises/index.ts) with the hidden checks (grader/checks/) merged in.
// This is the one place where grader/ reads exercises/.
import path from 'node:path';
import type { Exercise } from './api.js';
import { hiddenChecks } from './checks/index.js';
import { exercises } from '../exercises/index.js';
import { kitPath } from './paths.js';

export function courseExercises(): Exercise[] {
  return exercises.map((e) => ({ ...e, checks: [...e.checks, ...(hiddenChecks[e.id] ?? [])] }));
}

/** Finds an exercise by '01', '1', '01-hello' or 'hello'; undefined when none matches. */
export function findExercise(name: string, all: Exercise[] = courseExercises()): Exercise | undefined {
  const n = name.replace(/\/+$/, '').toLowerCase();
  return all.find((e) => e.id === n || e.slug === n || e.slug.slice(3) === n || Number(e.id) === Number(n));
}

/** The folder holding an exercise's student files in a submission laid out like the hand-out's exercises/. */
export function exerciseDirIn(submission: string, exercise: Exercise): string {
  return path.join(submission, exercise.slug);
}

export const KIT_EXERCISES = kitPath('exercises');
export const REFERENCE_SOLUTIONS = kitPath('grader', 'solutions');
