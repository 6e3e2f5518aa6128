// xenlab gradescope OUT.zip [EXERCISE...] [--seed N]: writes the autograder zip to upload to Gradescope (setup.sh,
// run_autograder, the kit). Exercises named: the assignment grades only those (one Gradescope assignment per exercise).
import chalk from 'chalk';
import { UsageError, parseArgs, parseCount } from './args.js';
import { writeGradescopeZip } from '../grader/package/gradescope.js';
import { pickExercises } from './grade.js';

const USAGE = 'usage: xenlab gradescope OUT.zip [EXERCISE...] [--seed N]';

export async function main(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs('gradescope', argv, { seed: 'string', help: 'boolean' });
  if (options.help) { console.log(USAGE); return 0; }
  const [out, ...names] = positionals;
  if (!out) throw new UsageError(USAGE);
  if (!out.endsWith('.zip')) throw new UsageError(`xenlab gradescope: the autograder is a zip: name it OUT.zip (got '${out}'); ${USAGE}`);
  const exercises = names.length ? pickExercises(names, 'gradescope').map((e) => e.slug) : undefined;
  const seed = options.seed !== undefined ? parseCount('gradescope', 'seed', options.seed as string, 0, 0xffffffff) : undefined;
  const r = writeGradescopeZip(out, undefined, { exercises, seed });
  console.log(chalk.green(`wrote ${out}`) + ` (${r.entries} files, ${(r.bytes / 1024).toFixed(0)} KiB; grades ${exercises ? exercises.join(', ') : 'every exercise'}` +
    `${seed !== undefined ? `, seed ${seed}` : ''}): upload it as the assignment's autograder (Ubuntu base image)`);
  return 0;
}
