// Scoring without building: check order, dependencies, outcomes by how the run ended, and exercise 01's checks on
// fabricated runs.
import { describe, expect, it } from 'vitest';
import { fail, pass, type Check } from '../api.js';
import { contextFor, evaluateChecks } from '../grade.js';
import { powersOff, printsHello, usesHypercallPage } from '../../exercises/01-hello/exercise.js';
import { exactOutput } from '../checks/01-hello.js';
import { call, fakeRun } from './fakes.js';

const noMap = { locate: (a: number) => (a === 0x3000 ? 'kernel/hello.ts:9' : undefined) };
const ctxOf = (run = fakeRun()) => contextFor(run, 1, { 'kernel/hello.ts': 'a\n  // TODO 1: print\n  // TODO 2: stop\n' }, noMap);

const yes: Check = { id: 'a', title: 'a', weight: 2, run: () => pass() };
const no: Check = { id: 'b', title: 'b', weight: 3, run: () => fail('x', 'y', 'z') };
const needsA: Check = { id: 'c', title: 'c', weight: 1, dependsOn: ['a'], run: () => pass() };
const needsB: Check = { id: 'd', title: 'd', weight: 1, dependsOn: ['b'], run: () => pass() };
const needsGhost: Check = { id: 'e', title: 'e', weight: 1, dependsOn: ['ghost'], run: () => pass() };
const throws: Check = { id: 'f', title: 'f', weight: 1, run: () => { throw new Error('boom'); } };

describe('evaluateChecks', () => {
  it('scores passes, runs dependants only after their prerequisite passed, and names the blocker', () => {
    const r = evaluateChecks([yes, no, needsA, needsB, needsGhost], ctxOf());
    expect(r.map((x) => [x.id, x.outcome, x.score])).toEqual([['a', 'PASS', 2], ['b', 'FAIL', 0], ['c', 'PASS', 1], ['d', 'NOT RUN', 0], ['e', 'NOT RUN', 0]]);
    expect(r[1]).toMatchObject({ expected: 'x', actual: 'y', hint: 'z' });
    expect(r[3]!.actual).toContain("needs 'b'");
    expect(r[4]!.actual).toContain("'ghost'");
  });

  it('calls a failure TIMEOUT when the budget ran out and CRASH when the domain crashed', () => {
    expect(evaluateChecks([no], ctxOf(fakeRun({ end: 'budget', state: 'running' })))[0]!.outcome).toBe('TIMEOUT');
    expect(evaluateChecks([no], ctxOf(fakeRun({ end: 'crashed', state: 'crashed' })))[0]!.outcome).toBe('CRASH');
    expect(evaluateChecks([yes], ctxOf(fakeRun({ end: 'crashed', state: 'crashed' })))[0]!.outcome).toBe('PASS');
  });

  it('reports a check that throws as a failure of the check, not of the kernel', () => {
    const [r] = evaluateChecks([throws], ctxOf());
    expect(r!.outcome).toBe('FAIL');
    expect(r!.actual).toContain('boom');
    expect(r!.hint).toContain('not in your kernel');
  });
});

describe('exercise 01 checks on fabricated runs', () => {
  it('pass a clean hello run', () => {
    for (const c of [printsHello, powersOff, usesHypercallPage, exactOutput]) expect(c.run(ctxOf()).pass, c.id).toBe(true);
  });

  it('explain a line without its newline', () => {
    const v = printsHello.run(ctxOf(fakeRun({ console: 'Hello world' })));
    expect(v.pass).toBe(false);
    if (!v.pass) expect(v.actual).toContain('no newline');
  });

  it('explain a console_io whose text pointer Xen could not read', () => {
    const v = printsHello.run(ctxOf(fakeRun({ console: '', hypercalls: [call('console_io', 18, [0, 12, 0xdead0000], { result: -14 })] })));
    expect(v.pass).toBe(false);
    if (!v.pass) expect(v.hint).toContain('-EFAULT');
  });

  it('name the reboot reason and point at TODO 2', () => {
    const v = powersOff.run(ctxOf(fakeRun({ shutdownReason: 'reboot', shutdownCode: 1 })));
    expect(v.pass).toBe(false);
    if (!v.pass) {
      expect(v.actual).toContain('SHUTDOWN_reboot (1)');
      expect(v.hint).toContain('kernel/hello.ts:3 (TODO 2)');
    }
  });

  it('locate a raw int $0x82 in the student source', () => {
    const v = usesHypercallPage.run(ctxOf(fakeRun({ hypercalls: [call('console_io', 18, [0, 12, 0x8000], { viaHypercallPage: false, callerEip: 0x3000 })] })));
    expect(v.pass).toBe(false);
    if (!v.pass) expect(v.actual).toContain('kernel/hello.ts:9');
  });
});
