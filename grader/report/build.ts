// Assembling a report from exercise results, and signing it.
import crypto from 'node:crypto';
import { canonicalJson } from '../boot.js';
import type { ExerciseResult } from '../grade.js';
import { kitVersion } from '../paths.js';
import { REPORT_FORMAT, gradeReportSchema, type GradeReport } from './schema.js';

export interface ReportMeta {
  seed: number | null;
  submission: string;
  hiddenChecks: boolean;
  /** Defaults to now; tests pass a fixed time. */
  createdAt?: string;
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export function makeReport(results: ExerciseResult[], meta: ReportMeta): GradeReport {
  const score = results.reduce((s, r) => s + r.score, 0);
  const maxScore = results.reduce((s, r) => s + r.maxScore, 0);
  return {
    format: REPORT_FORMAT,
    kit: kitVersion(),
    createdAt: meta.createdAt ?? new Date().toISOString(),
    seed: meta.seed,
    submission: meta.submission,
    submissionHash: sha(results.map((r) => r.submissionHash).join('\n')),
    traceHash: sha(results.map((r) => r.traceHash ?? 'no-run').join('\n')),
    hiddenChecks: meta.hiddenChecks,
    score,
    maxScore,
    passed: results.length > 0 && results.every((r) => r.outcome === 'PASS'),
    exercises: results,
  };
}

/** The bytes a signature covers: the report's canonical JSON without its signature. */
function signedBytes(report: GradeReport): string {
  const { signature: _omit, ...rest } = report;
  return canonicalJson(rest);
}

export function signReport(report: GradeReport, key: string): GradeReport {
  const mac = crypto.createHmac('sha256', key).update(signedBytes(report)).digest('hex');
  return { ...report, signature: `hmac-sha256:${mac}` };
}

export type Verification = { ok: true; report: GradeReport } | { ok: false; reason: string };

/** Checks a JSON report's shape and signature. Never throws. */
export function verifyReport(text: string, key: string): Verification {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  const parsed = gradeReportSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `not a xenlab grade report: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'bad shape'}` };
  }
  const report = parsed.data;
  if (!report.signature) return { ok: false, reason: 'the report is not signed (it was written without XENLAB_REPORT_KEY)' };
  // Sign what was read, not zod's copy: a field added to the file must break the signature too.
  const want = Buffer.from(signReport(data as GradeReport, key).signature!);
  const got = Buffer.from(report.signature);
  if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) {
    return { ok: false, reason: 'the signature does not match: the report was edited after grading, or signed with another key' };
  }
  return { ok: true, report };
}

export function reportJson(report: GradeReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
