// xenlab verify-report FILE: checks that a JSON grade report is well formed and signed with XENLAB_REPORT_KEY.
// Exit status: 0 genuine, 1 not genuine (edited, unsigned or another key), 2 bad usage.
import fs from 'node:fs';
import chalk from 'chalk';
import { UsageError, parseArgs } from './args.js';
import { verifyReport } from '../grader/report/build.js';

export async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs('verify-report', argv, {});
  if (positionals.length !== 1) throw new UsageError('usage: xenlab verify-report FILE (with XENLAB_REPORT_KEY set to the key the grader signed with)');
  const key = process.env.XENLAB_REPORT_KEY;
  if (!key) throw new UsageError('xenlab verify-report: set XENLAB_REPORT_KEY to the key the report was signed with');
  let text: string;
  try {
    text = fs.readFileSync(positionals[0]!, 'utf8');
  } catch {
    throw new UsageError(`xenlab verify-report: cannot read '${positionals[0]}'`);
  }
  const v = verifyReport(text, key);
  if (!v.ok) {
    console.error(chalk.red(`${positionals[0]}: NOT VERIFIED: ${v.reason}`));
    return 1;
  }
  const r = v.report;
  console.log(chalk.green(`${positionals[0]}: verified`) + ` (${r.submission}, score ${r.score}/${r.maxScore}, ${r.kit}, seed ${r.seed ?? 'default'}, submission ${r.submissionHash.slice(0, 12)}, trace ${r.traceHash.slice(0, 12)}, written ${r.createdAt})`);
  return 0;
}
