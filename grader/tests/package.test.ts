// The student hand-out and the Gradescope package: what they hold, what they must never hold, and that each grades
// on its own (the hand-out's `xenlab grade`, Gradescope's run_autograder in a folder laid out like /autograder).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeHandout } from '../package/handout.js';
import { gradescopeEntries } from '../package/gradescope.js';
import { readZip, writeZip, ZipError } from '../package/zip.js';
import { gradescopeResultsSchema } from '../report/gradescope.js';
import { kitPath } from '../paths.js';
import { courseExercises } from '../course.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-package-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function allFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.name === 'node_modules') return [];
    return e.isDirectory() ? allFiles(path.join(dir, e.name), r) : [r];
  });
}

/** Strings that only the instructor's side has: reference code lines, wrong-solution code, hidden check ids and titles. */
function secrets(): string[] {
  const out = new Set<string>();
  // Reference lines that the starter or the kit's own language reference (minios/lang/README.md, public by design)
  // do not already show.
  const publicText = fs.readFileSync(kitPath('exercises', '01-hello', 'kernel', 'hello.ts'), 'utf8') + fs.readFileSync(kitPath('minios', 'lang', 'README.md'), 'utf8');
  const reference = fs.readFileSync(kitPath('grader', 'solutions', '01-hello', 'kernel', 'hello.ts'), 'utf8');
  out.add(reference);
  for (const l of reference.split('\n').map((x) => x.trim())) if (l.length > 24 && !l.startsWith('import') && !publicText.includes(l)) out.add(l);
  for (const c of fs.readdirSync(kitPath('grader', 'wrong', '01-hello'))) out.add(`Wrong solution (${c})`);
  for (const ex of courseExercises()) for (const c of ex.checks.filter((x) => x.hidden)) { out.add(`'${c.id}'`); out.add(c.title); }
  return [...out];
}

function runXenlab(cwd: string, args: string[]) {
  return spawnSync(process.execPath, ['bin/xenlab.js', ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XENLAB_REPORT_KEY: '' }, timeout: 120_000 });
}

describe('student hand-out', () => {
  const out = path.join(tmp, 'handout');
  writeHandout(out);
  fs.symlinkSync(kitPath('node_modules'), path.join(out, 'node_modules'));
  const files = allFiles(out);

  it('holds the kit, the exercises and their public checks', () => {
    for (const f of ['package.json', 'package-lock.json', 'bin/xenlab.js', 'cli/main.ts', 'grader/grade.ts', 'minios/kernel/bootstrap.ts',
      'exercises/01-hello/README.md', 'exercises/01-hello/kernel/hello.ts', 'exercises/01-hello/exercise.ts', 'exercises/01-hello/hello.test.ts']) {
      expect(files, f).toContain(f);
    }
  });

  it('holds no reference solution, wrong solution, hidden check, or any of their text', () => {
    expect(files.filter((f) => /grader\/(solutions|wrong|tests)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('grader/checks/'))).toEqual(['grader/checks/index.ts']);
    const found: string[] = [];
    const needles = secrets();
    expect(needles.length).toBeGreaterThan(6);
    for (const f of files) {
      const text = fs.readFileSync(path.join(out, f), 'utf8');
      for (const s of needles) if (text.includes(s)) found.push(`${f}: ${s}`);
    }
    expect(found).toEqual([]);
  });

  it('grades on its own: the starter fails, a finished kernel passes', () => {
    const starter = runXenlab(out, ['grade', '01']);
    expect(starter.status, starter.stderr).toBe(1);
    expect(starter.stdout).toContain('TIMEOUT');
    expect(starter.stdout).not.toContain('[hidden]');
    fs.copyFileSync(kitPath('grader', 'solutions', '01-hello', 'kernel', 'hello.ts'), path.join(out, 'exercises', '01-hello', 'kernel', 'hello.ts'));
    const done = runXenlab(out, ['grade', '01']);
    expect(done.status, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toContain('PASSED  total 9/9');
    expect(runXenlab(out, ['grade', '--reference']).status).toBe(2);
  });
});

describe('zip', () => {
  it('round-trips names, bytes and modes', () => {
    const entries = [{ name: 'a/b.txt', data: Buffer.from('hello '.repeat(100)) }, { name: 'run', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 }, { name: 'empty', data: Buffer.alloc(0) }];
    const back = readZip(writeZip(entries));
    expect(back.map((e) => [e.name, Buffer.from(e.data).toString(), e.mode])).toEqual([['a/b.txt', 'hello '.repeat(100), 0o644], ['run', '#!/bin/sh\n', 0o755], ['empty', '', 0o644]]);
    expect(writeZip(entries).equals(writeZip(entries))).toBe(true);
  });

  it('refuses unsafe paths, corrupt data and archives that unpack too large', () => {
    expect(() => readZip(writeZip([{ name: '../evil', data: Buffer.from('x') }]))).toThrow(ZipError);
    expect(() => readZip(writeZip([{ name: '/etc/x', data: Buffer.from('x') }]))).toThrow(/unsafe/);
    const z = writeZip([{ name: 'a', data: Buffer.from('abcdefgh'.repeat(50)) }]);
    z[40] ^= 0xff;
    expect(() => readZip(z)).toThrow(ZipError);
    expect(() => readZip(writeZip([{ name: 'big', data: Buffer.alloc(4096) }]), { maxEntries: 10, maxTotalBytes: 1000 })).toThrow(/more than/);
    expect(() => readZip(Buffer.from('not a zip at all, not even close......'))).toThrow(/not a zip/);
  });
});

describe('Gradescope package', () => {
  it('runs run_autograder against a folder laid out like /autograder and writes a valid results.json', () => {
    const root = path.join(tmp, 'autograder');
    const entries = readZip(writeZip(gradescopeEntries()));
    const names = entries.map((e) => e.name);
    expect(names).toContain('setup.sh');
    expect(names).toContain('run_autograder');
    expect(names).toContain('source/grader/checks/01-hello.ts');
    expect(names.filter((n) => /grader\/(solutions|wrong)\//.test(n))).toEqual([]);
    for (const e of entries) {
      const dest = path.join(root, e.name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, e.data, { mode: e.mode });
    }
    fs.symlinkSync(kitPath('node_modules'), path.join(root, 'source', 'node_modules'));
    fs.cpSync(kitPath('grader', 'wrong', '01-hello', 'count-with-nul'), path.join(root, 'submission', '01-hello'), { recursive: true });
    const r = spawnSync('bash', [path.join(root, 'run_autograder')], { encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: root }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const results = gradescopeResultsSchema.parse(JSON.parse(fs.readFileSync(path.join(root, 'results', 'results.json'), 'utf8')));
    expect(results.score).toBe(10);
    const hidden = results.tests.filter((t) => t.visibility === 'after_due_date' && t.name.startsWith('01-hello:')); // only 01 was handed in
    expect(hidden.map((t) => [t.name, t.score])).toEqual([['01-hello: prints nothing but the hello line', 0], ['01-hello: every console_io write succeeds', 1]]);
  });
});
