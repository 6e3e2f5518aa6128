// Time as Xen gives it to PV guests: per-VCPU vcpu_info.time (system time
// at a TSC stamp, and the TSC-to-ns scale as a 32.32 multiplier with a
// power-of-two shift) and the wall clock at system time zero (wc_*), each
// updated under a version counter that is odd while an update is in flight.
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { SI } from './shared_info.js';
import { vcpu_time_info } from './public/structs.js';

export interface TimeScale { mul: number; shift: number }

/** Xen's set_time_scale: ns = ((tsc << shift) or (tsc >> -shift)) * mul >> 32, with mul in [2^31, 2^32). */
export function timeScale(ticksPerSec: number): TimeScale {
  const NS = 1_000_000_000n;
  let tps = BigInt(Math.round(ticksPerSec));
  let shift = 0;
  while (tps > NS * 2n) { tps >>= 1n; shift--; }
  while (tps <= NS) { tps <<= 1n; shift++; }
  const mul = Number((NS << 32n) / tps);
  return { mul, shift };
}

/** Scales a TSC delta to ns the way a guest does with vcpu_time_info. */
export function scaleDelta(delta: bigint, s: TimeScale): bigint {
  const d = s.shift >= 0 ? delta << BigInt(s.shift) : delta >> BigInt(-s.shift);
  return (d * BigInt(s.mul)) >> 32n;
}

const T = {
  version: vcpu_time_info.offsetOf('version'),
  tscTimestamp: vcpu_time_info.offsetOf('tsc_timestamp'),
  systemTime: vcpu_time_info.offsetOf('system_time'),
  mul: vcpu_time_info.offsetOf('tsc_to_system_mul'),
  shift: vcpu_time_info.offsetOf('tsc_shift'),
};

function write64(hv: Hypervisor, pa: number, v: bigint): void {
  hv.mem.write32(pa, Number(v & 0xffffffffn));
  hv.mem.write32(pa + 4, Number((v >> 32n) & 0xffffffffn));
}

/** Writes the wall clock (the time of day at system time 0) under wc_version. */
export function initTime(hv: Hypervisor, dom: Domain): void {
  const base = dom.sharedInfoMfn << 12;
  const ver = hv.mem.read32(base + SI.wcVersion);
  hv.mem.write32(base + SI.wcVersion, (ver + 1) >>> 0);
  hv.mem.write32(base + SI.wcSec, hv.wallclock.sec >>> 0);
  hv.mem.write32(base + SI.wcNsec, hv.wallclock.nsec >>> 0);
  hv.mem.write32(base + SI.wcVersion, (ver + 2) >>> 0);
  updateTime(hv, dom);
}

/** Refreshes VCPU 0's vcpu_time_info from the virtual clock. */
export function updateTime(hv: Hypervisor, dom: Domain): void {
  const t = (dom.sharedInfoMfn << 12) + SI.time(0);
  const s = timeScale(hv.clock.tscHz);
  const ver = hv.mem.read32(t + T.version);
  hv.mem.write32(t + T.version, (ver + 1) | 1); // odd: update in progress
  write64(hv, t + T.tscTimestamp, hv.clock.tsc());
  write64(hv, t + T.systemTime, hv.clock.ns());
  hv.mem.write32(t + T.mul, s.mul);
  hv.mem.write8(t + T.shift, s.shift & 0xff);
  hv.mem.write32(t + T.version, ((ver + 1) | 1) + 1); // even: consistent
}

/** Xen's NOW(): system time in ns. */
export function systemTime(hv: Hypervisor): bigint { return hv.clock.ns(); }
