// Exercise 02's run setup: what a seed varies (TSC frequency, wall-clock epoch, how long the machine has been up,
// how old each time record is and when Xen updates it), the hypervisor hooks that carry it out at exact points of
// virtual time, and the analysis of every reading the kernel printed against the hypervisor's own clock.
//
// After each console write the guest makes (the header, then each "time S.U" line), the next gettimeofday call
// runs against a plan chosen by the seed:
// - fresh: Xen publishes a whole record whose anchor lies `age` ns in the past (a record seconds old makes the
//   guest extrapolate over a large TSC delta);
// - burst: Xen starts an update of the time record and leaves it half-written (version odd, the new tsc_timestamp
//   with the old system_time) for `hold` instructions, then rewrites the whole record at every instruction for
//   `storm` instructions, alternating between two anchors seconds apart. Only a guest that retries while the
//   version is odd or has changed reads a consistent record, and it reads the last one.
// - wcstep: a fresh record, and Dom0 steps the wall clock forward, the change half-written (wc_version odd, the
//   new wc_sec with the old wc_nsec) for `hold` instructions.
import type { RunHooks, SetupContext } from '../../grader/api.js';
import type { Domain } from '../../hypervisor/index.js';
import type { HypervisorOptions } from '../../hypervisor/index.js';
import {
  beginTimeUpdate, beginWallclockUpdate, finishTimeUpdate, finishWallclockUpdate, publishTime, scaleDelta, setTimeRefreshHook, timeRecordAt, timeScale, type TimeRecord,
} from '../../hypervisor/time.js';

/** TSC frequencies by seed: tsc_shift -1, -2, 0, +1, -3, -1, +5, +1 (a negative shift for every TSC above 2 GHz). */
const TSC_HZ = [2_993_017_417, 5_320_999_911, 1_797_102_313, 733_333_331, 9_100_000_007, 2_400_000_000, 33_000_003, 1_000_000_000];

export const READINGS = 8;
const NS = 1_000_000_000;

export interface CallPlan {
  kind: 'fresh' | 'burst' | 'wcstep';
  /** Age in ns of the record the call should read: its anchor lies this far before it is published. */
  age: number;
  /** burst, wcstep: instructions the update stays half-written; burst: then instructions of one whole update each. */
  hold?: number;
  storm?: number;
  /** burst: the other anchor age the storm alternates with. */
  altAge?: number;
  /** wcstep: how far (ns) Dom0 steps the wall clock forward. */
  wcStep?: number;
}

export interface TimePlan {
  seed: number;
  tscHz: number;
  wallclock: { sec: number; nsec: number };
  /** Instructions of virtual time (ns at 1e9 instructions a second) the machine has run before the domain is built. */
  bootAt: number;
  /** Plan for the call after console write k (k = 0: after the header). */
  calls: CallPlan[];
}

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = (seed * 0x9e3779b1 + 0x6d2b79f5) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function timePlan(seed: number): TimePlan {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const small = () => int(2_000, 60_000); // tens of microseconds
  const medium = () => int(50_000_000, 800_000_000); // under a second
  const large = () => int(5 * NS, 25 * NS); // seconds: delta << shift times mul needs more than 64 bits
  const burst = (age: number): CallPlan => ({ kind: 'burst', age, hold: int(400, 1_200), storm: 2 * int(40, 90), altAge: int(1_500_000_000, 3 * NS) });
  // The step's nanosecond part is 0.1-0.9 s, so a torn read of the wall clock (new wc_sec, old wc_nsec) is far off.
  const wcstep = (age: number): CallPlan => ({ kind: 'wcstep', age, hold: int(400, 1_200), wcStep: int(0, 2) * NS + int(100_000_000, 900_000_000) });
  return {
    seed,
    tscHz: TSC_HZ[((seed % TSC_HZ.length) + TSC_HZ.length - 1) % TSC_HZ.length]!,
    wallclock: { sec: int(946_684_800, 4_102_444_799), nsec: int(0, NS - 1) }, // 2000-01-01 .. 2099-12-31
    bootAt: int(30, 90) * NS + int(0, NS - 1),
    calls: [
      { kind: 'fresh', age: small() },
      { kind: 'fresh', age: medium() },
      burst(small()),
      { kind: 'fresh', age: large() },
      wcstep(medium()),
      burst(medium()),
      { kind: 'fresh', age: large() },
      { kind: 'fresh', age: small() },
    ],
  };
}

/** Hypervisor options for a seed: the TSC frequency and the wall clock. */
export function hypervisorFor(seed: number): Partial<HypervisorOptions> {
  const p = timePlan(seed);
  return { clock: { tscHz: p.tscHz }, wallclock: p.wallclock };
}

/** A console write after which the next gettimeofday call begins: main.ts's header or one of its readings. */
const TRIGGER = /^(gettimeofday: |time \d)/m;
const READING = /^time (\d+)\.(\d+)/m;

/** One console write of the guest and the plan Xen carried out for the call that followed it. */
export interface WriteEvent {
  /** Instructions of virtual time at the write (the console_io hypercall). */
  at: number;
  text: string;
  plan?: CallPlan;
  /** wcstep: the wall clock Dom0 set. */
  wallclock?: { sec: number; nsec: number };
  /** burst: when the half-written update was finished and when the last storm update was made. */
  holdEnd?: number;
  burstEnd?: number;
}

/** Which check judges a reading. */
export type ReadingClass = 'fresh' | 'burst' | 'large';

export interface Reading {
  /** 0-based among the "time" lines. */
  index: number;
  line: string;
  cls: ReadingClass;
  /** Printed seconds and microseconds (usec as printed, possibly out of range). */
  sec: number;
  usec: number;
  /** The hypervisor's time of day, in microseconds, when the call began and when its line was written. */
  loUs: number;
  hiUs: number;
  ok: boolean;
  /** For a wrong reading: what its value matches, as a teaching hint, and the starter's TODO it concerns. */
  why?: string;
  whyTodo?: number;
  /** What was updated during the call (burst, wcstep), for how many instructions half-written, then how many rewritten. */
  updated?: 'time record' | 'wall clock';
  hold?: number;
  storm?: number;
}

export interface TimeObservation {
  tscHz: number;
  shift: number;
  wallclock: { sec: number; nsec: number };
  sharedInfoMfn: number;
  writes: WriteEvent[];
  readings: Reading[];
}

/** Installs the plan on a fresh host: clock moved on, refresh at scheduling turned off, updates after each console write. */
export function setupTime(ctx: SetupContext): RunHooks {
  const plan = timePlan(ctx.seed);
  const hv = ctx.host.hv;
  hv.clock.instructions = Math.max(hv.clock.instructions, plan.bootAt); // the machine has been up a while
  setTimeRefreshHook(hv, () => {}); // records change only when the plan says
  const writes: WriteEvent[] = [];
  let guest: Domain | undefined;
  let chain: { cancelled: boolean } = { cancelled: true };
  let unfinished: (() => void) | undefined; // completes a half-written update the next call must not inherit
  let wc = { ...plan.wallclock };
  let triggers = 0;
  const at = (t: number, anchorAge: number): TimeRecord => timeRecordAt(hv, t - anchorAge);
  const after = (dom: Domain, delay: number, fn: () => void, token: { cancelled: boolean }) => {
    hv.timers.add({ deadline: hv.clock.instructions + delay, domid: dom.domid, fire: () => { if (!token.cancelled) fn(); } });
  };

  ctx.host.onConsole((domid, text) => {
    if (!guest || domid !== guest.domid) return;
    const dom = guest;
    const now = hv.clock.instructions;
    const ev: WriteEvent = { at: now, text };
    writes.push(ev);
    // Only the header and the "time" lines start the next call's plan: a student's own debugging output does not.
    if (!TRIGGER.test(text)) return;
    const p = plan.calls[triggers++];
    chain.cancelled = true; // the previous call's updates, if any are left, stop here (a wrong kernel printed early)
    unfinished?.();
    unfinished = undefined;
    if (!p) return;
    ev.plan = p;
    const token = { cancelled: false };
    chain = token;
    if (p.kind !== 'burst') publishTime(hv, dom, at(now, p.age));
    if (p.kind === 'fresh') return;
    if (p.kind === 'wcstep') {
      const total = wc.nsec + p.wcStep!;
      const newWc = { sec: wc.sec + Math.floor(total / NS), nsec: total % NS };
      wc = newWc;
      ev.wallclock = newWc;
      beginWallclockUpdate(hv, dom, newWc);
      unfinished = () => finishWallclockUpdate(hv, dom, newWc);
      after(dom, p.hold!, () => { unfinished = undefined; finishWallclockUpdate(hv, dom, newWc); ev.holdEnd = ev.burstEnd = hv.clock.instructions; }, token);
      return;
    }
    const torn = at(now, p.altAge!);
    beginTimeUpdate(hv, dom, torn);
    unfinished = () => finishTimeUpdate(hv, dom, torn);
    after(dom, p.hold!, () => {
      unfinished = undefined;
      finishTimeUpdate(hv, dom, torn);
      ev.holdEnd = hv.clock.instructions;
      let left = p.storm!;
      const step = () => {
        left--;
        publishTime(hv, dom, at(hv.clock.instructions, left % 2 === 0 ? p.age : p.altAge!));
        if (left > 0) after(dom, 1, step, token);
        else ev.burstEnd = hv.clock.instructions;
      };
      after(dom, 1, step, token);
    }, token);
  });

  return {
    started(doms) { guest = doms[0]; },
    observe: () => analyse(plan, hv.clock.ips, guest?.sharedInfoMfn ?? -1, writes) as unknown as Record<string, unknown>,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Analysis: the truth, and what typical mistakes would have printed instead.

interface Truth {
  wcNs: bigint;
  ips: bigint;
  hz: bigint;
  rec: TimeRecord;
}

function tscAt(t: Truth, i: number): bigint { return (BigInt(i) * t.hz) / t.ips; }
function nsAt(t: Truth, i: number): bigint { return (BigInt(i) * 1_000_000_000n) / t.ips; }

/** Every way of computing the time, correct and typically wrong, as ns since 1970 (or, for usec, a final form). */
const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
function shifted(delta: bigint, shift: number): bigint {
  return shift >= 0 ? (delta << BigInt(shift)) & M64 : delta >> BigInt(-shift);
}
/** `todo`: the starter's TODO where this part of the work goes (2 scale, 3 wall clock, 4 time record, 5 result). */
type Variant = { name: string; todo: number; ns: (t: Truth, i: number) => bigint; hint: (t: Truth, i: number) => string };

const VARIANTS: Variant[] = [
  {
    name: 'negative shift ignored',
    todo: 2,
    ns: (t, i) => { const d = tscAt(t, i) - t.rec.tsc; return t.wcNs + t.rec.systemNs + ((t.rec.shift < 0 ? d : shifted(d, t.rec.shift)) * BigInt(t.rec.mul) >> 32n); },
    hint: (t) => `your time matches a TSC delta that was not shifted: at ${mhz(t)} tsc_shift is ${t.rec.shift}, a negative shift, which means shift the delta RIGHT by ${-t.rec.shift} (delta >> -shift) before multiplying`,
  },
  {
    name: 'negative shift to the left',
    todo: 2,
    ns: (t, i) => { const d = tscAt(t, i) - t.rec.tsc; return t.wcNs + t.rec.systemNs + ((t.rec.shift < 0 ? (d << BigInt(-t.rec.shift)) & M64 : shifted(d, t.rec.shift)) * BigInt(t.rec.mul) >> 32n); },
    hint: (t) => `your time matches a TSC delta shifted LEFT by ${-t.rec.shift}: at ${mhz(t)} tsc_shift is ${t.rec.shift}, and a negative shift means the other way, RIGHT by ${-t.rec.shift} (delta >> -shift), before multiplying`,
  },
  {
    name: '32-bit multiply',
    todo: 2,
    ns: (t, i) => t.wcNs + t.rec.systemNs + ((shifted(tscAt(t, i) - t.rec.tsc, t.rec.shift) & M32) * BigInt(t.rec.mul) & M32),
    hint: () => 'your scaled delta matches a product cut to 32 bits: tsc_to_system_mul times the delta is a 64-bit product of which you need bits 32 and up; convert both factors to u64 before multiplying (u64(a) * u64(b)), then >> 32n',
  },
  {
    name: 'scaled delta 0',
    todo: 2,
    ns: (t) => t.wcNs + t.rec.systemNs,
    hint: () => 'your time is the record\'s system_time with nothing added: the TSC delta scaled to 0 ns. Is the multiply done in 32 bits (its high half lost) or the delta never read with rdtsc()? The product delta * tsc_to_system_mul needs 64 bits: u64(a) * u64(b) >> 32n',
  },
  {
    name: '64-bit product overflow',
    todo: 2,
    ns: (t, i) => t.wcNs + t.rec.systemNs + (((shifted(tscAt(t, i) - t.rec.tsc, t.rec.shift) * BigInt(t.rec.mul)) & M64) >> 32n),
    hint: (t, i) => `the product (delta << shift) * tsc_to_system_mul overflowed 64 bits: this record was ${secs(nsAt(t, i) - t.rec.systemNs)} old, a delta of ${(tscAt(t, i) - t.rec.tsc).toString()} ticks, and delta times a 32-bit multiplier needs up to 96 bits. Multiply the low and the high 32 bits of the (shifted) delta separately and add ((lo * mul) >> 32) + hi * mul`,
  },
  {
    name: 'delta cut to 32 bits',
    todo: 2,
    ns: (t, i) => t.wcNs + t.rec.systemNs + scaleDelta((tscAt(t, i) - t.rec.tsc) & M32, t.rec),
    hint: (t, i) => `your time matches a TSC delta cut to 32 bits: this record was ${secs(nsAt(t, i) - t.rec.systemNs)} old, ${(tscAt(t, i) - t.rec.tsc).toString()} ticks at ${mhz(t)}, more than a u32 holds; keep the delta a u64`,
  },
  {
    name: 'system_time cut to 32 bits',
    todo: 4,
    ns: (t, i) => t.wcNs + (t.rec.systemNs & M32) + scaleDelta(tscAt(t, i) - t.rec.tsc, t.rec),
    hint: () => 'your time matches system_time cut to 32 bits: system_time counts ns since the machine booted, past 2^32 ns (4.3 s) after boot; keep it a u64',
  },
  {
    name: 'no wall clock',
    todo: 3,
    ns: (t, i) => t.rec.systemNs + scaleDelta(tscAt(t, i) - t.rec.tsc, t.rec),
    hint: () => 'your time is system time alone (ns since the machine booted): add the wall clock at system time 0, wc_sec seconds and wc_nsec ns from shared_info',
  },
  {
    name: 'no wc_nsec',
    todo: 3,
    ns: (t, i) => (t.wcNs / 1_000_000_000n) * 1_000_000_000n + t.rec.systemNs + scaleDelta(tscAt(t, i) - t.rec.tsc, t.rec),
    hint: () => 'your time is short by wc_nsec: the wall clock at system time 0 is wc_sec seconds plus wc_nsec nanoseconds',
  },
];

function mhz(t: Truth): string { return `${(Number(t.hz) / 1e6).toFixed(3)} MHz`; }
function secs(ns: bigint): string { return `${(Number(ns) / 1e9).toFixed(3)} s`; }
const us = (ns: bigint) => ns / 1000n;

function analyse(plan: TimePlan, ips: number, mfn: number, writes: WriteEvent[]): TimeObservation {
  let wcNs = BigInt(plan.wallclock.sec) * 1_000_000_000n + BigInt(plan.wallclock.nsec);
  const scale = timeScale(plan.tscHz);
  const readings: Reading[] = [];
  let prev: WriteEvent | undefined; // the write that started the current call, with its plan
  for (let k = 0; k < writes.length; k++) {
    const m = READING.exec(writes[k]!.text);
    const started = prev;
    if (TRIGGER.test(writes[k]!.text)) prev = writes[k];
    if (!m || !started?.plan) continue;
    const p = started.plan;
    const lo = started.at, hi = writes[k]!.at;
    if (started.wallclock) wcNs = BigInt(started.wallclock.sec) * 1_000_000_000n + BigInt(started.wallclock.nsec); // stepped during the call
    // The record a correct call read: published at the start (fresh) or the end of the storm (burst).
    const publishedAt = p.kind === 'burst' ? started.burstEnd ?? started.at : started.at;
    const rec: TimeRecord = { ...recordAt(plan, ips, publishedAt - p.age), ...scale };
    const truth: Truth = { wcNs, ips: BigInt(Math.round(ips)), hz: BigInt(plan.tscHz), rec };
    // The extrapolation's rounding: at most 1 ns per 2^31 ns of delta, and the TSC's tick.
    const slack = 200n + BigInt(Math.ceil(p.age / 2 ** 30));
    const loUs = Number(us(wcNs + nsAt(truth, lo) - slack));
    const hiUs = Number(us(wcNs + nsAt(truth, hi) + slack));
    const sec = Number(m[1]), usecText = m[2]!, usec = Number(usecText);
    const printedUs = sec * 1e6 + usec;
    const cls: ReadingClass = p.age >= NS ? 'large' : p.kind === 'fresh' ? 'fresh' : 'burst';
    const ok = usecText.length === 6 && usec < 1e6 && printedUs >= loUs && printedUs <= hiUs;
    const r: Reading = { index: readings.length, line: m[0], cls, sec, usec, loUs, hiUs, ok };
    if (p.kind === 'burst') { r.updated = 'time record'; r.hold = p.hold!; r.storm = p.storm!; }
    if (p.kind === 'wcstep') { r.updated = 'wall clock'; r.hold = p.hold!; }
    if (!ok) {
      const why = explain(truth, lo, hi, sec, usec);
      if (why) { r.why = why.hint; r.whyTodo = why.todo; }
    }
    readings.push(r);
  }
  return { tscHz: plan.tscHz, shift: scale.shift, wallclock: plan.wallclock, sharedInfoMfn: mfn, writes, readings };
}

function recordAt(plan: TimePlan, ips: number, anchor: number): { tsc: bigint; systemNs: bigint } {
  const n = BigInt(Math.max(0, Math.floor(anchor)));
  const i = BigInt(Math.round(ips));
  return { tsc: (n * BigInt(Math.round(plan.tscHz))) / i, systemNs: (n * 1_000_000_000n) / i };
}

function explain(t: Truth, lo: number, hi: number, sec: number, usec: number): { hint: string; todo: number } | undefined {
  if (usec >= 1e6) {
    return { todo: 5, hint: `tv_usec was ${usec}, but microseconds run from 0 to 999999: a microsecond is 1000 ns, so usec = (ns % 1000000000) / 1000 (the book's listing multiplies by 1000; that is its bug)` };
  }
  const printed = BigInt(sec) * 1_000_000n + BigInt(usec);
  const right = [us(t.wcNs + t.rec.systemNs + scaleDelta(tscAt(t, lo) - t.rec.tsc, t.rec)), us(t.wcNs + t.rec.systemNs + scaleDelta(tscAt(t, hi) - t.rec.tsc, t.rec))];
  for (const v of VARIANTS) {
    const a = us(v.ns(t, lo)), b = us(v.ns(t, hi));
    if (a === right[0] && b === right[1]) continue; // the same as the right answer here: says nothing
    const min = a < b ? a : b, max = a < b ? b : a;
    if (max - min > 16n * (right[1]! - right[0]!) + 4n) continue; // wraps around within the call: matches anything
    if (printed >= min - 2n && printed <= max + 2n) return { todo: v.todo, hint: v.hint(t, hi) };
  }
  if (sec === 0 && usec === 0) return { todo: 3, hint: 'gettimeofday left the timeval at 0.000000: read the wall clock and the time record, then fill in tv_sec and tv_usec' };
  if (t.rec.shift < 0) {
    return { todo: 2, hint: `this seed's TSC runs at ${mhz(t)}, so tsc_shift is negative (${t.rec.shift}): the delta must be shifted RIGHT by ${-t.rec.shift} (delta >> u64(-shift)) before multiplying, never left by a negative or sign-extended count. If your time is right with --seed 3 (tsc_shift 0), this case is what is wrong` };
  }
  return undefined;
}

/** A time of day in microseconds since 1970, as "2026-01-01 00:00:00.000000 UTC (1767225600.000000)". */
export function showUs(totalUs: number): string {
  const sec = Math.floor(totalUs / 1e6), usec = totalUs - sec * 1e6;
  const d = new Date(sec * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  return `${d}.${String(usec).padStart(6, '0')} UTC (${sec}.${String(usec).padStart(6, '0')})`;
}
