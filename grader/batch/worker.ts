// A batch worker process (forked by grader/batch/pool.ts): grades the submissions it is sent, one at a time, and sends
// each report back. Grading is CPU-bound emulation, so a class is spread over processes, one per core.
import { courseExercises } from '../course.js';
import { gradeSubmission } from '../session.js';
import type { WorkerJob, WorkerReply } from './pool.js';

process.on('message', (job: WorkerJob) => {
  void (async () => {
    let reply: WorkerReply;
    try {
      const all = courseExercises();
      const exercises = job.exercises.map((slug) => {
        const ex = all.find((e) => e.slug === slug);
        if (!ex) throw new Error(`the worker's kit has no exercise '${slug}'`);
        return ex;
      });
      const report = await gradeSubmission(job.root, { ...job.options, exercises });
      reply = { id: job.id, ok: true, report };
    } catch (e) {
      reply = { id: job.id, ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    process.send!(reply);
  })();
});
process.on('disconnect', () => process.exit(0));
