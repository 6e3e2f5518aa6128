// The run-setup API exercises 02-06 build on: several domains on one host with Dom0, a disk, hooks at fixed points of
// virtual time, the XenStore snapshot, and checks graded under several seeds with the failing seed reported.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pass, fail, type Check, type Exercise, type RunObservation } from '../api.js';
import { gradeExercise } from '../grade.js';
import { kitPath } from '../paths.js';
import { exercise as hello } from '../../exercises/01-hello/exercise.js';

const reference = kitPath('grader', 'solutions', '01-hello');

function capture(into: RunObservation[]): Check {
  return { id: 'capture', title: 'records the run', weight: 1, run(ctx) { into.push(ctx.run); return pass(); } };
}

describe('grader run setup', () => {
  it('boots several domains with Dom0, a disk, hooks and a store snapshot', async () => {
    const runs: RunObservation[] = [];
    const ticks: number[] = [];
    let started = 0;
    const ex: Exercise = {
      ...hello,
      id: '90', slug: 'setup-test', seeds: undefined,
      domains: [{ name: 'alpha' }, { name: 'beta', cmdline: 'role=beta' }],
      setup(ctx) {
        const img = path.join(ctx.tmpdir, 'disk.img');
        fs.writeFileSync(img, new Uint8Array(64 * 512));
        ctx.addDisk('beta', { target: img, vdev: 'xvda' });
        return {
          started(doms) { started = doms.length; },
          every: 10_000,
          tick(n) { ticks.push(n); },
          observe: () => ({ ticks: ticks.length, diskExists: fs.existsSync(img) }),
        };
      },
      checks: [capture(runs)],
    };
    const r = await gradeExercise(ex, reference, { hidden: true });
    expect(r.outcome).toBe('PASS');
    expect(started).toBe(2);
    const run = runs[0]!;
    expect(run.domains!.map((d) => [d.name, d.domid, d.state, d.shutdownReason, d.console])).toEqual([
      ['alpha', 1, 'shutdown', 'poweroff', 'Hello world\n'],
      ['beta', 2, 'shutdown', 'poweroff', 'Hello world\n'],
    ]);
    expect(run.console).toBe('Hello world\n');
    expect(run.xenstore!['/local/domain/1/name']).toBe('alpha');
    expect(run.xenstore!['/local/domain/2/name']).toBe('beta');
    expect(run.xenstore!['/local/domain/0/backend/vbd/2/51712/params']).toMatch(/disk\.img$/);
    expect(run.xenstore!['/local/domain/1/device/vbd/51712/backend']).toBeUndefined();
    expect(run.extra).toEqual({ ticks: ticks.length, diskExists: true });
    // The hooks ran at multiples of `every` of virtual time.
    expect(ticks.every((t, i) => t === (i + 1) * 10_000 || i === ticks.length - 1)).toBe(true);
  });

  it('grades under every seed and names the first seed a check failed under', async () => {
    const seen: number[] = [];
    const picky: Check = {
      id: 'picky', title: 'fails under seed 22 only', weight: 2,
      run(ctx) { seen.push(ctx.seed); return ctx.seed === 22 ? fail('something', 'something else') : pass(); },
    };
    const ex: Exercise = { ...hello, seeds: [11, 22, 33], checks: [picky] };
    const r = await gradeExercise(ex, reference, { hidden: true });
    expect(seen).toEqual([11, 22, 33]);
    expect(r.outcome).toBe('FAIL');
    expect(r.seed).toBe(22);
    expect(r.checks[0]!.actual).toBe('with --seed 22: something else');
    const one = await gradeExercise(ex, reference, { hidden: true, seed: 33 });
    expect(one.outcome).toBe('PASS');
    expect(one.seed).toBe(33);
  });

  it('a run with a tick hook still ends when its domain shuts down', async () => {
    const runs: RunObservation[] = [];
    const ex: Exercise = { ...hello, budget: 1_000_000, setup: () => ({ every: 250_000, tick() {} }), checks: [capture(runs)] };
    const r = await gradeExercise(ex, reference, { hidden: true });
    expect(r.outcome).toBe('PASS');
    expect(runs[0]!.end).toBe('shutdown');
  });
});
