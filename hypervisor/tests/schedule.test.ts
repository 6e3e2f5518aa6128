// The credit scheduler shares the CPU by weight, enforces caps, skips
// blocked domains, and keeps several domains apart; the round-robin
// scheduler plugs into the same interface.
import { describe, expect, it } from 'vitest';
import { buildGuest } from '../../tests/guests/build.js';
import { Hypervisor, CreditScheduler, RoundRobinScheduler } from '../index.js';

const spin = buildGuest('spin');

describe('credit scheduler', () => {
  it('splits the CPU 1:2 by weight and holds a capped domain to its cap', () => {
    const hv = new Hypervisor({ clock: { ips: 1e7 } });
    const a = hv.createDomain({ kernel: spin, name: 'a' });
    const b = hv.createDomain({ kernel: spin, name: 'b' });
    const c = hv.createDomain({ kernel: spin, name: 'c' });
    const s = hv.scheduler as CreditScheduler;
    expect(s.name).toBe('credit');
    s.setParams(b, { weight: 512 });
    s.setParams(c, { cap: 10 });
    expect(s.params(b)).toEqual({ weight: 512, cap: 0 });
    const r = hv.run({ budget: 6_000_000 });
    expect(r.outcome).toBe('budget');
    expect(a.instructionsRun + b.instructionsRun + c.instructionsRun).toBe(6_000_000);
    expect(c.instructionsRun / 6_000_000).toBeCloseTo(0.1, 2);
    expect(b.instructionsRun / a.instructionsRun).toBeCloseTo(2, 1);
  });

  it('gives a lone capped domain only its cap and idles the rest of the time', () => {
    const hv = new Hypervisor({ clock: { ips: 1e7 } });
    const a = hv.createDomain({ kernel: spin });
    (hv.scheduler as CreditScheduler).setParams(a, { cap: 25 });
    hv.run({ budget: 3_000_000 });
    expect(a.instructionsRun / hv.clock.instructions).toBeCloseTo(0.25, 2);
  });

  it('does not run paused domains; a domain that yields still gets its fair share', () => {
    const hv = new Hypervisor({ clock: { ips: 1e7 } });
    const a = hv.createDomain({ kernel: spin, cmdline: 'yield' });
    const b = hv.createDomain({ kernel: spin });
    hv.run({ budget: 3_000_000 });
    expect(a.hypercallCount).toBeGreaterThan(10);
    expect(a.instructionsRun / b.instructionsRun).toBeCloseTo(1, 1);
    hv.pause(b);
    const before = b.instructionsRun;
    hv.run({ budget: 500_000 });
    expect(b.instructionsRun).toBe(before);
    hv.unpause(b);
    hv.run({ budget: 500_000 });
    expect(b.instructionsRun).toBeGreaterThan(before);
  });
});

describe('credit scheduler time slices', () => {
  const ms = (hv: Hypervisor) => Number(hv.clock.ns()) / 1e6;
  const runUntil = (hv: Hypervisor, done: () => boolean, limitMs: number) => {
    while (!done() && ms(hv) < limitMs) hv.run({ budget: 10_000 });
    return ms(hv);
  };

  it('runs 10 ms slices on the virtual clock, and a domain keeps its slice across hypercalls', () => {
    const hv = new Hypervisor({ clock: { ips: 1e7 } });
    const a = hv.createDomain({ kernel: spin, name: 'a' });
    const b = hv.createDomain({ kernel: spin, name: 'b' });
    hv.run({ budget: 100_000 }); // 10 ms: all of it one slice of a
    expect([a.instructionsRun, b.instructionsRun]).toEqual([100_000, 0]);
    hv.run({ budget: 100_000 });
    expect([a.instructionsRun, b.instructionsRun]).toEqual([100_000, 100_000]);
    // hello makes a dozen hypercalls; it finishes inside its first slice instead of losing the CPU at each.
    const hello = hv.createDomain({ kernel: buildGuest('hello'), name: 'hello' });
    const start = ms(hv);
    const end = runUntil(hv, () => hello.state === 'shutdown', 200);
    expect(hello.hypercallCount).toBeGreaterThan(5);
    expect(end - start).toBeLessThanOrEqual(20 + 1); // at most the slices of a and b first
  });

  it('a domain woken by its timer is BOOSTed ahead of CPU hogs', () => {
    const alone = new Hypervisor({ clock: { ips: 1e8 } });
    const ev0 = alone.createDomain({ kernel: buildGuest('events'), memoryMiB: 32 });
    const aloneMs = runUntil(alone, () => ev0.state === 'shutdown', 100);
    const hv = new Hypervisor({ clock: { ips: 1e8 } });
    const ev = hv.createDomain({ kernel: buildGuest('events'), memoryMiB: 32 });
    hv.createDomain({ kernel: spin });
    hv.createDomain({ kernel: spin });
    const busyMs = runUntil(hv, () => ev.state === 'shutdown', 100);
    expect(ev.consoleOutput).toBe(ev0.consoleOutput);
    expect(aloneMs).toBeLessThan(6);
    expect(busyMs - aloneMs).toBeLessThan(2); // five 1 ms timer sleeps, each answered at once
  });
});

describe('round-robin scheduler (pluggable)', () => {
  it('alternates equal slices', () => {
    const hv = new Hypervisor({ scheduler: new RoundRobinScheduler(100_000) });
    const a = hv.createDomain({ kernel: spin });
    const b = hv.createDomain({ kernel: spin });
    hv.run({ budget: 1_000_000 });
    expect(a.instructionsRun).toBe(500_000);
    expect(b.instructionsRun).toBe(500_000);
  });
});
