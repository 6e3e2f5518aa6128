// The JSON grade report: its schema (zod), the one definition both the writer and `xenlab verify-report` use.
import { z } from 'zod';

export const REPORT_FORMAT = 'xenlab-grade-report/1';

const outcome = z.enum(['PASS', 'FAIL', 'TIMEOUT', 'CRASH', 'BUILD ERROR', 'NOT RUN']);

export const checkResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  weight: z.number().nonnegative(),
  hidden: z.boolean(),
  outcome,
  score: z.number().nonnegative(),
  expected: z.string().optional(),
  actual: z.string().optional(),
  hint: z.string().optional(),
});

export const evidenceSchema = z.object({
  consoleTail: z.array(z.string()),
  lastHypercalls: z.array(z.string()),
  crash: z.object({
    reason: z.string(),
    eip: z.string(),
    instruction: z.string(),
    source: z.string().optional(),
    registers: z.string(),
  }).optional(),
});

export const diagnosticSchema = z.object({
  file: z.string(),
  line: z.number().int().nonnegative(),
  column: z.number().int().nonnegative(),
  message: z.string(),
  hint: z.string().optional(),
});

export const exerciseResultSchema = z.object({
  id: z.string(),
  slug: z.string(),
  title: z.string(),
  seed: z.number().int(),
  submissionHash: z.string().regex(/^[0-9a-f]{64}$/),
  traceHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  outcome,
  score: z.number().nonnegative(),
  maxScore: z.number().nonnegative(),
  build: z.union([
    z.object({ ok: z.literal(true) }),
    z.object({ ok: z.literal(false), kind: z.string(), diagnostics: z.array(diagnosticSchema) }),
  ]),
  run: z.object({
    end: z.enum(['shutdown', 'crashed', 'budget']),
    instructions: z.number().int().nonnegative(),
    budget: z.number().int().nonnegative(),
    shutdownReason: z.string().optional(),
  }).optional(),
  checks: z.array(checkResultSchema),
  evidence: evidenceSchema.optional(),
});

export const gradeReportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  kit: z.string(),
  /** When the report was written (ISO time): the only field that differs between two gradings of the same submission. */
  createdAt: z.string(),
  /** The --seed given, or null when each exercise used its own default seed. */
  seed: z.number().int().nullable(),
  /** What was graded: 'student', 'reference', or the submission folder's name. */
  submission: z.string(),
  /** SHA-256 over the exercises' submission hashes, in order. */
  submissionHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** SHA-256 over the exercises' trace hashes, in order. */
  traceHash: z.string().regex(/^[0-9a-f]{64}$/),
  hiddenChecks: z.boolean(),
  score: z.number().nonnegative(),
  maxScore: z.number().nonnegative(),
  passed: z.boolean(),
  exercises: z.array(exerciseResultSchema),
  /** HMAC-SHA256 (hex) over the report without this field, with XENLAB_REPORT_KEY; absent when no key was set. */
  signature: z.string().regex(/^hmac-sha256:[0-9a-f]{64}$/).optional(),
});

export type GradeReport = z.infer<typeof gradeReportSchema>;

/** The report's schema as JSON Schema (draft 2020-12), for tools outside TypeScript: `xenlab grade --schema`. */
export function gradeReportJsonSchema(): Record<string, unknown> {
  return { $id: `https://xenlab.invalid/${REPORT_FORMAT}.schema.json`, title: 'xenlab grade report', ...z.toJSONSchema(gradeReportSchema) } as Record<string, unknown>;
}
