// xenlab grade [EXERCISE...] [--submission DIR] [--reference] [--seed N] [--json FILE] [--gradescope FILE] [--junit FILE]
//              [--public-only] | --batch DIR [--workers N] [--out DIR] [--seed N] [--public-only] | --schema
// Exit status: 0 only when everything graded passed; 1 when something did not; 2 bad usage.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, npmCwdNote, parseArgs, parseCount } from './args.js';
import type { Exercise } from '../grader/api.js';
import { courseExercises, findExercise } from '../grader/course.js';
import { kitPath } from '../grader/paths.js';
import { gradeSubmission } from '../grader/session.js';
import { reportJson } from '../grader/report/build.js';
import { gradeReportJsonSchema } from '../grader/report/schema.js';
import { formatTerminal } from '../grader/report/terminal.js';
import { gradescopeResults } from '../grader/report/gradescope.js';
import { junitXml } from '../grader/report/junit.js';

const USAGE = 'usage: xenlab grade [EXERCISE...] [--submission DIR] [--reference] [--seed N] [--json FILE] [--gradescope FILE] [--junit FILE] [--public-only]\n' +
  '       xenlab grade [EXERCISE...] --batch DIR [--workers N] [--out DIR] [--seed N] [--public-only]\n' +
  '         (DIR holds one folder or .zip per student)\n' +
  '       xenlab grade --schema      (prints the JSON Schema of --json reports)';

export function pickExercises(names: string[], command = 'grade'): Exercise[] {
  const all = courseExercises();
  if (names.length === 0) return all;
  return names.map((n) => {
    const ex = findExercise(n, all);
    if (!ex) throw new UsageError(`xenlab ${command}: no exercise '${n}'; exercises: ${all.map((e) => e.slug).join(', ')}`);
    return ex;
  });
}

function writeOut(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs('grade', argv, {
    submission: 'string', reference: 'boolean', seed: 'string', json: 'string', gradescope: 'string', junit: 'string',
    'public-only': 'boolean', batch: 'string', workers: 'string', out: 'string', help: 'boolean', schema: 'boolean',
  });
  if (options.help) { console.log(USAGE); return 0; }
  if (options.schema) { process.stdout.write(JSON.stringify(gradeReportJsonSchema(), null, 2) + '\n'); return 0; }
  const exercises = pickExercises(positionals);
  const seed = options.seed !== undefined ? parseCount('grade', 'seed', options.seed as string, 0, 0xffffffff) : undefined;
  if (options.batch !== undefined) {
    for (const alone of ['submission', 'reference', 'json', 'junit', 'gradescope'] as const) {
      if (options[alone] !== undefined) {
        throw new UsageError(`xenlab grade: --${alone} does not go with --batch (a batch grades every student in ${options.batch as string} and writes each one's report.json, results.json and junit.xml under --out)`);
      }
    }
    const { runBatch } = await import('../grader/batch/batch.js');
    const workers = options.workers !== undefined ? parseCount('grade', 'workers', options.workers as string, 1, 64) : undefined;
    const key = process.env.XENLAB_REPORT_KEY;
    return runBatch({ dir: options.batch as string, out: (options.out as string | undefined) ?? 'grades', workers, seed, exercises, hidden: !options['public-only'], signingKey: key && key.length ? key : undefined });
  }
  for (const batchOnly of ['workers', 'out'] as const) {
    if (options[batchOnly] !== undefined) {
      throw new UsageError(`xenlab grade: --${batchOnly} goes with --batch DIR; to grade one submission use --submission DIR, and --json/--junit/--gradescope FILE for its reports`);
    }
  }
  if (options.reference && options.submission !== undefined) throw new UsageError('xenlab grade: give --reference or --submission, not both');
  let submission: string;
  let label: string;
  if (options.reference) {
    submission = kitPath('grader', 'solutions');
    label = 'reference';
    if (!fs.existsSync(submission)) throw new UsageError('xenlab grade: this kit has no reference solutions (it is a student hand-out)');
  } else if (options.submission !== undefined) {
    submission = path.resolve(options.submission as string);
    label = path.basename(submission);
    if (!fs.existsSync(submission) || !fs.statSync(submission).isDirectory()) throw new UsageError(`xenlab grade: --submission '${options.submission}' is not a folder${npmCwdNote(options.submission as string)}`);
  } else {
    submission = kitPath('exercises');
    label = 'student';
  }
  const key = process.env.XENLAB_REPORT_KEY;
  const report = await gradeSubmission(submission, {
    exercises, seed, label, hidden: !options['public-only'], signingKey: key && key.length ? key : undefined,
  });
  process.stdout.write(formatTerminal(report));
  if (options.json) writeOut(options.json as string, reportJson(report));
  if (options.gradescope) writeOut(options.gradescope as string, JSON.stringify(gradescopeResults(report), null, 2) + '\n');
  if (options.junit) writeOut(options.junit as string, junitXml(report));
  return report.passed ? 0 : 1;
}
