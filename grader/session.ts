// Grading a whole submission (several exercises) into one report: the engine behind `xenlab grade`.
import fs from 'node:fs';
import path from 'node:path';
import type { Exercise } from './api.js';
import { courseExercises } from './course.js';
import { gradeExercise, type ExerciseResult, type GradeOptions } from './grade.js';
import { makeReport, signReport } from './report/build.js';
import type { GradeReport } from './report/schema.js';

/**
 * Folders a submission may be wrapped in: when it holds exactly one folder (besides dot files and __MACOSX) that is not
 * an exercise folder, as when a student zips the folder their work is in.
 */
function wrappers(submission: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(submission, { withFileTypes: true }).filter((e) => !e.name.startsWith('.') && e.name !== '__MACOSX');
  } catch {
    return [];
  }
  const only = entries.length === 1 ? entries[0]! : undefined;
  return only && only.isDirectory() && !/^\d\d-/.test(only.name) && only.name !== 'exercises' && only.name !== 'kernel' ? [path.join(submission, only.name)] : [];
}

/**
 * The folder holding `exercise`'s student files inside a submission. A submission is laid out like the hand-out's
 * exercises/ (DIR/01-hello/kernel/hello.ts), or a whole hand-out (DIR/exercises/01-hello/...), or, when a single
 * exercise is graded, that exercise's own folder (DIR/kernel/hello.ts); any of these may sit inside one wrapping
 * folder (DIR/alice/01-hello/...).
 */
export function locateExerciseDir(submission: string, exercise: Exercise, single: boolean): string {
  const roots = [submission, ...wrappers(submission)];
  for (const root of roots) {
    for (const c of [path.join(root, exercise.slug), path.join(root, 'exercises', exercise.slug)]) if (fs.existsSync(c)) return c;
  }
  if (single) for (const root of roots) if (fs.existsSync(path.join(root, exercise.studentFiles[0]!))) return root;
  return path.join(submission, exercise.slug);
}

export interface SessionOptions extends GradeOptions {
  exercises?: Exercise[];
  /** Label for the report's `submission` field. */
  label: string;
  /** Sign the JSON with this key (XENLAB_REPORT_KEY). */
  signingKey?: string;
  createdAt?: string;
  onExercise?: (result: ExerciseResult) => void;
}

export async function gradeSubmission(submission: string, opts: SessionOptions): Promise<GradeReport> {
  const exercises = opts.exercises ?? courseExercises();
  const results: ExerciseResult[] = [];
  for (const ex of exercises) {
    const dir = locateExerciseDir(submission, ex, exercises.length === 1);
    const r = await gradeExercise(ex, dir, opts);
    opts.onExercise?.(r);
    results.push(r);
  }
  const report = makeReport(results, { seed: opts.seed ?? null, submission: opts.label, hiddenChecks: opts.hidden ?? false, createdAt: opts.createdAt });
  return opts.signingKey ? signReport(report, opts.signingKey) : report;
}
