// xenlab handout OUTDIR: writes the student hand-out (the kit without reference solutions or hidden checks).
import chalk from 'chalk';
import { UsageError, parseArgs } from './args.js';
import { writeHandout } from '../grader/package/handout.js';

export async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs('handout', argv, {});
  if (positionals.length !== 1) throw new UsageError('usage: xenlab handout OUTDIR');
  let r;
  try {
    r = writeHandout(positionals[0]!);
  } catch (e) {
    throw new UsageError(`xenlab handout: ${(e as Error).message}`);
  }
  console.log(chalk.green(`wrote the hand-out to ${positionals[0]}`) + ` (${r.files} files, ${(r.bytes / 1024).toFixed(0)} KiB): students run \`npm ci && npx xenlab grade 01\` in it`);
  return 0;
}
