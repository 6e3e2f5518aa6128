// Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/): one test per check.
// Hidden checks are visible only after the due date ("after_due_date").
import { z } from 'zod';
import type { GradeReport } from './schema.js';

export const gradescopeResultsSchema = z.object({
  score: z.number(),
  output: z.string().optional(),
  visibility: z.enum(['hidden', 'after_due_date', 'after_published', 'visible']).optional(),
  stdout_visibility: z.enum(['hidden', 'after_due_date', 'after_published', 'visible']).optional(),
  tests: z.array(z.object({
    name: z.string(),
    score: z.number(),
    max_score: z.number(),
    status: z.enum(['passed', 'failed']).optional(),
    output: z.string().optional(),
    visibility: z.enum(['hidden', 'after_due_date', 'after_published', 'visible']).optional(),
    tags: z.array(z.string()).optional(),
  })),
});

export type GradescopeResults = z.infer<typeof gradescopeResultsSchema>;

export function gradescopeResults(report: GradeReport): GradescopeResults {
  const tests: GradescopeResults['tests'] = [];
  for (const ex of report.exercises) {
    const evidence: string[] = [];
    if (!ex.build.ok) for (const d of ex.build.diagnostics.slice(0, 10)) evidence.push(`${d.file}${d.line ? `:${d.line}:${d.column}` : ''}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ''}`);
    if (ex.evidence?.crash) {
      const cr = ex.evidence.crash;
      evidence.push(`crash: ${cr.reason}\n  at ${cr.eip}: ${cr.instruction}${cr.source ? `\n  ${cr.source}` : ''}\n  ${cr.registers}`);
    }
    if (ex.evidence) {
      evidence.push(ex.evidence.consoleTail.length ? `last console lines:\n${ex.evidence.consoleTail.map((l) => `  | ${l}`).join('\n')}` : 'the console stayed empty');
      if (ex.evidence.lastHypercalls.length) evidence.push(`last hypercalls:\n${ex.evidence.lastHypercalls.map((h) => `  ${h}`).join('\n')}`);
    }
    for (const ch of ex.checks) {
      const lines = [`${ch.outcome}`];
      if (ch.expected) lines.push(`expected: ${ch.expected}`);
      if (ch.actual) lines.push(ch.outcome === 'NOT RUN' ? ch.actual : `got: ${ch.actual}`); // a NOT RUN's reason reads on its own
      if (ch.hint) lines.push(`hint: ${ch.hint}`);
      if (ch.outcome !== 'PASS' && ch.outcome !== 'NOT RUN') lines.push('', ...evidence);
      tests.push({
        name: `${ex.slug}: ${ch.title}`,
        score: ch.score,
        max_score: ch.weight,
        status: ch.outcome === 'PASS' ? 'passed' : 'failed',
        output: lines.join('\n'),
        visibility: ch.hidden ? 'after_due_date' : 'visible',
        tags: [ex.slug, ch.outcome],
      });
    }
  }
  return {
    score: report.score,
    output: `${report.kit}; seed ${report.seed ?? 'default'}; submission ${report.submissionHash}; trace ${report.traceHash}`,
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests,
  };
}
