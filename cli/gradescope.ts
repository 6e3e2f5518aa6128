// xenlab gradescope OUT.zip: writes the autograder zip to upload to Gradescope (setup.sh, run_autograder, the kit).
import chalk from 'chalk';
import { UsageError, parseArgs } from './args.js';
import { writeGradescopeZip } from '../grader/package/gradescope.js';

export async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs('gradescope', argv, {});
  if (positionals.length !== 1 || !positionals[0]!.endsWith('.zip')) throw new UsageError('usage: xenlab gradescope OUT.zip');
  const r = writeGradescopeZip(positionals[0]!);
  console.log(chalk.green(`wrote ${positionals[0]}`) + ` (${r.entries} files, ${(r.bytes / 1024).toFixed(0)} KiB): upload it as the assignment's autograder (Ubuntu base image)`);
  return 0;
}
