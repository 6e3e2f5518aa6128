// Grading throughput: a class of distinct submissions (copies of the reference, each with its own comment line so
// no build is shared) graded as a batch with the default workers (one process per core), and the wall time to grade
// every reference solution of the listed exercises. Both compile afresh (no build cache), as a real class would.
// Figures: submissions per hour, seconds per submission, reference wall time. XENLAB_BENCH_STUDENTS sets the class size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gradeBatch } from '../grader/batch/batch.js';
import { courseExercises } from '../grader/course.js';
import { kitPath } from '../grader/paths.js';
import { gradeSubmission } from '../grader/session.js';

const STUDENTS = Number(process.env.XENLAB_BENCH_STUDENTS ?? 12);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-grade-bench-'));
try {
  const exercises = courseExercises();
  const parts: string[] = [];
  let refSeconds = 0;
  for (const ex of exercises) {
    const t0 = performance.now();
    const ref = await gradeSubmission(kitPath('grader', 'solutions'), { exercises: [ex], label: 'reference', hidden: true, noCache: true });
    const seconds = (performance.now() - t0) / 1000;
    refSeconds += seconds;
    const e = ref.exercises[0]!;
    const seeds = ex.seeds?.length ?? 1;
    parts.push(`  ${ex.slug}: ${e.outcome === 'PASS' ? 'PASS' : `${e.outcome} (${e.score}/${e.maxScore})`}, ${seconds.toFixed(2)} s (${seeds} seed${seeds > 1 ? 's' : ''}, ${(e.run?.instructions ?? 0).toLocaleString('en-US')} instructions in the shown run)`);
  }
  console.log(`reference solutions: ${exercises.length} exercise(s), ${refSeconds.toFixed(2)} s wall (one process, builds included)`);
  for (const p of parts) console.log(p);

  const klass = path.join(tmp, 'class');
  for (let i = 0; i < STUDENTS; i++) {
    const dest = path.join(klass, `student${String(i).padStart(3, '0')}`);
    fs.cpSync(kitPath('grader', 'solutions'), dest, { recursive: true });
    for (const ex of exercises) {
      const f = path.join(dest, ex.slug, ex.studentFiles[0]!);
      fs.appendFileSync(f, `\n// student ${i}\n`);
    }
  }
  const workers = os.availableParallelism();
  const t1 = performance.now();
  const s = await gradeBatch({ dir: klass, out: path.join(tmp, 'grades'), exercises, hidden: true, workers, noCache: true, progress: () => {} });
  const seconds = (performance.now() - t1) / 1000;
  console.log(`batch: ${s.students} submissions x ${exercises.length} exercise(s) with ${workers} workers in ${seconds.toFixed(2)} s: ` +
    `${(s.students / seconds * 3600).toFixed(0)} submissions/hour, ${(seconds / s.students).toFixed(2)} s each` +
    (s.errors.length ? `, ${s.errors.length} errors` : '') + `, ${s.rows.filter((r) => r.outcome === 'PASS').length}/${s.rows.length} exercises passed`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
