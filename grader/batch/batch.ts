// Batch grading of a class: `xenlab grade --batch DIR [--workers N] [--out DIR]`. One folder or zip file per student;
// N submissions graded at once in N worker processes (grader/batch/pool.ts); each student's reports written as
// soon as they are done, then a class summary (CSV and JSON). A rerun skips every student whose submission, kit,
// seed and exercises are unchanged, so an interrupted batch resumes where it stopped. One bad submission never
// stops the batch.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Chalk } from 'chalk';
import type { Exercise } from '../api.js';
import { submissionHash } from '../grade.js';
import type { BuildLimits } from '../build/isolated.js';
import { kitPath, kitVersion } from '../paths.js';
import { reportJson } from '../report/build.js';
import { gradescopeResults } from '../report/gradescope.js';
import { junitXml } from '../report/junit.js';
import { gradeReportSchema, type GradeReport } from '../report/schema.js';
import { formatTerminal, terminalChalk } from '../report/terminal.js';
import { locateExerciseDir, gradeSubmission } from '../session.js';
import { readZip } from '../package/zip.js';
import { GradingPool } from './pool.js';

export interface BatchOptions {
  dir: string;
  out: string;
  workers?: number;
  seed?: number;
  exercises: Exercise[];
  hidden: boolean;
  signingKey?: string;
  buildLimits?: Partial<BuildLimits>;
  /** Compile every submission afresh (no build cache): for benchmarks. */
  noCache?: boolean;
  /**
   * Grade in worker processes (the default; exercises are then taken by slug from the kit's course list), or in this
   * process (for exercises that are not in the course list, e.g. a test's own).
   */
  inProcess?: boolean;
  /** Where progress goes (a bar on stderr by default); tests pass a sink. */
  progress?: (text: string) => void;
}

export interface ClassRow {
  student: string;
  exercise: string;
  score: number;
  maxScore: number;
  outcome: string;
  submissionHash: string;
  traceHash: string;
}

export interface BatchSummary {
  students: number;
  graded: number;
  resumed: number;
  /** Students whose submission could not be graded at all (unreadable zip, grader fault). */
  errors: { student: string; message: string }[];
  rows: ClassRow[];
}

interface Submission { student: string; source: string; zip?: string }

/** Folder-safe student name. */
function studentName(entry: string): string {
  return entry.replace(/\.zip$/i, '').replace(/[^A-Za-z0-9._@-]+/g, '_').slice(0, 100) || 'student';
}

export function listSubmissions(dir: string): Submission[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isFile() && /\.zip$/i.test(e.name))))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((e) => ({ student: studentName(e.name), source: path.join(dir, e.name), ...(e.isFile() ? { zip: path.join(dir, e.name) } : {}) }));
}

/** Unpacks a zip submission into `into` (safely: readZip refuses unsafe paths, links and oversized archives). */
function unpack(zip: string, into: string): void {
  fs.rmSync(into, { recursive: true, force: true });
  fs.mkdirSync(into, { recursive: true });
  const entries = readZip(fs.readFileSync(zip));
  for (const e of entries) {
    const dest = path.join(into, e.name);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, e.data);
  }
  // A zip of one top-level folder (alice/01-hello/...) grades as that folder.
  const top = fs.readdirSync(into);
  if (top.length === 1 && fs.statSync(path.join(into, top[0]!)).isDirectory() && !/^\d\d-/.test(top[0]!)) {
    const inner = path.join(into, top[0]!);
    for (const n of fs.readdirSync(inner)) fs.renameSync(path.join(inner, n), path.join(into, n));
    fs.rmdirSync(inner);
  }
}

/**
 * SHA-256 over the kit's source files that decide a grade (the exercises and their checks, the grader, the
 * hypervisor, the machine, the compiler and kernel library), so that a fixed check regrades everyone on resume.
 */
export function kitContentHash(root = kitPath()): string {
  const h = crypto.createHash('sha256');
  const walk = (dir: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name === 'tests' || e.name === 'node_modules' || e.name.startsWith('.') || r === 'grader/solutions' || r === 'grader/wrong') continue;
        walk(path.join(dir, e.name), r);
      } else if (e.isFile() && /\.(ts|json)$/.test(e.name) && !e.name.endsWith('.test.ts')) h.update(`${r}\n`).update(fs.readFileSync(path.join(dir, e.name)));
    }
  };
  for (const d of ['exercises', 'grader', 'hypervisor', 'machine', 'minios']) walk(path.join(root, d), d);
  return h.digest('hex');
}

let kitHash: string | undefined;

function resumeKey(root: string, opts: BatchOptions): string {
  kitHash ??= kitContentHash();
  const h = crypto.createHash('sha256').update(JSON.stringify([kitVersion(), kitHash, opts.seed ?? null, opts.hidden, !!opts.signingKey]));
  for (const ex of opts.exercises) {
    const dir = locateExerciseDir(root, ex, opts.exercises.length === 1);
    h.update(`${ex.slug}:${fs.existsSync(dir) ? submissionHash(ex, dir).hash : 'missing'}\n`);
  }
  return h.digest('hex');
}

function rowsOf(student: string, report: GradeReport): ClassRow[] {
  return report.exercises.map((e) => ({ student, exercise: e.slug, score: e.score, maxScore: e.maxScore, outcome: e.outcome, submissionHash: e.submissionHash, traceHash: e.traceHash ?? '' }));
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function classCsv(rows: ClassRow[]): string {
  const head = ['student', 'exercise', 'score', 'max_score', 'outcome', 'submission_hash', 'trace_hash'];
  return [head.join(','), ...rows.map((r) => [r.student, r.exercise, r.score, r.maxScore, r.outcome, r.submissionHash, r.traceHash].map(csvField).join(','))].join('\n') + '\n';
}

/** "1m05s" */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * One progress line: a bar, counts, and the time left, estimated from the submissions graded so far (resumed ones
 * cost nothing). `elapsedSec` is wall time, used for display only, never to decide anything.
 */
export function progressLine(done: number, total: number, elapsedSec: number, stats: { resumed: number; errors: number }): string {
  const width = 24;
  const filled = total ? Math.round((done / total) * width) : width;
  const graded = done - stats.resumed;
  const eta = done < total ? (graded > 0 ? ` ~${duration((elapsedSec / graded) * (total - done))} left` : '') : ` done in ${duration(elapsedSec)}`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} submissions (${stats.resumed} unchanged, ${stats.errors} could not be graded)${eta}`;
}

/**
 * Where the progress line goes: on a terminal, redrawn in place (carriage return, clear to end of line), the bar
 * coloured unless NO_COLOR; elsewhere (a log file, CI) one plain line per finished submission.
 */
export function progressWriter(stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr, env: Record<string, string | undefined> = process.env): { update(line: string): void; end(): void } {
  if (!stream.isTTY) return { update: (line) => { stream.write(`${line}\n`); }, end: () => {} };
  const c = terminalChalk(stream, env);
  let drawn = false;
  return {
    update: (line) => { drawn = true; stream.write(`\r${line.replace(/^\[[#-]+\]/, (bar) => c.green(bar))}\u001b[K`); },
    end: () => { if (drawn) stream.write('\n'); },
  };
}

export async function gradeBatch(opts: BatchOptions): Promise<BatchSummary> {
  const subs = listSubmissions(opts.dir);
  const out = path.resolve(opts.out);
  fs.mkdirSync(out, { recursive: true });
  const workers = Math.max(1, opts.workers ?? os.availableParallelism());
  const bar = opts.progress ? { update: opts.progress, end: () => {} } : progressWriter();
  const pool = opts.inProcess ? undefined : new GradingPool(workers);
  const summary: BatchSummary = { students: subs.length, graded: 0, resumed: 0, errors: [], rows: [] };
  const rowsBy = new Map<string, ClassRow[]>();
  const started = Date.now();
  let done = 0;
  const plain = new Chalk({ level: 0 });

  const one = async (sub: Submission): Promise<void> => {
    const dest = path.join(out, sub.student);
    const keyFile = path.join(dest, '.resume-key');
    try {
      let root = sub.source;
      if (sub.zip) {
        root = path.join(out, '.unpacked', sub.student);
        unpack(sub.zip, root);
      }
      const key = resumeKey(root, opts);
      const reportFile = path.join(dest, 'report.json');
      if (fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key && fs.existsSync(reportFile)) {
        const previous = gradeReportSchema.safeParse(JSON.parse(fs.readFileSync(reportFile, 'utf8')));
        if (previous.success) {
          rowsBy.set(sub.student, rowsOf(sub.student, previous.data));
          summary.resumed++;
          return;
        }
      }
      fs.rmSync(keyFile, { force: true });
      const options = { seed: opts.seed, hidden: opts.hidden, label: sub.student, signingKey: opts.signingKey, buildLimits: opts.buildLimits, noCache: opts.noCache };
      let report: GradeReport;
      if (pool) {
        const reply = await pool.grade({ root, exercises: opts.exercises.map((e) => e.slug), options });
        if (!reply.ok) throw new Error(reply.message);
        report = reply.report;
      } else report = await gradeSubmission(root, { ...options, exercises: opts.exercises });
      fs.mkdirSync(dest, { recursive: true });
      fs.writeFileSync(reportFile, reportJson(report));
      fs.writeFileSync(path.join(dest, 'results.json'), JSON.stringify(gradescopeResults(report), null, 2) + '\n');
      fs.writeFileSync(path.join(dest, 'junit.xml'), junitXml(report));
      fs.writeFileSync(path.join(dest, 'report.txt'), formatTerminal(report, plain));
      fs.writeFileSync(keyFile, key); // last: a report without its key is regraded on resume
      rowsBy.set(sub.student, rowsOf(sub.student, report));
      summary.graded++;
    } catch (e) {
      const message = (e as Error).message ?? String(e);
      summary.errors.push({ student: sub.student, message });
      rowsBy.set(sub.student, opts.exercises.map((ex) => ({ student: sub.student, exercise: ex.slug, score: 0, maxScore: ex.checks.filter((c) => opts.hidden || !c.hidden).reduce((s, c) => s + c.weight, 0), outcome: 'BUILD ERROR', submissionHash: '', traceHash: '' })));
      fs.mkdirSync(dest, { recursive: true });
      fs.writeFileSync(path.join(dest, 'error.txt'), `could not grade ${sub.student}: ${message}\n`);
    } finally {
      done++;
      bar.update(progressLine(done, subs.length, (Date.now() - started) / 1000, { resumed: summary.resumed, errors: summary.errors.length }));
    }
  };

  let next = 0;
  try {
    await Promise.all(Array.from({ length: Math.min(workers, subs.length) }, async () => {
      while (next < subs.length) await one(subs[next++]!);
    }));
  } finally {
    pool?.close();
    bar.end();
  }
  summary.rows = subs.flatMap((s) => rowsBy.get(s.student) ?? []);
  summary.errors.sort((a, b) => (a.student < b.student ? -1 : 1));
  fs.writeFileSync(path.join(out, 'class.csv'), classCsv(summary.rows));
  fs.writeFileSync(path.join(out, 'class.json'), JSON.stringify({ kit: kitVersion(), seed: opts.seed ?? null, students: summary.students, errors: summary.errors, rows: summary.rows }, null, 2) + '\n');
  return summary;
}

/** The CLI's view: exit 0 when every submission was graded (whatever its score), 1 when some could not be. */
export async function runBatch(opts: BatchOptions): Promise<number> {
  if (!fs.existsSync(opts.dir) || !fs.statSync(opts.dir).isDirectory()) {
    process.stderr.write(`xenlab grade: --batch '${opts.dir}' is not a folder\n`);
    return 2;
  }
  const s = await gradeBatch(opts);
  const passed = new Set(s.rows.filter((r) => r.outcome === 'PASS').map((r) => `${r.student}/${r.exercise}`)).size;
  process.stdout.write(`graded ${s.students} submission${s.students === 1 ? '' : 's'} (${s.graded} now, ${s.resumed} kept: unchanged since the last run): ${passed}/${s.rows.length} exercises passed; ` +
    `class summary in ${path.join(opts.out, 'class.csv')} and class.json\n`);
  for (const e of s.errors) process.stdout.write(`  could not grade ${e.student}: ${e.message}\n`);
  return s.errors.length ? 1 : 0;
}
