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
