// Fabricated runs and results for unit tests of checks, scoring and reports (no build, no boot).
import type { HypercallObservation, RunObservation } from '../api.js';
import { traceHash } from '../boot.js';
import type { ExerciseResult } from '../grade.js';

export function call(name: string, nr: number, args: number[], extra: Partial<HypercallObservation> = {}): HypercallObservation {
  return { nr, name, args, result: 0, callerEip: 0x2000 + nr * 32 + 5, viaHypercallPage: true, instructions: 10, ...extra };
}

export function fakeRun(over: Partial<Omit<RunObservation, 'traceHash'>> = {}): RunObservation {
  const run: Omit<RunObservation, 'traceHash'> = {
    end: 'shutdown', instructions: 41, budget: 1000, state: 'shutdown', shutdownReason: 'poweroff', shutdownCode: 0,
    console: 'Hello world\n',
    hypercalls: [call('console_io', 18, [0, 12, 0x8000]), call('sched_op', 29, [2, 0x7ff0])],
    ...over,
  };
  return { ...run, traceHash: traceHash(run) };
}

export function fakeResult(over: Partial<ExerciseResult> = {}): ExerciseResult {
  return {
    id: '01', slug: '01-hello', title: 'Hello <world> & "friends"', seed: 1,
    submissionHash: 'a'.repeat(64), traceHash: 'b'.repeat(64), outcome: 'FAIL', score: 4, maxScore: 11,
    build: { ok: true }, run: { end: 'crashed', instructions: 32, budget: 1000 },
    checks: [
      { id: 'prints-hello', title: 'prints the line', weight: 4, hidden: false, outcome: 'PASS', score: 4 },
      { id: 'powers-off', title: 'powers off', weight: 3, hidden: false, outcome: 'CRASH', score: 0, expected: 'poweroff', actual: 'crashed: page fault', hint: 'look <below>' },
      { id: 'failing', title: 'fails', weight: 1, hidden: false, outcome: 'FAIL', score: 0, expected: 'x', actual: 'y\u0000' },
      { id: 'slow', title: 'times out', weight: 1, hidden: false, outcome: 'TIMEOUT', score: 0, expected: 'x', actual: 'budget' },
      { id: 'exact-output', title: 'exact output', weight: 1, hidden: true, outcome: 'NOT RUN', score: 0, actual: "not run: it needs 'x' to pass first" },
      { id: 'broken', title: 'build', weight: 1, hidden: false, outcome: 'BUILD ERROR', score: 0, actual: 'kernel/hello.ts:3:1: nope' },
    ],
    evidence: {
      consoleTail: ['Hello world'], lastHypercalls: ['console_io(0x0, 0xc, 0x8000) = 0'],
      crash: { reason: 'page fault (#PF)', eip: '0x31fc', instruction: 'mov eax, dword [eax]', source: 'kernel/hello.ts:11: x = p[0];', registers: 'eax=0x3ff00000' },
    },
    ...over,
  };
}
