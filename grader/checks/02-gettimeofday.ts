// Hidden checks for exercise 02: graded by the instructor's kit, shown to students after the due date.
// The readings and their analysis come from the exercise's run setup (exercises/02-gettimeofday/time-plan.ts),
// stored in run.extra; this file reads them by shape (the grader does not import the exercises).
import { fail, lineOf, pass, quote, type Check, type CheckContext } from '../api.js';

const STUDENT_FILE = 'kernel/gettimeofday.ts';

interface ReadingShape {
  index: number; line: string; cls: string; sec: number; usec: number; loUs: number; hiUs: number; ok: boolean;
  why?: string; whyTodo?: number;
}

function todo(ctx: CheckContext, n: number): string {
  const line = lineOf(ctx.sources[STUDENT_FILE], `TODO ${n}`);
  return line ? `${STUDENT_FILE}:${line} (TODO ${n})` : `${STUDENT_FILE}, TODO ${n}`;
}

function readings(ctx: CheckContext): ReadingShape[] | undefined {
  const r = (ctx.run.extra as { readings?: unknown } | undefined)?.readings;
  return Array.isArray(r) ? (r as ReadingShape[]) : undefined;
}

export const largeDelta: Check = {
  id: 'large-delta',
  title: 'stays exact when the time record is seconds old (a TSC delta beyond 32 bits, a product beyond 64)',
  weight: 2,
  hidden: true,
  dependsOn: ['time-of-day'],
  run(ctx) {
    const expected = 'the right time to the microsecond when Xen last updated the record 5 to 25 seconds earlier';
    const rs = readings(ctx)?.filter((r) => r.cls === 'large') ?? [];
    if (rs.length === 0) return fail(expected, 'the kernel printed none of the readings taken with an old record', 'the kernel stopped early: look at how the run ended');
    const bad = rs.find((r) => !r.ok);
    if (!bad) return pass();
    const off = bad.usec < 1e6 ? (bad.sec * 1e6 + bad.usec) - (bad.sec * 1e6 + bad.usec < bad.loUs ? bad.loUs : bad.hiUs) : undefined;
    const at = `${Math.floor(bad.loUs / 1e6)}.${String(bad.loUs % 1e6).padStart(6, '0')}`;
    return fail(expected,
      `reading ${bad.index + 1} printed ${quote(bad.line)}; Xen's clock said about ${at}${off !== undefined ? `, off by ${(off / 1e6).toFixed(6)} s` : ''}`,
      bad.why ? `${bad.why} (see ${todo(ctx, bad.whyTodo ?? 2)})`
        : `over seconds the TSC delta exceeds 32 bits and (delta << shift) * tsc_to_system_mul exceeds 64 bits: keep the delta a u64 and multiply its low and high halves separately (see ${todo(ctx, 2)})`);
  },
};

export const ownImplementation: Check = {
  id: 'own-implementation',
  title: 'reads the time with its own code, not the Mini-OS library\'s',
  weight: 1,
  hidden: true,
  dependsOn: ['time-of-day'], // only a kernel that reads the time can read it with its own code
  run(ctx) {
    for (const [file, text] of Object.entries(ctx.sources)) {
      const m = /(?:from|import)\s+["']minios\/(time|hypervisor)["']/.exec(text);
      if (m) {
        const line = lineOf(text, m[0]);
        return fail('gettimeofday and the shared info mapping written in the exercise\'s own files', `${file}${line ? `:${line}` : ''} imports "minios/${m[1]}"`,
          'the exercise is to write this mechanism yourself: the library\'s version is the answer key');
      }
    }
    return pass();
  },
};

export const hidden02: Check[] = [largeDelta, ownImplementation];
