// The time-record controls graders use (hypervisor/time.ts): the refresh hook that replaces the update at each
// scheduling, whole and half-written updates, records anchored at any point of virtual time, exact timing through
// hv.timers, and that what a guest computes from any published record is the clock's time.
import { describe, expect, it } from 'vitest';
import { Hypervisor } from '../hypervisor.js';
import { buildGuest } from '../../tests/guests/build.js';
import {
  beginTimeUpdate, beginWallclockUpdate, finishTimeUpdate, finishWallclockUpdate, publishTime, readWallclock, readTimeRecord, scaleDelta, setTimeRefreshHook, timeRecordAt, type TimeRecord,
} from '../time.js';
import type { Domain } from '../domain.js';

function spinner(tscHz: number): { hv: Hypervisor; d: Domain } {
  const hv = new Hypervisor({ clock: { tscHz }, hostMemoryMiB: 64 });
  const d = hv.createDomain({ kernel: buildGuest('spin'), memoryMiB: 8 });
  return { hv, d };
}

/** What a guest computes at TSC `tsc` from a record: system_time + scale(tsc - tsc_timestamp). */
function guestNs(rec: TimeRecord, tsc: bigint): bigint {
  return rec.systemNs + scaleDelta(tsc - rec.tsc, rec);
}

describe('time record controls', () => {
  it('by default republishes the record each time the domain is scheduled', () => {
    const { hv, d } = spinner(2e9);
    const first = readTimeRecord(hv, d);
    hv.run({ budget: 50_000 });
    hv.run({ budget: 10 }); // a new slice: scheduled again
    const later = readTimeRecord(hv, d);
    expect(later.tsc).toBe(timeRecordAt(hv, 50_000).tsc);
    expect(later.version % 2).toBe(0);
    expect(later.version).toBeGreaterThan(first.version);
    expect(later.tsc).toBeGreaterThan(first.tsc);
  });

  it('with a refresh hook, the run loop calls the hook instead and the record ages', () => {
    const { hv, d } = spinner(3e9);
    const seen: Domain[] = [];
    setTimeRefreshHook(hv, (dom) => { seen.push(dom); });
    const first = readTimeRecord(hv, d);
    hv.run({ budget: 50_000 });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((x) => x === d)).toBe(true);
    expect(readTimeRecord(hv, d)).toEqual(first);
    setTimeRefreshHook(hv, null);
    hv.run({ budget: 10_000 });
    expect(readTimeRecord(hv, d).version).toBe(first.version + 2);
  });

  it('an update held half-written is odd and torn; finishing it makes it even and whole', () => {
    const { hv, d } = spinner(3.3e9);
    const old = readTimeRecord(hv, d);
    const rec = timeRecordAt(hv, 5_000_000);
    beginTimeUpdate(hv, d, rec);
    const torn = readTimeRecord(hv, d);
    expect(torn.version).toBe(old.version + 1);
    expect(torn.tsc).toBe(rec.tsc);
    expect(torn.systemNs).toBe(old.systemNs);
    beginTimeUpdate(hv, d, rec); // already in flight: stays odd
    expect(readTimeRecord(hv, d).version).toBe(old.version + 1);
    finishTimeUpdate(hv, d, rec);
    expect(readTimeRecord(hv, d)).toEqual({ ...rec, version: old.version + 2 });
    expect(rec.shift).toBe(-1); // read back signed
  });

  it('a wall-clock change held half-written has an odd wc_version, new seconds and old nanoseconds', () => {
    const hv = new Hypervisor({ wallclock: { sec: 1_000, nsec: 250 }, hostMemoryMiB: 16 });
    const d = hv.createDomain({ kernel: buildGuest('spin'), memoryMiB: 8 });
    const v = readWallclock(hv, d).version;
    expect(v % 2).toBe(0);
    beginWallclockUpdate(hv, d, { sec: 2_000, nsec: 999 });
    expect(readWallclock(hv, d)).toEqual({ version: v + 1, sec: 2_000, nsec: 250 });
    finishWallclockUpdate(hv, d, { sec: 2_000, nsec: 999 });
    expect(readWallclock(hv, d)).toEqual({ version: v + 2, sec: 2_000, nsec: 999 });
  });

  it('an update scheduled on hv.timers lands at that exact instruction', () => {
    const { hv, d } = spinner(2.4e9);
    setTimeRefreshHook(hv, () => {});
    const at = hv.clock.instructions + 12_345;
    let firedAt = -1;
    hv.timers.add({ deadline: at, domid: d.domid, fire: () => { firedAt = hv.clock.instructions; publishTime(hv, d); } });
    hv.run({ budget: 40_000 });
    expect(firedAt).toBe(at);
    const { version: _v, ...rec } = readTimeRecord(hv, d);
    expect(rec).toEqual(timeRecordAt(hv, at));
  });

  for (const hz of [2.9e9, 5.5e9, 1.25e9, 7e8, 33e6]) {
    it(`records at any anchor give the clock's time at ${hz / 1e6} MHz, also over deltas of seconds`, () => {
      const hv = new Hypervisor({ clock: { tscHz: hz }, hostMemoryMiB: 16 });
      for (const [anchor, now] of [[0, 1_000], [1_000_000, 1_000_007], [5e8, 3e10], [2, 6e10]] as const) {
        const rec = timeRecordAt(hv, anchor);
        const at = timeRecordAt(hv, now);
        const err = guestNs(rec, at.tsc) - at.systemNs;
        // The 32.32 multiplier is rounded down: at most 1 ns per 2^31 ns of delta, plus the TSC's tick.
        const slack = BigInt(Math.ceil(1e9 / hz)) + 2n + (at.systemNs - rec.systemNs) / 2_000_000_000n;
        expect(err <= 0n ? -err : err).toBeLessThanOrEqual(slack);
      }
    });
  }
});
