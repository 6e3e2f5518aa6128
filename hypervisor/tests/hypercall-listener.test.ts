// Domain.onHypercall: a listener per domain that sees each of that domain's hypercalls once Xen has handled it
// (the result already in the guest's EAX), also past the kept-records limit, and stops once removed.
import { describe, expect, it } from 'vitest';
import { buildGuest } from '../../tests/guests/build.js';
import { Hypervisor } from '../hypervisor.js';
import { MAX_HYPERCALL_RECORDS, type HypercallRecord } from '../domain.js';
import { HYPERVISOR as H } from '../public/xen.js';

describe('per-domain hypercall listener', () => {
  it("sees exactly its own domain's hypercalls, in order, after Xen handled each", () => {
    const hv = new Hypervisor({ hostMemoryMiB: 64 });
    const kernel = buildGuest('hello');
    const [a, b] = [hv.createDomain({ kernel, memoryMiB: 8, name: 'a' }), hv.createDomain({ kernel, memoryMiB: 8, name: 'b' })];
    const seen: HypercallRecord[] = [];
    const eax: number[] = [];
    a.onHypercall((r) => { seen.push(r); eax.push(a.ctx.regs[0]!); });
    hv.run({ budget: 2_000_000 });
    expect(a.state).toBe('shutdown');
    expect(b.state).toBe('shutdown');
    expect(seen).toEqual(a.hypercalls);
    expect(seen.some((r) => r.nr === H.console_io)).toBe(true);
    expect(seen.at(-1)!.nr).toBe(H.sched_op);
    // xen_version's result was in EAX when the listener ran.
    const v = seen.findIndex((r) => r.nr === H.xen_version);
    expect(v).toBeGreaterThanOrEqual(0);
    expect(eax[v]).toBe(seen[v]!.result >>> 0);
    expect(seen[v]!.result).toBeGreaterThan(0);
  });

  it('keeps calling past the record limit, and not after it is removed', () => {
    const hv = new Hypervisor({ hostMemoryMiB: 64 });
    const d = hv.createDomain({ kernel: buildGuest('hello'), memoryMiB: 8 });
    const filler = { nr: 0, name: 'x', args: [], result: 0, callerEip: 0, viaHypercallPage: true, instructions: 0 };
    d.hypercalls = new Array<HypercallRecord>(MAX_HYPERCALL_RECORDS).fill(filler);
    let first = 0, second = 0;
    const off = d.onHypercall(() => { first++; });
    d.onHypercall(() => { second++; off(); }); // removing a listener from inside a listener is safe
    hv.run({ budget: 2_000_000 });
    expect(d.state).toBe('shutdown');
    expect(d.hypercalls.length).toBe(MAX_HYPERCALL_RECORDS);
    expect(second).toBeGreaterThan(3);
    expect(second).toBe(d.hypercallCount);
    expect(first).toBe(1);
  });
});
