// Report formats: JSON against its zod schema, Gradescope's results.json against its schema, JUnit parsed as XML,
// the terminal with NO_COLOR, and HMAC signing.
import { spawnSync } from 'node:child_process';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { makeReport, reportJson, signReport, verifyReport } from '../report/build.js';
import { gradescopeResults, gradescopeResultsSchema } from '../report/gradescope.js';
import { junitXml } from '../report/junit.js';
import { gradeReportJsonSchema, gradeReportSchema } from '../report/schema.js';
import { colourLevel, formatTerminal, terminalChalk } from '../report/terminal.js';
import { fakeResult } from './fakes.js';
import { parseXml } from './xml.js';

const report = makeReport([fakeResult(), fakeResult({ id: '02', slug: '02-x', outcome: 'BUILD ERROR', traceHash: undefined, score: 0, build: { ok: false, kind: 'compile', diagnostics: [{ file: 'kernel/a.ts', line: 3, column: 1, message: 'nope', hint: 'fix' }] }, evidence: undefined, run: undefined })],
  { seed: 5, submission: 'alice', hiddenChecks: true, createdAt: '2026-01-01T00:00:00.000Z' });

describe('JSON report', () => {
  it('matches its schema and carries kit, seed and hashes', () => {
    const parsed = gradeReportSchema.parse(JSON.parse(reportJson(report)));
    expect(parsed.kit).toMatch(/^xenlab@/);
    expect(parsed.seed).toBe(5);
    expect(parsed.submissionHash).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.traceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.score).toBe(4);
    expect(parsed.maxScore).toBe(22);
    expect(parsed.passed).toBe(false);
  });

  it('is published as JSON Schema with the same required fields and outcomes', () => {
    const js = gradeReportJsonSchema() as { required: string[]; properties: Record<string, any> };
    expect(js.required).toEqual(expect.arrayContaining(['format', 'kit', 'seed', 'submissionHash', 'traceHash', 'score', 'exercises']));
    expect(js.required).not.toContain('signature');
    const check = js.properties.exercises.items.properties.checks.items;
    expect(check.properties.outcome.enum).toEqual(['PASS', 'FAIL', 'TIMEOUT', 'CRASH', 'BUILD ERROR', 'NOT RUN']);
    expect(Object.keys(JSON.parse(reportJson(report))).every((k) => k in js.properties)).toBe(true);
  });

  it('rejects an outcome outside the six', () => {
    const bad = JSON.parse(reportJson(report));
    bad.exercises[0].checks[0].outcome = 'MAYBE';
    expect(gradeReportSchema.safeParse(bad).success).toBe(false);
  });
});

describe('signing', () => {
  const signed = signReport(report, 'course-key');
  const text = reportJson(signed);

  it('verifies a signed report with the right key', () => {
    const v = verifyReport(text, 'course-key');
    expect(v.ok).toBe(true);
  });

  it('refuses an edited score, an added field, another key and an unsigned report', () => {
    const edited = JSON.parse(text);
    edited.score = 22;
    expect(verifyReport(JSON.stringify(edited), 'course-key')).toMatchObject({ ok: false, reason: expect.stringContaining('edited') });
    const added = JSON.parse(text);
    added.exercises[0].note = 'regraded';
    expect(verifyReport(JSON.stringify(added), 'course-key').ok).toBe(false);
    expect(verifyReport(text, 'other-key').ok).toBe(false);
    expect(verifyReport(reportJson(report), 'course-key')).toMatchObject({ ok: false, reason: expect.stringContaining('not signed') });
    expect(verifyReport('{not json', 'course-key').ok).toBe(false);
  });
});

describe('Gradescope results.json', () => {
  it('matches the schema with one test per check and hidden checks after the due date', () => {
    const gs = gradescopeResultsSchema.parse(gradescopeResults(report));
    expect(gs.score).toBe(4);
    expect(gs.tests).toHaveLength(12);
    const hidden = gs.tests.filter((t) => t.visibility === 'after_due_date');
    expect(hidden.map((t) => t.name)).toEqual(['01-hello: exact output', '02-x: exact output']);
    const crash = gs.tests.find((t) => t.name === '01-hello: powers off')!;
    expect(crash.output).toContain('CRASH');
    expect(crash.output).toContain('mov eax, dword [eax]');
    expect(crash.output).toContain('kernel/hello.ts:11');
    expect(gs.tests.reduce((s, t) => s + t.max_score, 0)).toBe(22);
  });

  it('carries the kit version, the seed, the submission hash and the trace hash, as every report does', () => {
    const gs = gradescopeResults(report);
    for (const s of [report.kit, 'seed 5', report.submissionHash, report.traceHash]) expect(gs.output).toContain(s);
    const text = formatTerminal(report, new Chalk({ level: 0 }));
    for (const s of [report.kit, 'seed 5', report.submissionHash.slice(0, 12), report.traceHash.slice(0, 12)]) expect(text).toContain(s);
  });
});

describe('JUnit XML', () => {
  const root = parseXml(junitXml(report));
  it('parses as XML with a suite per exercise and a case per check', () => {
    expect(root.name).toBe('testsuites');
    expect(root.attrs.tests).toBe('12');
    expect(root.children.map((s) => s.attrs.name)).toEqual(['01-hello', '02-x']);
    expect(root.children[0]!.children.filter((c) => c.name === 'testcase')).toHaveLength(6);
  });

  it('keeps outcomes apart: failure, error typed by outcome, skipped', () => {
    const cases = root.children[0]!.children.filter((c) => c.name === 'testcase');
    const kinds = cases.map((c) => (c.children[0] ? `${c.children[0].name}:${c.children[0].attrs.type ?? ''}` : 'pass'));
    expect(kinds).toEqual(['pass', 'error:CRASH', 'failure:FAIL', 'error:TIMEOUT', 'skipped:', 'error:BUILD ERROR']);
    expect(root.attrs).toMatchObject({ failures: '2', errors: '6', skipped: '2' });
    const props = root.children[0]!.children.find((c) => c.name === 'properties')!.children;
    expect(props.find((p) => p.attrs.name === 'trace-hash')!.attrs.value).toBe('b'.repeat(64));
  });
});

// An outside XML parser as well as ours: Python's xml.etree reads the same suites, cases and outcome elements.
const hasPython = spawnSync('python3', ['-c', 'import xml.etree.ElementTree'], { encoding: 'utf8' }).status === 0;

describe('JUnit XML read by another parser', () => {
  it.skipIf(!hasPython)('parses with Python xml.etree into the same cases and outcome elements', () => {
    const py = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
print(json.dumps([[s.get("name"), [[c.get("name"), [(k.tag, k.get("type")) for k in c]] for c in s.findall("testcase")]] for s in root.findall("testsuite")]))
`;
    const r = spawnSync('python3', ['-c', py], { input: junitXml(report), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const suites = JSON.parse(r.stdout) as [string, [string, [string, string | null][]][]][];
    expect(suites.map((s) => s[0])).toEqual(['01-hello', '02-x']);
    expect(suites[0]![1].map(([name, kids]) => [name, kids.map(([tag, type]) => `${tag}:${type ?? ''}`).join()])).toEqual([
      ['prints the line', ''], ['powers off', 'error:CRASH'], ['fails', 'failure:FAIL'], ['times out', 'error:TIMEOUT'], ['exact output', 'skipped:'], ['build', 'error:BUILD ERROR'],
    ]);
  });
});

describe('terminal report', () => {
  it('says how a run ended: the whole budget against what the kernel ran, or each domain of a multi-domain run', () => {
    const plain = new Chalk({ level: 0 });
    const e = report.exercises[0]!;
    const spent = { ...report, exercises: [{ ...e, run: { end: 'budget' as const, instructions: 98_806, budget: 5_000_000 } }] };
    expect(formatTerminal(spent, plain)).toContain('the domain was still running when the budget of 5,000,000 instructions (virtual time) ran out; it ran 98,806 of them itself');
    const two = { ...report, exercises: [{ ...e, evidence: { ...e.evidence!, domains: ['mapper: crashed after 51,051 instructions', 'granter: shut down (poweroff)'] } }] };
    const text = formatTerminal(two, plain);
    expect(text).toMatch(/ {2}mapper: crashed after 51,051 instructions\n {2}granter: shut down \(poweroff\)/);
    expect(text).not.toContain('the domain crashed');
  });

  it('prints one line per check and a total, without colour codes at level 0', () => {
    const text = formatTerminal(report, new Chalk({ level: 0 }));
    expect(text).not.toMatch(/\u001b\[/);
    for (const o of ['PASS', 'FAIL', 'TIMEOUT', 'CRASH', 'NOT RUN', 'BUILD ERROR']) expect(text).toContain(o);
    expect(text).toContain('NOT PASSED  total 4/22');
    expect(text).toContain('at 0x31fc: mov eax, dword [eax]');
    expect(text).toContain('kernel/a.ts:3:1: nope');
  });

  it('colours outcomes when asked to', () => {
    expect(formatTerminal(report, new Chalk({ level: 1 }))).toMatch(/\u001b\[/);
  });
});

describe('colour', () => {
  it('honours NO_COLOR over everything, then FORCE_COLOR, and colours only terminals otherwise', () => {
    expect(colourLevel({ isTTY: true }, { TERM: 'xterm-256color', NO_COLOR: '1' })).toBe(0);
    expect(colourLevel({ isTTY: false }, { NO_COLOR: '1', FORCE_COLOR: '3' })).toBe(0);
    expect(colourLevel({ isTTY: true }, { TERM: 'xterm-256color', NO_COLOR: '' })).toBe(2);
    expect(colourLevel({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(1);
    expect(colourLevel({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(0);
    expect(colourLevel({ isTTY: false }, { TERM: 'xterm-256color' })).toBe(0);
    expect(colourLevel({ isTTY: true }, { TERM: 'xterm', COLORTERM: 'truecolor' })).toBe(3);
    expect(colourLevel({ isTTY: true }, { TERM: 'dumb' })).toBe(0);
    expect(formatTerminal(report, terminalChalk({ isTTY: true }, { TERM: 'xterm', NO_COLOR: 'yes' }))).not.toMatch(/\u001b\[/);
    expect(formatTerminal(report, terminalChalk({ isTTY: true }, { TERM: 'xterm' }))).toMatch(/\u001b\[/);
  });
});
