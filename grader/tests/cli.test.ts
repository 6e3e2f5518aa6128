// xenlab grade / verify-report through their main(): exit statuses, the report files, signing, determinism.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main as grade } from '../../cli/grade.js';
import { main as verify } from '../../cli/verify-report.js';
import { UsageError } from '../../cli/args.js';
import { gradeReportJsonSchema, gradeReportSchema } from '../report/schema.js';
import { gradescopeResultsSchema } from '../report/gradescope.js';
import { kitPath } from '../paths.js';
import { courseExercises, findExercise } from '../course.js';
import { gradeSubmission } from '../session.js';
import { GradingPool } from '../batch/pool.js';
import { reportJson } from '../report/build.js';
import { gradescopeResults } from '../report/gradescope.js';
import { junitXml } from '../report/junit.js';
import { formatTerminal } from '../report/terminal.js';
import { Chalk } from 'chalk';
import { parseXml } from './xml.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-grade-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out += a.join(' ') + '\n'; });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err += a.join(' ') + '\n'; });
  vi.stubEnv('NO_COLOR', '1');
});
afterEach(() => { vi.restoreAllMocks(); vi.unstubAllEnvs(); });

const f = (name: string) => path.join(tmp, name);
const stable = (text: string) => { const { createdAt: _c, signature: _s, ...rest } = JSON.parse(text); return rest; };

describe('xenlab grade', () => {
  it('exits 0 on the reference and writes signed JSON, results.json and JUnit', async () => {
    vi.stubEnv('XENLAB_REPORT_KEY', 'k3y');
    expect(await grade(['01', '--reference', '--json', f('ref.json'), '--gradescope', f('results.json'), '--junit', f('junit.xml')])).toBe(0);
    expect(out).toContain('PASSED  total 11/11');
    const report = gradeReportSchema.parse(JSON.parse(fs.readFileSync(f('ref.json'), 'utf8')));
    expect(report).toMatchObject({ passed: true, score: 11, submission: 'reference', seed: null });
    expect(report.signature).toMatch(/^hmac-sha256:/);
    expect(gradescopeResultsSchema.parse(JSON.parse(fs.readFileSync(f('results.json'), 'utf8'))).score).toBe(11);
    expect(parseXml(fs.readFileSync(f('junit.xml'), 'utf8')).attrs).toMatchObject({ tests: '5', failures: '0', errors: '0' });
  });

  it('verify-report accepts the signed report and refuses an edited one', async () => {
    vi.stubEnv('XENLAB_REPORT_KEY', 'k3y');
    expect(await verify([f('ref.json')])).toBe(0);
    expect(out).toContain('verified');
    const edited = JSON.parse(fs.readFileSync(f('ref.json'), 'utf8'));
    edited.exercises[0].checks[0].score = 40;
    fs.writeFileSync(f('edited.json'), JSON.stringify(edited));
    expect(await verify([f('edited.json')])).toBe(1);
    expect(err).toContain('NOT VERIFIED');
    vi.stubEnv('XENLAB_REPORT_KEY', 'another');
    expect(await verify([f('ref.json')])).toBe(1);
  });

  it('exits 1 on the starter, and gives the same report (but its time) when graded again with the same seed', async () => {
    expect(await grade(['hello', '--seed', '3', '--json', f('a.json')])).toBe(1);
    expect(out).toContain('TIMEOUT');
    expect(await grade(['01-hello', '--seed', '3', '--json', f('b.json')])).toBe(1);
    const a = stable(fs.readFileSync(f('a.json'), 'utf8'));
    expect(a.seed).toBe(3);
    expect(stable(fs.readFileSync(f('b.json'), 'utf8'))).toEqual(a);
  });

  it('grades a submission folder laid out like the hand-out, or a single exercise folder', async () => {
    const sub = f('alice');
    fs.cpSync(kitPath('grader', 'solutions', '01-hello'), path.join(sub, '01-hello'), { recursive: true });
    expect(await grade(['01', '--submission', sub])).toBe(0); // the other exercises are missing from this submission
    expect(await grade(['01', '--submission', path.join(sub, '01-hello')])).toBe(0);
    expect(await grade(['01', '--submission', kitPath('grader', 'wrong', '01-hello', 'raw-int82')])).toBe(1);
    expect(out).toContain('int $0x82');
  });

  it('grades a class with --batch and prints where the summary is', async () => {
    const klass = f('class');
    fs.cpSync(kitPath('grader', 'solutions', '01-hello'), path.join(klass, 'alice', '01-hello'), { recursive: true });
    fs.cpSync(kitPath('exercises', '01-hello'), path.join(klass, 'bob', '01-hello'), { recursive: true });
    expect(await grade(['01', '--batch', klass, '--out', f('grades'), '--workers', '1'])).toBe(0);
    expect(out).toContain('graded 2 submissions (2 now, 0 kept: unchanged since the last run): 1/2 exercises passed');
    expect(fs.readFileSync(f('grades/class.csv'), 'utf8')).toMatch(/^alice,01-hello,11,11,PASS,/m);
    expect(await grade(['01', '--batch', f('no-such-class')])).toBe(2);
  });

  it('refuses bad usage with one clear line', async () => {
    await expect(grade(['07-nothing'])).rejects.toThrow(UsageError);
    await expect(grade(['--reference', '--submission', tmp])).rejects.toThrow(/not both/);
    await expect(grade(['--submission', f('missing')])).rejects.toThrow(/not a folder/);
    await expect(grade(['--seed', 'x'])).rejects.toThrow(/--seed/);
    // options of the other mode are refused, not ignored
    await expect(grade(['01', '--workers', '2'])).rejects.toThrow(/--workers goes with --batch DIR/);
    await expect(grade(['01', '--out', f('out')])).rejects.toThrow(/--out goes with --batch DIR/);
    await expect(grade(['01', '--batch', tmp, '--submission', tmp])).rejects.toThrow(/--submission does not go with --batch/);
    await expect(grade(['01', '--batch', tmp, '--json', f('x.json')])).rejects.toThrow(/--json does not go with --batch/);
    // a path typed in a subfolder but read from the kit's top folder (npm run) says so
    vi.stubEnv('INIT_CWD', path.join(tmp, 'somewhere-else'));
    await expect(grade(['--submission', 'my-work'])).rejects.toThrow(/not a folder \(npm run runs xenlab from .*somewhere-else/);
  });
});

const wrong01 = (name: string) => kitPath('grader', 'wrong', '01-hello', name);

describe('every outcome, end to end through xenlab grade and its three report files', () => {
  // [submission, outcome of the exercise, the check and the outcome it must show, the JUnit element of that check]
  const cases: [string, string, string, string, string][] = [
    ['reference', kitPath('grader', 'solutions', '01-hello'), 'PASS', 'powers-off', ''],
    ['wrong-text', wrong01('wrong-text'), 'FAIL', 'prints-hello', 'failure:FAIL'],
    ['no-shutdown', wrong01('no-shutdown'), 'TIMEOUT', 'powers-off', 'error:TIMEOUT'],
    ['page-fault', wrong01('page-fault'), 'CRASH', 'powers-off', 'error:CRASH'],
    ['type-error', wrong01('type-error'), 'BUILD ERROR', 'prints-hello', 'error:BUILD ERROR'],
    ['forbidden-import', wrong01('forbidden-import'), 'BUILD ERROR', 'prints-hello', 'error:BUILD ERROR'],
  ];
  for (const [name, dir, outcome, check, junitKind] of cases) {
    it(`${name}: ${outcome}`, async () => {
      const files = { json: f(`${name}.json`), gs: f(`${name}.results.json`), junit: f(`${name}.xml`) };
      expect(await grade(['01', '--submission', dir, '--json', files.json, '--gradescope', files.gs, '--junit', files.junit])).toBe(outcome === 'PASS' ? 0 : 1);
      const report = gradeReportSchema.parse(JSON.parse(fs.readFileSync(files.json, 'utf8')));
      const ex = report.exercises[0]!;
      expect(ex.outcome).toBe(outcome);
      const c = ex.checks.find((x) => x.id === check)!;
      expect(c.outcome).toBe(outcome);
      expect(out).toContain(`${outcome.padEnd(11)} ${c.title}`);
      const gs = gradescopeResultsSchema.parse(JSON.parse(fs.readFileSync(files.gs, 'utf8')));
      const test = gs.tests.find((t) => t.name === `01-hello: ${c.title}`)!;
      expect(test.status).toBe(outcome === 'PASS' ? 'passed' : 'failed');
      expect(test.output!.split('\n')[0]).toBe(outcome);
      const suite = parseXml(fs.readFileSync(files.junit, 'utf8')).children[0]!;
      const tc = suite.children.find((x) => x.name === 'testcase' && x.attrs.name === c.title)!;
      expect(tc.children[0] ? `${tc.children[0].name}:${tc.children[0].attrs.type}` : '').toBe(junitKind);
      if (outcome !== 'PASS') {
        expect(c.expected ?? c.actual).toBeTruthy();
        expect(c.actual).toBeTruthy();
      }
      if (outcome === 'BUILD ERROR') expect(c.actual).toMatch(/^kernel\/hello\.ts:\d+:\d+: /); // file and line
      if (name === 'forbidden-import') expect(c.actual).toMatch(/^kernel\/hello\.ts:5:\d+: import of '..\/..\/..\/..\/solutions\/01-hello\/kernel\/hello\.ts' is not allowed: /);
      if (name === 'wrong-text') {
        // A check whose prerequisite failed is NOT RUN, with the reason, in every report.
        const dependant = ex.checks.find((x) => x.id === 'exact-output')!;
        const reason = "not run: it needs 'prints-hello' to pass first";
        expect(dependant).toMatchObject({ outcome: 'NOT RUN', score: 0, actual: reason });
        expect(out).toContain(`NOT RUN     ${dependant.title} [hidden] 0/1\n      ${reason}\n`);
        expect(gs.tests.find((t) => t.name === `01-hello: ${dependant.title}`)!.output).toBe(`NOT RUN\n${reason}`);
        const skipped = suite.children.find((x) => x.name === 'testcase' && x.attrs.name === dependant.title)!.children[0]!;
        expect([skipped.name, skipped.attrs.message]).toEqual(['skipped', reason]);
      }
    });
  }

  it('explains a crash: the faulting instruction disassembled, the student line beside it, the last hypercalls and console lines', async () => {
    expect(await grade(['01', '--submission', wrong01('page-fault')])).toBe(1);
    expect(out).toMatch(/crash: page fault/);
    expect(out).toMatch(/at 0x[0-9a-f]+: mov eax, dword \[eax\]\n\s+kernel\/hello\.ts:11: shutdown\.reason = nowhere\[0\];/);
    expect(out).toMatch(/last console lines:\n\s+\| Hello world/);
    expect(out).toMatch(/last hypercalls:\n(\s+.*\n)*\s+console_io\(write, 12, 0x[0-9a-f]+\) = 0/);
    expect(out).toMatch(/eax=0x3ff00000/);
  });
});

describe('grading goes on after a build error', () => {
  it('reports a kernel that makes the compiler work without end, and grades the next exercise', async () => {
    const sub = f('endless');
    fs.mkdirSync(path.join(sub, '01-hello', 'kernel'), { recursive: true });
    fs.writeFileSync(path.join(sub, '01-hello', 'kernel', 'hello.ts'), 'import "minios/bootstrap";\nasm`\n' + 'times 16000000 dd $\n'.repeat(8) + '`;\nexport function start_kernel(si: VoidPtr): void {}\n');
    fs.cpSync(kitPath('grader', 'solutions', '02-gettimeofday'), path.join(sub, '02-gettimeofday'), { recursive: true });
    const all = courseExercises();
    const report = await gradeSubmission(sub, { exercises: [findExercise('01', all)!, findExercise('02', all)!], label: 'endless', hidden: true, buildLimits: { timeoutMs: 2_000, memoryMiB: 2048 } });
    const [e1, e2] = report.exercises;
    expect(e1).toMatchObject({ outcome: 'BUILD ERROR', score: 0, build: { ok: false, kind: 'timeout' } });
    expect(e1!.checks[0]!.actual).toBe('kernel/hello.ts: the compiler did not finish within 2 s');
    expect(e2).toMatchObject({ outcome: 'PASS', build: { ok: true } });
    expect(e2!.score).toBe(e2!.maxScore);
    expect(report.passed).toBe(false);
  });
});

describe('the domain builder validates what the build child returns', () => {
  it('reports a kernel image Xen refuses as a build error that says why, and does not boot it', async () => {
    const sub = f('no-bootstrap');
    fs.mkdirSync(path.join(sub, '01-hello', 'kernel'), { recursive: true });
    // It compiles (the kernel language accepts a bare _start) but has no __xen_guest note placing a hypercall page.
    fs.writeFileSync(path.join(sub, '01-hello', 'kernel', 'hello.ts'), 'asm`\nglobal _start\n_start:\n  hlt\n`;\n');
    const report = await gradeSubmission(sub, { exercises: [findExercise('01', courseExercises())!], label: 'x', hidden: true });
    const [e] = report.exercises;
    expect(e).toMatchObject({ outcome: 'BUILD ERROR', score: 0, build: { ok: false, kind: 'image' } });
    expect(e!.run).toBeUndefined();
    expect(e!.traceHash).toBeUndefined();
    for (const c of e!.checks) expect(c).toMatchObject({ outcome: 'BUILD ERROR', actual: expect.stringMatching(/^kernel\/hello\.ts: Xen's domain builder rejected the kernel image: the hypercall page/), hint: expect.stringContaining('minios/bootstrap') });
    expect(formatTerminal(report, new Chalk({ level: 0 }))).toContain("kernel/hello.ts: Xen's domain builder rejected the kernel image");
  });
});

describe('determinism', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('gives byte-identical reports (but createdAt) from fresh builds at different times', async () => {
    const ex = [findExercise('01', courseExercises())!];
    const once = async (when: string) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(when));
      const r = await gradeSubmission(wrong01('page-fault'), { exercises: ex, label: 'x', hidden: true, noCache: true });
      vi.useRealTimers();
      return r;
    };
    const a = await once('2026-03-01T10:00:00Z');
    const b = await once('2031-07-15T23:59:59Z');
    expect(a.createdAt).not.toBe(b.createdAt);
    expect(a.exercises[0]!.outcome).toBe('CRASH');
    const same = (r: typeof a) => reportJson({ ...r, createdAt: '' });
    expect(same(b)).toBe(same(a));
    expect(junitXml(b)).toBe(junitXml(a));
    expect(JSON.stringify(gradescopeResults(b))).toBe(JSON.stringify(gradescopeResults(a)));
    expect(formatTerminal(b, new Chalk({ level: 0 }))).toBe(formatTerminal(a, new Chalk({ level: 0 })));
    expect(a.traceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives every reference solution the same report, trace hashes included, in this process and in another', async () => {
    const exercises = courseExercises();
    const here = await gradeSubmission(kitPath('grader', 'solutions'), { exercises, label: 'reference', hidden: true, createdAt: 'x' });
    const pool = new GradingPool(1);
    try {
      const there = await pool.grade({ root: kitPath('grader', 'solutions'), exercises: exercises.map((e) => e.slug), options: { label: 'reference', hidden: true, createdAt: 'x' } });
      expect(there.ok).toBe(true);
      if (!there.ok) return;
      expect(here.exercises.map((e) => [e.slug, e.outcome])).toEqual(exercises.map((e) => [e.slug, 'PASS']));
      for (const e of here.exercises) expect(e.traceHash, e.slug).toMatch(/^[0-9a-f]{64}$/);
      expect(reportJson(there.report)).toBe(reportJson(here));
    } finally {
      pool.close();
    }
  }, 120_000);
});

// An outside oracle for `xenlab grade --schema`: Python's jsonschema validates the reports written above against the
// JSON Schema the command prints (and rejects edited ones), where python3 with jsonschema is installed.
const hasJsonschema = spawnSync('python3', ['-c', 'import jsonschema'], { encoding: 'utf8' }).status === 0;

describe('xenlab grade --schema', () => {
  it('prints the JSON Schema (draft 2020-12) of the --json report', async () => {
    expect(await grade(['--schema'])).toBe(0);
    const schema = JSON.parse(out);
    expect(schema).toEqual(gradeReportJsonSchema());
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(expect.arrayContaining(['kit', 'seed', 'submissionHash', 'traceHash']));
  });

  it.skipIf(!hasJsonschema)('validates every report written above with Python jsonschema, and refuses edited ones', async () => {
    expect(await grade(['--schema'])).toBe(0);
    const reports = ['ref', 'reference', 'wrong-text', 'no-shutdown', 'page-fault', 'type-error', 'forbidden-import'].map((n) => JSON.parse(fs.readFileSync(f(`${n}.json`), 'utf8')));
    const badOutcome = structuredClone(reports[4]);
    badOutcome.exercises[0].checks[0].outcome = 'MAYBE';
    const noTrace = structuredClone(reports[0]);
    delete noTrace.traceHash;
    const badHash = structuredClone(reports[1]);
    badHash.submissionHash = 'not-a-hash';
    const py = `
import json, sys, jsonschema
data = json.load(sys.stdin)
cls = jsonschema.validators.validator_for(data["schema"])
cls.check_schema(data["schema"])
v = cls(data["schema"], format_checker=cls.FORMAT_CHECKER)
print(json.dumps([[e.message for e in v.iter_errors(d)] for d in data["docs"]]))
`;
    const r = spawnSync('python3', ['-c', py], { input: JSON.stringify({ schema: JSON.parse(out), docs: [...reports, badOutcome, noTrace, badHash] }), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const errors = JSON.parse(r.stdout) as string[][];
    expect(errors.slice(0, reports.length)).toEqual(reports.map(() => []));
    const [e1, e2, e3] = errors.slice(reports.length);
    expect(e1!.join('\n')).toContain("'MAYBE'");
    expect(e2!.join('\n')).toContain("'traceHash' is a required property");
    expect(e3!.join('\n')).toContain("'not-a-hash'");
  });
});
