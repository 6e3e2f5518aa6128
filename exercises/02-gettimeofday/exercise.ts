// Exercise 02 (gettimeofday): the public definition and checks. The grader adds hidden checks from grader/checks/.
// Every reading the kernel prints is compared with the hypervisor's own clock over the instructions the call ran
// (time-plan.ts), under seeds that vary the TSC frequency, the epoch, the age of the time record and when Xen
// updates it.
import { fail, lineOf, pass, quote, type Check, type CheckContext, type Exercise } from '../../grader/api.js';
import { hypervisorFor, READINGS, setupTime, showUs, type Reading, type ReadingClass, type TimeObservation } from './time-plan.js';

export const STUDENT_FILE = 'kernel/gettimeofday.ts';

export function todo(ctx: CheckContext, n: number): string {
  const line = lineOf(ctx.sources[STUDENT_FILE], `TODO ${n}`);
  return line ? `${STUDENT_FILE}:${line} (TODO ${n})` : `${STUDENT_FILE}, TODO ${n}`;
}

export function observation(ctx: CheckContext): TimeObservation | undefined {
  const o = ctx.run.extra as unknown as TimeObservation | undefined;
  return o && Array.isArray(o.readings) ? o : undefined;
}

/** Why there is nothing to judge (no readings) and what to do, or undefined when there are readings. */
function missing(ctx: CheckContext, o: TimeObservation | undefined): { actual: string; hint?: string } | undefined {
  if (!o) return { actual: 'the run recorded no time observations' };
  if (o.readings.length > 0) return undefined;
  const printed = ctx.run.console ? `printed ${quote(ctx.run.console)}` : 'printed nothing';
  if (ctx.run.end === 'budget') {
    return {
      actual: `the kernel ${printed} and was still running when its budget of ${ctx.run.budget.toLocaleString('en-US')} instructions ran out: does a retry loop never end?`,
      hint: `retry only while the version is odd or has changed, (version & 1) != 0 || version != the second read; an even, unchanged version ends the loop: see ${todo(ctx, 3)} and ${todo(ctx, 4)}`,
    };
  }
  return { actual: `the kernel ${printed}, with no "time SECONDS.MICROSECONDS" line` };
}

/** Judges the readings of one class: all must be right. */
export function judgeReadings(ctx: CheckContext, cls: ReadingClass, expected: string, fallbackHint: string): ReturnType<Check['run']> {
  const o = observation(ctx);
  const none = missing(ctx, o);
  if (none) return fail(expected, none.actual, none.hint ?? fallbackHint);
  const mine = o!.readings.filter((r) => r.cls === cls);
  if (mine.length === 0) {
    return fail(expected, `only ${o!.readings.length} of the ${READINGS} readings were printed`, 'the kernel stopped early: look at how the run ended below');
  }
  const bad = mine.find((r) => !r.ok);
  if (!bad) return pass();
  return fail(expected, describeWrong(bad), whyWrong(ctx, bad) ?? fallbackHint);
}

/** The teaching hint for a wrong reading (what its value matches), pointing at the TODO it concerns. */
export function whyWrong(ctx: CheckContext, r: Reading): string | undefined {
  return r.why === undefined ? undefined : r.whyTodo ? `${r.why} (see ${todo(ctx, r.whyTodo)})` : r.why;
}

export function describeWrong(r: Reading): string {
  const want = r.loUs === r.hiUs ? showUs(r.loUs) : `between ${showUs(r.loUs)} and ${showUs(r.hiUs)}`;
  const printedUs = r.sec * 1e6 + Math.min(r.usec, 999_999);
  const off = r.usec < 1e6 ? `, off by ${fmtOff(printedUs < r.loUs ? printedUs - r.loUs : printedUs - r.hiUs)}` : '';
  return `reading ${r.index + 1} printed ${quote(r.line)}; Xen's clock said ${want} while that call ran${off}`;
}

function fmtOff(us: number): string {
  const sign = us < 0 ? '-' : '+';
  const a = Math.abs(us);
  return a >= 1e6 ? `${sign}${(a / 1e6).toFixed(6)} s` : `${sign}${a} us`;
}

export const mapsSharedInfo: Check = {
  id: 'maps-shared-info',
  title: 'maps the shared info page with update_va_mapping',
  weight: 2,
  run(ctx) {
    const o = observation(ctx);
    const expected = 'update_va_mapping(va, start_info.shared_info | _PAGE_PRESENT | _PAGE_RW, UVMF_INVLPG) returning 0';
    const calls = ctx.calls('update_va_mapping');
    if (calls.length === 0) {
      return fail(expected, 'the kernel made no update_va_mapping hypercall, so the shared info page was never mapped',
        `see ${todo(ctx, 1)}: Xen gives the machine address of shared_info in start_info, and the kernel maps it into its own address space`);
    }
    const mfn = o?.sharedInfoMfn ?? -1;
    const good = calls.find((c) => c.result === 0 && (c.args[1]! >>> 12) === mfn && (c.args[1]! & 1) === 1);
    if (good) return pass();
    const c = calls.find((x) => (x.args[1]! >>> 12) === mfn) ?? calls[0]!;
    const pte = c.args[1]! >>> 0;
    const shown = `update_va_mapping(0x${(c.args[0]! >>> 0).toString(16)}, 0x${pte.toString(16)}, ...) returned ${c.result}`;
    if ((pte >>> 12) !== mfn) {
      return fail(expected, `${shown}: that entry points at frame 0x${(pte >>> 12).toString(16)}, but shared_info is frame 0x${mfn.toString(16)} (machine address 0x${(mfn * 4096).toString(16)})`,
        `the new entry is start_info's shared_info field (already a machine address, page-aligned) with the flag bits ORed in: see ${todo(ctx, 1)}`);
    }
    if ((pte & 1) === 0) return fail(expected, `${shown}: the entry lacks _PAGE_PRESENT`, `OR in _PAGE_PRESENT | _PAGE_RW: see ${todo(ctx, 1)}`);
    return fail(expected, shown, c.result === -22
      ? 'Xen refused it (-EINVAL): the virtual address must be a page your own page tables map (the bootstrap reserves shared_info_page at 0x1000 for this)'
      : `see ${todo(ctx, 1)}`);
  },
};

export const timeOfDay: Check = {
  id: 'time-of-day',
  title: 'prints the time of day to the microsecond (wall clock + system time + scaled TSC delta)',
  weight: 4,
  run(ctx) {
    const v = judgeReadings(ctx, 'fresh',
      'each reading to equal the hypervisor\'s time of day while the call ran, to the microsecond',
      `the time of day is wc_sec/wc_nsec (wall clock at system time 0) + system_time + the TSC delta since tsc_timestamp scaled by tsc_to_system_mul and tsc_shift: see ${todo(ctx, 2)} to ${todo(ctx, 5)}`);
    if (v.pass || mapsSharedInfo.run(ctx).pass) return v;
    return { ...v, hint: `the shared info page was never mapped (see ${todo(ctx, 1)}), so whatever gettimeofday read was not Xen's clock` };
  },
};

export const monotonic: Check = {
  id: 'monotonic',
  title: 'successive readings never go backwards, and time advances',
  weight: 2,
  run(ctx) {
    const o = observation(ctx);
    const expected = `${READINGS} readings, each no earlier than the one before, the last later than the first`;
    const none = missing(ctx, o);
    if (none) return fail(expected, none.actual, none.hint ?? `see ${todo(ctx, 2)} to ${todo(ctx, 5)}`);
    const rs = o!.readings;
    const us = (r: Reading) => r.sec * 1e6 + r.usec;
    for (let i = 1; i < rs.length; i++) {
      if (us(rs[i]!) < us(rs[i - 1]!)) {
        const wrong = [rs[i - 1]!, rs[i]!].find((r) => !r.ok);
        const hint = !wrong ? 'a clock that goes backwards breaks every program that measures time'
          : wrong.cls === 'burst' && !wrong.why ? `reading ${wrong.index + 1} was taken while Xen was updating the time record, and is wrong: see the version-protocol check`
          : whyWrong(ctx, wrong) ?? `reading ${wrong.index + 1} is not the hypervisor's time: see the time-of-day check`;
        return fail(expected, `reading ${i + 1} (${quote(rs[i]!.line)}) is earlier than reading ${i} (${quote(rs[i - 1]!.line)})`, hint);
      }
    }
    if (rs.length < 2 || us(rs[rs.length - 1]!) <= us(rs[0]!)) {
      return fail(expected, rs.length < 2 ? `only ${rs.length} reading was printed` : `every reading was ${quote(rs[0]!.line)}: time did not advance`,
        `gettimeofday must add the time passed since the record was written (rdtsc() - tsc_timestamp, scaled): see ${todo(ctx, 2)} and ${todo(ctx, 5)}`);
    }
    return pass();
  },
};

export const retriesDuringUpdate: Check = {
  id: 'retries-during-update',
  title: 'reads a consistent wall clock and time record while they are being updated (version protocol)',
  weight: 3,
  dependsOn: ['time-of-day'],
  run(ctx) {
    const o = observation(ctx);
    const v = judgeReadings(ctx, 'burst', 'the right time even when the wall clock and vcpu_time_info are updated during the call', '');
    if (v.pass || !o) return v;
    const r = o.readings.find((x) => x.cls === 'burst' && !x.ok);
    if (!r) return v;
    if (r.updated === 'wall clock') {
      return fail(v.expected, `${v.actual}. During that call Dom0 stepped the wall clock forward, and the change stayed half-written (wc_version odd, the new wc_sec with the old wc_nsec) for ${r.hold} instructions`,
        `your gettimeofday read wc_sec and wc_nsec from two different updates (a torn read). Read wc_version, rmb(), wc_sec and wc_nsec, rmb(), wc_version again, and retry while it is odd or has changed: see ${todo(ctx, 3)}`);
    }
    return fail(v.expected, `${v.actual}. During that call Xen held an update of the time record half-written (version odd, the new tsc_timestamp with the old system_time) for ${r.hold} instructions, then rewrote the record at every instruction for ${r.storm} more`,
      `your gettimeofday used fields from two different updates (a torn read). Read version, rmb(), the fields, rmb(), version again, and retry while the version is odd (an update is in progress) or has changed (an update happened in between): see ${todo(ctx, 4)}`);
  },
};

export const exercise: Exercise = {
  id: '02',
  slug: '02-gettimeofday',
  title: 'gettimeofday from the shared info page: wall clock, vcpu_time_info and the TSC',
  studentFiles: ['kernel/main.ts', STUDENT_FILE],
  sourceRoot: 'kernel',
  budget: 3_000_000,
  seed: 1,
  seeds: [1, 2, 3, 4], // tsc_shift -1, -2, 0, +1; any other seed with --seed N
  memoryMiB: 32,
  hypervisor: hypervisorFor,
  setup: setupTime,
  checks: [mapsSharedInfo, timeOfDay, monotonic, retriesDuringUpdate],
};
