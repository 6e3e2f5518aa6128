// A class of mixed submissions: finished, starter (loops until its budget), zipped, crashing, forbidden import, empty,
// corrupt zip, a zip that writes outside its folder, symbolic link, compiler-exhausting. Graded in worker processes;
// every student gets a row; a rerun regrades only what changed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gradeBatch, kitContentHash, progressLine, progressWriter, type BatchSummary } from '../batch/batch.js';
import { GradingPool } from '../batch/pool.js';
import { courseExercises, findExercise } from '../course.js';
import { writeZip } from '../package/zip.js';
import { kitPath } from '../paths.js';
import { reportJson } from '../report/build.js';
import { gradeSubmission } from '../session.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-batch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const klass = path.join(tmp, 'class');
const out = path.join(tmp, 'grades');
const ex01 = findExercise('01', courseExercises())!;
const hello = (dir: string) => path.join(klass, dir, '01-hello', 'kernel', 'hello.ts');

function zipOf(dir: string, prefix: string): Buffer {
  const files: { name: string; data: Buffer }[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else files.push({ name: `${prefix}${rel}${e.name}`, data: fs.readFileSync(path.join(d, e.name)) });
    }
  };
  walk(dir, '');
  return writeZip(files);
}

function setUpClass(): void {
  fs.cpSync(kitPath('grader', 'solutions', '01-hello'), path.join(klass, 'alice', '01-hello'), { recursive: true });
  fs.cpSync(kitPath('exercises', '01-hello'), path.join(klass, 'bob', '01-hello'), { recursive: true });
  fs.writeFileSync(path.join(klass, 'carol.zip'), zipOf(kitPath('grader', 'wrong', '01-hello', 'wrong-text'), 'carol/01-hello/'));
  fs.cpSync(kitPath('grader', 'wrong', '01-hello', 'forbidden-import'), path.join(klass, 'dave', '01-hello'), { recursive: true });
  fs.mkdirSync(path.join(klass, 'erin'), { recursive: true });
  fs.writeFileSync(path.join(klass, 'frank.zip'), 'PK\u0003\u0004 this is not really a zip');
  fs.cpSync(kitPath('grader', 'wrong', '01-hello', 'page-fault'), path.join(klass, 'ivan', '01-hello'), { recursive: true });
  fs.writeFileSync(path.join(klass, 'peggy.zip'), writeZip([
    { name: '01-hello/kernel/hello.ts', data: fs.readFileSync(kitPath('grader', 'solutions', '01-hello', 'kernel', 'hello.ts')) },
    { name: '../../../escaped.txt', data: Buffer.from('zip slip') },
  ]));
  fs.mkdirSync(path.join(klass, 'mallory', '01-hello', 'kernel'), { recursive: true });
  fs.symlinkSync(kitPath('grader', 'solutions', '01-hello', 'kernel', 'hello.ts'), hello('mallory'));
  // A kernel so large that the compiler exhausts the batch's heap limit (64 MiB here; hello needs far less).
  fs.mkdirSync(path.join(klass, 'oscar', '01-hello', 'kernel'), { recursive: true });
  let body = 'export function start_kernel(si: VoidPtr): void {\n';
  for (let i = 0; i < 60_000; i++) body += `  let x${i}: u32 = ((((${i} + 2) * 3) - 4) ^ 5) | 6;\n`;
  fs.writeFileSync(hello('oscar'), body + '}\n');
}

let first: BatchSummary;
const lines: string[] = [];

describe('xenlab grade --batch', () => {
  it('grades every student and writes reports and a class summary', async () => {
    setUpClass();
    first = await gradeBatch({ dir: klass, out, workers: 2, exercises: [ex01], hidden: true, buildLimits: { memoryMiB: 64 }, progress: (t) => lines.push(t) });
    expect(first.students).toBe(10);
    const outcome = Object.fromEntries(first.rows.map((r) => [r.student, r.outcome]));
    expect(outcome).toEqual({ alice: 'PASS', bob: 'TIMEOUT', carol: 'FAIL', dave: 'BUILD ERROR', erin: 'BUILD ERROR', frank: 'BUILD ERROR', ivan: 'CRASH', mallory: 'BUILD ERROR', oscar: 'BUILD ERROR', peggy: 'BUILD ERROR' });
    expect(first.errors.map((e) => e.student)).toEqual(['frank', 'peggy']);
    expect(first.errors[1]!.message).toContain('unsafe path');
    expect(fs.existsSync(path.join(tmp, 'escaped.txt')) || fs.existsSync(path.join(out, 'escaped.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(out, 'peggy', 'error.txt'), 'utf8')).toContain('could not grade peggy');
    expect(first.rows.find((r) => r.student === 'alice')!.score).toBe(11);
    const csv = fs.readFileSync(path.join(out, 'class.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('student,exercise,score,max_score,outcome,submission_hash,trace_hash');
    expect(csv).toHaveLength(11);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'class.json'), 'utf8'));
    expect(summary).toMatchObject({ students: 10, seed: null });
    expect(summary.rows).toEqual(first.rows);
    expect(fs.readFileSync(path.join(out, 'ivan', 'report.txt'), 'utf8')).toMatch(/crash: page fault[^]*kernel\/hello\.ts:11: shutdown\.reason = nowhere\[0\];/);
    expect(csv.find((l) => l.startsWith('carol,'))).toMatch(/^carol,01-hello,\d+,11,FAIL,[0-9a-f]{64},[0-9a-f]{64}$/);
    for (const f of ['report.json', 'results.json', 'junit.xml', 'report.txt']) expect(fs.existsSync(path.join(out, 'alice', f)), f).toBe(true);
    expect(fs.readFileSync(path.join(out, 'oscar', 'report.txt'), 'utf8')).toContain('the compiler ran out of memory (limit 64 MiB)');
    expect(fs.readFileSync(path.join(out, 'mallory', 'report.txt'), 'utf8')).toContain('symbolic link');
    expect(lines.at(-1)).toMatch(/^\[#+\] 10\/10 submissions \(0 unchanged, 2 could not be graded\) done in \d+/);
    expect(lines[0]).toMatch(/^\[#*-+\] 1\/10 submissions .* left$/);
  }, 300_000);

  it('writes the same report from a worker process as grading in this process does, byte for byte but the time', async () => {
    const mine = await gradeSubmission(path.join(klass, 'ivan'), { exercises: [ex01], label: 'ivan', hidden: true, buildLimits: { memoryMiB: 64 } });
    const theirs = fs.readFileSync(path.join(out, 'ivan', 'report.json'), 'utf8');
    const blank = (text: string) => text.replace(/"createdAt": "[^"]*"/, '"createdAt": ""');
    expect(mine.exercises[0]!.outcome).toBe('CRASH');
    expect(blank(reportJson(mine))).toBe(blank(theirs));
    expect(theirs).toContain(mine.traceHash);
  }, 120_000);

  it('regrades only the submissions that changed', async () => {
    fs.copyFileSync(kitPath('grader', 'solutions', '01-hello', 'kernel', 'hello.ts'), hello('bob'));
    fs.rmSync(path.join(klass, 'oscar'), { recursive: true });
    fs.rmSync(path.join(out, 'carol', '.resume-key')); // as if the last run was stopped while writing carol's reports
    const again = await gradeBatch({ dir: klass, out, workers: 2, exercises: [ex01], hidden: true, buildLimits: { memoryMiB: 64 }, inProcess: true, progress: () => {} });
    // alice, dave, erin, ivan, mallory unchanged; bob changed; carol's run was cut short; frank's and peggy's zips
    // cannot be read either time.
    expect(again.resumed).toBe(5);
    expect(again.graded).toBe(2);
    expect(again.rows.find((r) => r.student === 'bob')!.outcome).toBe('PASS');
    expect(again.rows.filter((r) => r.student !== 'bob').map((r) => [r.student, r.outcome]))
      .toEqual(first.rows.filter((r) => r.student !== 'bob' && r.student !== 'oscar').map((r) => [r.student, r.outcome]));
  }, 300_000);
});

describe('a batch with a kernel that makes the compiler work without end', () => {
  it('stops that build at its time limit, reports it, and goes on to the next student', async () => {
    const small = path.join(tmp, 'small-class');
    fs.mkdirSync(path.join(small, 'amy', '01-hello', 'kernel'), { recursive: true });
    // Each line asks the assembler for 16 million addresses (`dd $`, a relocation per repeat; `times N nop` is kept once
    // and builds at once): minutes of work.
    fs.writeFileSync(path.join(small, 'amy', '01-hello', 'kernel', 'hello.ts'), 'import "minios/bootstrap";\nasm`\n' + 'times 16000000 dd $\n'.repeat(8) + '`;\nexport function start_kernel(si: VoidPtr): void {}\n');
    // The next student's outcome must not depend on a real compile racing the short time limit: a misnamed file.
    fs.mkdirSync(path.join(small, 'zed', '01-hello', 'kernel'), { recursive: true });
    fs.copyFileSync(kitPath('grader', 'solutions', '01-hello', 'kernel', 'hello.ts'), path.join(small, 'zed', '01-hello', 'kernel', 'Hello.ts'));
    const s = await gradeBatch({ dir: small, out: path.join(tmp, 'small-grades'), workers: 1, exercises: [ex01], hidden: true, buildLimits: { timeoutMs: 2_500, memoryMiB: 2048 }, progress: () => {} });
    expect(s.errors).toEqual([]);
    expect(s.rows.map((r) => [r.student, r.outcome])).toEqual([['amy', 'BUILD ERROR'], ['zed', 'BUILD ERROR']]);
    expect(fs.readFileSync(path.join(tmp, 'small-grades', 'amy', 'report.txt'), 'utf8')).toContain('kernel/hello.ts: the compiler did not finish within 2.5 s');
    const zed = JSON.parse(fs.readFileSync(path.join(tmp, 'small-grades', 'zed', 'report.json'), 'utf8'));
    expect(zed.exercises[0].build).toMatchObject({ kind: 'compile', diagnostics: [{ message: expect.stringContaining("no file 'kernel/hello.ts'") }] });
  }, 120_000);
});

describe('the progress bar', () => {
  const sink = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (t: string) => writes.push(t) } };
  };

  it('estimates the time left from the submissions graded so far, not the resumed ones', () => {
    expect(progressLine(2, 10, 60, { resumed: 0, errors: 0 })).toBe('[#####-------------------] 2/10 submissions (0 unchanged, 0 could not be graded) ~4m00s left');
    expect(progressLine(6, 10, 60, { resumed: 4, errors: 1 })).toMatch(/6\/10 .*4 unchanged, 1 could not be graded\) ~2m00s left$/);
    expect(progressLine(3, 10, 5, { resumed: 3, errors: 0 })).toMatch(/submissions \(3 unchanged, 0 could not be graded\)$/);
    expect(progressLine(10, 10, 75, { resumed: 0, errors: 0 })).toMatch(/^\[#{24}\] 10\/10 .* done in 1m15s$/);
  });

  it('redraws one line in colour on a terminal, without colour under NO_COLOR, and writes plain lines elsewhere', () => {
    const tty = sink(true);
    const w = progressWriter(tty.stream, { TERM: 'xterm' });
    w.update('[#---] 1/4 submissions');
    w.end();
    expect(tty.writes[0]).toMatch(/^\r\u001b\[32m\[#---\]\u001b\[39m 1\/4 submissions\u001b\[K$/);
    expect(tty.writes[1]).toBe('\n');
    const noColour = sink(true);
    progressWriter(noColour.stream, { TERM: 'xterm', NO_COLOR: '1' }).update('[#---] 1/4 submissions');
    expect(noColour.writes).toEqual(['\r[#---] 1/4 submissions\u001b[K']);
    const log = sink(false);
    const l = progressWriter(log.stream, { TERM: 'xterm', FORCE_COLOR: '1' });
    l.update('[#---] 1/4 submissions');
    l.update('[##--] 2/4 submissions');
    l.end();
    expect(log.writes).toEqual(['[#---] 1/4 submissions\n', '[##--] 2/4 submissions\n']);
  });
});

describe('the grading pool', () => {
  it('fails only the submission whose worker died, and replaces the worker', async () => {
    const pool = new GradingPool(1);
    try {
      const job = { root: kitPath('grader', 'solutions'), exercises: ['01-hello'], options: { label: 'x', hidden: true } };
      const dying = pool.grade(job);
      const [pid] = pool.pids();
      process.kill(pid!, 'SIGKILL'); // before it can answer: it is still loading the kit
      expect(await dying).toMatchObject({ ok: false, message: expect.stringContaining('stopped (SIGKILL) while grading') });
      const next = await pool.grade(job);
      expect(next.ok).toBe(true);
      if (next.ok) expect(next.report.exercises[0]!.outcome).toBe('PASS');
      expect(pool.pids()).not.toContain(pid);
    } finally {
      pool.close();
    }
  }, 120_000);
});

describe('the grading pool, a worker dead while idle', () => {
  it('fails the job sent to it (its pipe broken) without throwing, and grades the next on a new worker', async () => {
    const pool = new GradingPool(1);
    try {
      const job = { root: kitPath('grader', 'solutions'), exercises: ['01-hello'], options: { label: 'x', hidden: true } };
      expect((await pool.grade(job)).ok).toBe(true);
      const [pid] = pool.pids();
      process.kill(pid!, 'SIGKILL');
      // Let it die before this process hears of it, so the job goes to the dead worker and the send meets a closed pipe.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      expect(await pool.grade(job)).toMatchObject({ ok: false, message: expect.stringContaining('stopped (SIGKILL) while grading') });
      const next = await pool.grade(job);
      expect(next.ok).toBe(true);
    } finally {
      pool.close();
    }
  }, 120_000);
});

describe('resume keys', () => {
  it('change with any graded source of the kit (a fixed check regrades everyone), not with its tests or answers', () => {
    const kit = path.join(tmp, 'kit');
    const put = (rel: string, text: string) => { fs.mkdirSync(path.dirname(path.join(kit, rel)), { recursive: true }); fs.writeFileSync(path.join(kit, rel), text); };
    put('grader/checks/01-hello.ts', 'a');
    put('exercises/01-hello/exercise.ts', 'b');
    const before = kitContentHash(kit);
    put('grader/tests/x.test.ts', 'c');
    put('grader/solutions/01-hello/kernel/hello.ts', 'd');
    put('exercises/01-hello/hello.test.ts', 'e');
    expect(kitContentHash(kit)).toBe(before);
    put('grader/checks/01-hello.ts', 'a fixed');
    expect(kitContentHash(kit)).not.toBe(before);
  });
});
