// xenlab grade / verify-report through their main(): exit statuses, the report files, signing, determinism.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main as grade } from '../../cli/grade.js';
import { main as verify } from '../../cli/verify-report.js';
import { UsageError } from '../../cli/args.js';
import { gradeReportSchema } from '../report/schema.js';
import { gradescopeResultsSchema } from '../report/gradescope.js';
import { kitPath } from '../paths.js';
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

  it('refuses bad usage with one clear line', async () => {
    await expect(grade(['07-nothing'])).rejects.toThrow(UsageError);
    await expect(grade(['--reference', '--submission', tmp])).rejects.toThrow(/not both/);
    await expect(grade(['--submission', f('missing')])).rejects.toThrow(/not a folder/);
    await expect(grade(['--seed', 'x'])).rejects.toThrow(/--seed/);
  });
});
