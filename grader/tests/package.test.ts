// The student hand-out and the Gradescope package: what they hold, what they must never hold, and that each grades
// on its own (the hand-out's `xenlab grade`, Gradescope's run_autograder in a folder laid out like /autograder).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeHandout } from '../package/handout.js';
import { gradescopeEntries, SETUP_SH } from '../package/gradescope.js';
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

function filesUnder(dir: string): string[] {
  return fs.existsSync(dir) ? allFiles(dir).map((f) => path.join(dir, f)) : [];
}

/**
 * Strings that only the instructor's side has, for every exercise: each reference and wrong solution file whole, each
 * of their lines that no public part of the kit (exercises/, minios/, hypervisor/, machine/: starters, READMEs, the
 * library) already shows, each hidden check's id and title, and the lines of the hidden check files.
 */
function secrets(): string[] {
  const publicText = ['exercises', 'minios', 'hypervisor', 'machine'].flatMap((d) => filesUnder(kitPath(d)))
    .filter((f) => /\.(ts|md|json)$/.test(f)).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const out = new Set<string>();
  const hiddenSources = filesUnder(kitPath('grader', 'checks')).filter((f) => path.basename(f) !== 'index.ts');
  for (const file of [...filesUnder(kitPath('grader', 'solutions')), ...filesUnder(kitPath('grader', 'wrong')), ...hiddenSources]) {
    if (!/\.ts$/.test(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    if (!publicText.includes(text.trim())) out.add(text); // a file handed out unchanged (a test driver kernel) is public
    for (const l of text.split('\n').map((x) => x.trim())) {
      if (l.length > 24 && !l.startsWith('import') && !publicText.includes(l)) out.add(l);
    }
  }
  for (const ex of courseExercises()) for (const c of ex.checks.filter((x) => x.hidden)) { out.add(`'${c.id}'`); out.add(c.title); }
  return [...out];
}

function runXenlab(cwd: string, args: string[]) {
  return spawnSync(process.execPath, ['bin/xenlab.js', ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XENLAB_REPORT_KEY: '' }, timeout: 120_000 });
}

describe('student hand-out', () => {
  const out = path.join(tmp, 'handout');
  writeHandout(out);
  const files = allFiles(out);

  it('holds the kit, every listed exercise and its public checks', () => {
    for (const f of ['package.json', 'package-lock.json', 'bin/xenlab.js', 'cli/main.ts', 'grader/grade.ts', 'minios/kernel/bootstrap.ts', 'exercises/index.ts']) {
      expect(files, f).toContain(f);
    }
    for (const ex of courseExercises()) {
      for (const f of ['README.md', 'exercise.ts', ...ex.studentFiles]) expect(files, `${ex.slug}/${f}`).toContain(`exercises/${ex.slug}/${f}`);
    }
  });

  it('holds no reference solution, wrong solution, hidden check, or any of their text', () => {
    expect(files.filter((f) => /grader\/(solutions|wrong|tests)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('grader/checks/'))).toEqual(['grader/checks/index.ts']);
    const found: string[] = [];
    const needles = secrets();
    expect(needles.length).toBeGreaterThan(100);
    for (const f of files) {
      const text = fs.readFileSync(path.join(out, f), 'utf8');
      for (const s of needles) if (text.includes(s)) found.push(`${f}: ${s.slice(0, 100)}`);
    }
    expect(found).toEqual([]);
  });

  it('has every relative import of its TypeScript files inside itself', () => {
    const broken: string[] = [];
    for (const f of files.filter((x) => /\.ts$/.test(x) && !x.endsWith('.d.ts'))) {
      const text = fs.readFileSync(path.join(out, f), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"`]*?from\s+['"](\.[^'"]+)['"]/gm)) {
        const target = path.join(out, path.dirname(f), m[1]!);
        const candidates = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`, path.join(target, 'index.ts')];
        if (!candidates.some((c) => fs.existsSync(c) && fs.statSync(c).isFile())) broken.push(`${f}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('installs in a fresh folder with npm ci (offline, from the npm cache) and grades there on its own', () => {
    const ci = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: out, encoding: 'utf8', timeout: 180_000 });
    expect(ci.status, `npm ci --offline failed (the npm cache must hold the kit's dependencies: run npm ci in the kit first)\n${ci.stderr}`).toBe(0);
    expect(fs.lstatSync(path.join(out, 'node_modules')).isSymbolicLink()).toBe(false);
    // Every listed exercise loads in the hand-out's grader; a student who finished 01 gets full public marks for it, and
    // the exercises not handed in are build errors, nothing worse.
    const sub = path.join(tmp, 'finished-01');
    fs.cpSync(kitPath('grader', 'solutions', '01-hello'), path.join(sub, '01-hello'), { recursive: true });
    // As a student types it: npx finds the project's own bin (--no-install: never the registry).
    const r = spawnSync('npx', ['--no-install', 'xenlab', 'grade', '--submission', sub], { cwd: out, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XENLAB_REPORT_KEY: '' }, timeout: 180_000 });
    expect(r.status, r.stderr).toBe(1);
    const sections = r.stdout.split('\n\n');
    for (const ex of courseExercises()) expect(r.stdout).toContain(`Exercise ${ex.slug}:`);
    expect(r.stdout).not.toContain('[hidden]');
    const publicMax = courseExercises()[0]!.checks.filter((c) => !c.hidden).reduce((n, c) => n + c.weight, 0);
    expect(sections[0]).toContain(`score ${publicMax}/${publicMax}`);
    for (const rest of sections.slice(1, -1)) expect(rest).toMatch(/BUILD ERROR the kernel did not build\n.*the submission has no folder/);
    expect(runXenlab(out, ['grade', '--reference']).status).toBe(2);
    // The command the hand-out's README gives: the student's own exercises/ folder, here still the starter.
    const starter = spawnSync('npx', ['--no-install', 'xenlab', 'grade', '01'], { cwd: out, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XENLAB_REPORT_KEY: '' }, timeout: 180_000 });
    expect(starter.status, starter.stderr).toBe(1);
    expect(starter.stdout).toMatch(/^Exercise 01-hello: .*\n {2}TIMEOUT {5}/m);
    expect(starter.stdout).toContain(`total 0/${publicMax}`);
    expect(starter.stdout).not.toContain('[hidden]');
  }, 240_000);
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
  it('holds setup.sh, run_autograder and the kit with hidden checks, without reference or wrong solutions', () => {
    const entries = readZip(writeZip(gradescopeEntries()));
    const names = entries.map((e) => e.name);
    expect(names).toContain('setup.sh');
    expect(names).toContain('run_autograder');
    for (const ex of courseExercises()) expect(names).toContain(`source/exercises/${ex.slug}/exercise.ts`);
    expect(names).toContain('source/grader/checks/01-hello.ts');
    expect(names.filter((n) => /grader\/(solutions|wrong|tests)\//.test(n))).toEqual([]);
    expect(entries.find((e) => e.name === 'run_autograder')!.mode).toBe(0o755);
    for (const script of ['setup.sh', 'run_autograder']) {
      const file = path.join(tmp, script);
      fs.writeFileSync(file, entries.find((e) => e.name === script)!.data);
      const syntax = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
      expect(syntax.status, syntax.stderr).toBe(0);
    }
    // setup.sh keeps an image's Node when it is new enough for the kit (this one is) and replaces an older one.
    const check = /node -e '([^']+)'/.exec(SETUP_SH)![1]!;
    const nodeIs = (version: string) => spawnSync(process.execPath, ['-e', check.replace('process.versions.node', JSON.stringify(version))]).status;
    expect([nodeIs(process.versions.node), nodeIs('20.19.0'), nodeIs('22.1.0'), nodeIs('20.18.3'), nodeIs('18.20.0')]).toEqual([0, 0, 0, 1, 1]);
  });

  it('runs run_autograder of a one-exercise assignment against a folder laid out like /autograder', () => {
    const root = path.join(tmp, 'autograder');
    const entries = readZip(writeZip(gradescopeEntries(undefined, { exercises: ['01-hello'], seed: 3 })));
    for (const e of entries) {
      const dest = path.join(root, e.name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, e.data, { mode: e.mode });
    }
    fs.symlinkSync(kitPath('node_modules'), path.join(root, 'source', 'node_modules'));
    // The student zipped the folder they worked in: its files of exercise 01, inside one wrapping folder.
    fs.cpSync(kitPath('grader', 'wrong', '01-hello', 'count-with-nul'), path.join(root, 'submission', 'my work'), { recursive: true });
    const r = spawnSync(path.join(root, 'run_autograder'), [], { encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: root }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const results = gradescopeResultsSchema.parse(JSON.parse(fs.readFileSync(path.join(root, 'results', 'results.json'), 'utf8')));
    const ex01 = courseExercises()[0]!;
    expect(results.tests.map((t) => t.name)).toEqual(ex01.checks.map((c) => `01-hello: ${c.title}`));
    expect(results.score).toBe(ex01.checks.reduce((n, c) => n + c.weight, 0) - 1);
    expect(results.output).toContain('seed 3');
    const hidden = results.tests.filter((t) => t.visibility === 'after_due_date');
    expect(hidden.map((t) => [t.name, t.score])).toEqual([['01-hello: prints nothing but the hello line', 0], ['01-hello: every console_io write succeeds', 1]]);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'results', 'report.json'), 'utf8')).exercises[0].seed).toBe(3);
  });
});

describe('xenlab gradescope and xenlab handout', () => {
  it('write the package for the exercises and seed named, and refuse bad usage with one clear line', async () => {
    const { main: gradescope } = await import('../../cli/gradescope.js');
    const { main: handout } = await import('../../cli/handout.js');
    const { UsageError } = await import('../../cli/args.js');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const zip = path.join(tmp, 'cli', 'hw1.zip');
      expect(await gradescope([zip, '01', '--seed', '20261'])).toBe(0);
      const run = readZip(fs.readFileSync(zip)).find((e) => e.name === 'run_autograder')!;
      const script = Buffer.from(run.data).toString('utf8');
      expect(script).toContain('args=(grade 01-hello --submission "$ROOT/submission"');
      expect(script).toContain('SEED="${XENLAB_SEED:-20261}"');
      expect(String(log.mock.calls[0]![0])).toContain('grades 01-hello, seed 20261');
      await expect(gradescope([path.join(tmp, 'x.tar')])).rejects.toThrow(UsageError);
      await expect(gradescope([zip, '99'])).rejects.toThrow(/no exercise '99'/);
      await expect(handout([path.join(tmp, 'cli')])).rejects.toThrow(/exists and is not empty/);
      await expect(handout([])).rejects.toThrow(/usage: xenlab handout OUTDIR/);
    } finally {
      log.mockRestore();
    }
  });
});
