// A pool of grading processes for batches: each job (one submission) goes to an idle worker; a worker that dies
// (a fault in the kit, the host out of memory) fails only its own job and is replaced.
import { fork, type ChildProcess } from 'node:child_process';
import { kitPath } from '../paths.js';
import type { SessionOptions } from '../session.js';
import type { GradeReport } from '../report/schema.js';

export interface WorkerJob {
  id: number;
  root: string;
  /** Exercise slugs; the worker takes them from its own course list. */
  exercises: string[];
  options: Omit<SessionOptions, 'exercises' | 'onExercise'>;
}

export type WorkerReply = { id: number; ok: true; report: GradeReport } | { id: number; ok: false; message: string };

interface Worker { child: ChildProcess; busy?: { id: number; settle: (r: WorkerReply) => void } }

export class GradingPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private readonly all = new Set<Worker>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly size: number) {}

  private spawn(): Worker {
    // tsx's loader: the kit is TypeScript (the same way bin/xenlab.js runs it).
    const child = fork(kitPath('grader', 'batch', 'worker.ts'), [], {
      cwd: kitPath(), execArgv: ['--import', 'tsx', '--no-warnings'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 8192) stderr += d.toString('utf8'); });
    const w: Worker = { child };
    this.all.add(w);
    child.on('message', (reply: WorkerReply) => {
      const busy = w.busy;
      if (!busy || reply.id !== busy.id) return;
      w.busy = undefined;
      busy.settle(reply);
      this.release(w);
    });
    let gone = false;
    const exited = (code: number | null, signal: NodeJS.Signals | null, why?: string) => {
      if (gone) return;
      gone = true;
      this.all.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      const busy = w.busy;
      w.busy = undefined;
      if (busy) {
        const last = why ?? stderr.trim().split('\n').filter((l) => /Error/.test(l)).at(-1) ?? '';
        busy.settle({ id: busy.id, ok: false, message: `the grading process stopped (${signal ?? `exit ${code}`}) while grading this submission${last ? `: ${last.trim().slice(0, 300)}` : ''}` });
      }
      if (!this.closed && this.waiting.length) this.waiting.shift()!(this.spawn());
    };
    child.on('exit', (code, signal) => exited(code, signal));
    // A worker that cannot be reached (its pipe broke as it died) is ended, and 'exit' fails its job; one that never
    // started fails it here. Without this listener such an error would be thrown into the grader.
    child.on('error', (err) => {
      if (child.pid === undefined) exited(null, null, `it could not be started: ${err.message}`);
      else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return w;
  }

  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.all.size < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Grades one submission in a worker process. Never rejects: a failure comes back as `ok: false`. */
  async grade(job: Omit<WorkerJob, 'id'>): Promise<WorkerReply> {
    const w = await this.acquire();
    const id = this.nextId++;
    return new Promise((resolve) => {
      w.busy = { id, settle: resolve };
      // A send that fails (the worker died since it was idle) ends the worker; its 'exit' settles this job.
      w.child.send({ ...job, id } satisfies WorkerJob, (err) => { if (err) w.child.emit('error', err); });
    });
  }

  /** Process ids of the live workers (for diagnostics). */
  pids(): number[] {
    return [...this.all].map((w) => w.child.pid).filter((p): p is number => p !== undefined);
  }

  close(): void {
    this.closed = true;
    for (const w of this.all) if (w.child.connected) w.child.disconnect();
  }
}
