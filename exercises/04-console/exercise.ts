// Exercise 04 (console): the public definition and checks. The grader adds hidden checks from grader/checks/.
// What the checks read is what Dom0's console backend saw (console-plan.ts): the bytes it drained from out[], the
// notifications it got, the indices left on the page, the input it could not deliver, and how much CPU the guest ran.
import { fail, lineOf, pass, quote, type Check, type CheckContext, type Exercise, type Verdict } from '../../grader/api.js';
import {
  BYE, consolePlan, CPU_BUDGET, IN_SIZE, OUT_SIZE, OUTPUT_TEXT, SESSION_BUDGET, setupConsole, typedText, type ConsoleObservation,
} from './console-plan.js';

export const STUDENT_FILE = 'kernel/xencons.ts';

export function todo(ctx: CheckContext, n: number): string {
  const line = lineOf(ctx.sources[STUDENT_FILE], `TODO ${n}`);
  return line ? `${STUDENT_FILE}:${line} (TODO ${n})` : `${STUDENT_FILE}, TODO ${n}`;
}

export function observation(ctx: CheckContext): ConsoleObservation | undefined {
  const o = ctx.run.extra as unknown as ConsoleObservation | undefined;
  return o && typeof o.ringOutput === 'string' ? o : undefined;
}

const num = (n: number) => n.toLocaleString('en-US');
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const NO_RUN = fail('a run to judge', 'the run recorded no console observations', 'the kernel did not get as far as the console');

/** The indices this run started from, said so that a student sees why a seed differs from another. */
function startsSaid(o: ConsoleObservation): string {
  const near = (v: number) => v > 2 ** 32 - 8192 ? ' (just below 2^32: it wraps during the run)' : '';
  return `this run's console page started with out_cons = out_prod = ${hex(o.outStart)}${near(o.outStart)} and in_cons = in_prod = ${hex(o.inStart)}${near(o.inStart)}`;
}

/** The CPU-budget failure, when the kernel spun its budget away: every check says it first. */
function spun(ctx: CheckContext, o: ConsoleObservation, expected: string, what: string): Verdict | undefined {
  if (o.cpuExhaustedAt === undefined) return undefined;
  return fail(expected,
    `${what}: the kernel ran its whole CPU budget of ${num(o.cpuBudget)} instructions by instruction ${num(o.cpuExhaustedAt)} of the session, and was stopped there`,
    `a kernel waiting for room or for input must sleep, not spin: see ${todo(ctx, 6)}`);
}

/** Where two texts first differ, for a failure message. */
function firstDifference(want: string, got: string): number {
  let i = 0;
  while (i < want.length && i < got.length && want[i] === got[i]) i++;
  return i;
}

export const outputWhole: Check = {
  id: 'output-whole',
  title: `writes a text longer than the ring (${num(OUTPUT_TEXT.length)} bytes through ${num(OUT_SIZE)}) whole and in order`,
  weight: 4,
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const want = OUTPUT_TEXT;
    const got = o.ringOutput;
    const expected = `Dom0 to read the ${num(want.length)} bytes main.ts writes, whole and in order, from the console ring`;
    if (got.startsWith(want)) return pass();
    if (o.broken) {
      return fail(expected, `after ${num(got.length)} good bytes Dom0 found the ring overrun and stopped the console: ${o.broken}`,
        `the kernel wrote over output Dom0 had not read yet. out[] has room for OUT_SIZE - (out_prod - out_cons) bytes; when it is full, wait for Dom0 to advance out_cons (it notifies you when it has): see ${todo(ctx, 2)}`);
    }
    const movedProd = (o.final.out_prod - o.outStart) >>> 0;
    if (got === '') {
      if (ctx.run.console.includes('ring line 01/40')) {
        return fail(expected, 'nothing came through the console ring: the text reached Xen\'s emergency console through console_io instead',
          `console_io is the hypervisor's debugging console, not the guest's console device: write into intf.out and publish out_prod (see ${todo(ctx, 2)} and ${todo(ctx, 3)})`);
      }
      if (o.notifications === 0 && movedProd !== 0) {
        return fail(expected, `the kernel moved out_prod by ${num(movedProd)} bytes but never notified Dom0 (0 events on the console channel), so the backend never looked at the ring`,
          `after publishing out_prod, send an event with notify_remote_via_evtchn(evtchn): see ${todo(ctx, 3)}`);
      }
      if (movedProd === 0 && o.outStart > 2 ** 32 - 8192) {
        const wrapped = (o.outStart + OUT_SIZE) % 2 ** 32;
        return fail(expected, `out_prod never moved from ${hex(o.outStart)}: this seed starts the out[] indices ${num(2 ** 32 - o.outStart)} below 2^32, where they wrap during the run${wrapped < o.outStart ? ` (out_cons + ${num(OUT_SIZE)} is already ${hex(wrapped)} in u32)` : ''}${o.cpuExhaustedAt !== undefined ? `, and the kernel ran its whole CPU budget of ${num(o.cpuBudget)} instructions meanwhile` : ''}`,
          `when a kernel that works from index 0 never writes here, its room test is not wrap-safe: prod >= cons + OUT_SIZE or prod < cons + OUT_SIZE sees the empty ring as full once cons + OUT_SIZE wraps. Use the difference, prod - cons < OUT_SIZE (u32 subtraction stays right across 2^32): see ${todo(ctx, 2)}`);
      }
      if (movedProd === 0) {
        return fail(expected, `out_prod never moved (it is still ${hex(o.final.out_prod)}), so nothing was published${o.notifications ? ` (Dom0 got ${num(o.notifications)} notifications and found nothing new)` : ''}`,
          `xencons_init must find the page (${todo(ctx, 1)}); xencons_write copies the bytes into out[] and advances out_prod (${todo(ctx, 2)}, ${todo(ctx, 3)})`);
      }
    }
    const spin = spun(ctx, o, expected, `Dom0 read ${num(got.length)} of the ${num(want.length)} bytes`);
    if (spin && want.startsWith(got)) return spin;
    if (want.startsWith(got)) {
      const unread = (o.final.out_prod - o.final.out_cons) >>> 0;
      if (unread > 0 && unread <= OUT_SIZE && ctx.run.end === 'budget') {
        return fail(expected, `Dom0 read ${num(got.length)} of the ${num(want.length)} bytes; ${num(unread)} more were left in out[] unread, and the kernel was still waiting when the session ended`,
          `Dom0 reads the ring only when notified: notify after every update of out_prod, including before you wait for room (see ${todo(ctx, 3)})`);
      }
      if (ctx.run.end === 'budget') {
        return fail(expected, `Dom0 read ${num(got.length)} of the ${num(want.length)} bytes, and the kernel was still waiting when the session ended`,
          `when out[] is full, sleep until Dom0's event says it drained the ring, then read out_cons again and go on writing (see ${todo(ctx, 2)} and ${todo(ctx, 6)}); the event wakes you only if xencons_init bound the port, which unmasks it (${todo(ctx, 1)})`);
      }
      return fail(expected, `Dom0 read only ${num(got.length)} of the ${num(want.length)} bytes`, `xencons_write must write all len bytes before it returns: see ${todo(ctx, 2)}`);
    }
    const at = firstDifference(want, got);
    const lineNo = want.slice(0, at).split('\n').length;
    return fail(expected,
      `byte ${num(at)} (line ${lineNo}) differs: expected ${quote(want.slice(at, at + 24))}, Dom0 read ${quote(got.slice(at, at + 24))}; ${startsSaid(o)}`,
      `the byte for index i goes to out[MASK_XENCONS_IDX(i, OUT_SIZE)] = out[i & (${OUT_SIZE} - 1)], where i counts on from the out_prod you read from the page (not from 0), and comparisons use the difference out_prod - out_cons, which stays right when the indices wrap: see ${todo(ctx, 2)}`);
  },
};

/** The echo part of the ring output (after the echo header), or undefined when the kernel never got there. */
function echoOf(o: ConsoleObservation): string | undefined {
  return o.ringOutput.startsWith(OUTPUT_TEXT) ? o.ringOutput.slice(OUTPUT_TEXT.length) : undefined;
}

/**
 * Matches the echo against everything typed, keeping order: the typed bytes (below `upto`) missing before the last
 * one echoed were lost; undefined when the echo is not the typed text with bytes left out.
 */
function lostBytes(typed: string, echo: string, upto: number): { lost: number; first: number } | undefined {
  let j = 0;
  let last = -1;
  const missing: number[] = [];
  for (let i = 0; i < typed.length && j < echo.length; i++) {
    if (typed[i] === echo[j]) { j++; last = i; } else missing.push(i);
  }
  if (j < echo.length) return undefined;
  const lost = missing.filter((i) => i < last && i < upto);
  return lost.length ? { lost: lost.length, first: lost[0]! } : undefined;
}

/** What went wrong with the echo of the first `upto` typed bytes, or undefined when they are all there. */
function judgeEcho(ctx: CheckContext, o: ConsoleObservation, upto: number, expected: string, what: string): Verdict | undefined {
  const typed = typedText(consolePlan(ctx.seed));
  const want = typed.slice(0, upto);
  const echo = echoOf(o)!;
  if (echo.startsWith(want)) return undefined;
  const spin = spun(ctx, o, expected, `the echo stopped after ${num(echo.length)} bytes`);
  if (spin) return spin;
  const consumed = (o.final.in_cons - o.inStart) >>> 0;
  if (echo === '' && consumed === 0) {
    return fail(expected, `nothing typed was echoed: in_cons never moved from ${hex(o.inStart)}, so the kernel took nothing out of in[]`,
      `xencons_read waits for input and copies it out of in[] (${todo(ctx, 4)}), then advances in_cons (${todo(ctx, 5)})`);
  }
  const lost = lostBytes(typed, echo.endsWith(BYE) ? echo.slice(0, -BYE.length) : echo, upto);
  if (lost) {
    return fail(expected, `${num(lost.lost)} of the ${num(want.length)} bytes ${what} never came back, the first at byte ${num(lost.first)} (${quote(typed.slice(lost.first, lost.first + 16))}): the kernel lost input${o.inputBacklog ? `, and ${num(o.inputBacklog)} typed bytes were still waiting outside in[] at the end` : ''}`,
      `take from in[] only what you can keep, and leave the rest there: in[] is the buffer, and Dom0 holds what does not fit until you advance in_cons and notify. Copying in[] into a smaller buffer and dropping the overflow loses keystrokes (see ${todo(ctx, 4)})`);
  }
  const got = echo.slice(0, want.length);
  const unread = (o.final.in_prod - o.final.in_cons) >>> 0;
  if (want.startsWith(got) && unread > 0 && unread <= IN_SIZE && ctx.run.end !== 'shutdown') {
    const wrapped = o.final.in_prod < o.final.in_cons;
    return fail(expected,
      `the echo stopped after ${num(echo.length)} bytes while in[] held ${num(unread)} bytes the kernel never took (in_cons = ${hex(o.final.in_cons)}, in_prod = ${hex(o.final.in_prod)}${wrapped ? ': in_prod has wrapped past 2^32 and is now smaller than in_cons' : ''})`,
      wrapped
        ? `the indices are free-running u32 counters: there is input when in_prod != in_cons, and in_prod - in_cons bytes of it (u32 subtraction wraps as it should); never compare them with <, >= and the like (see ${todo(ctx, 4)})`
        : `Dom0 notified the console channel when the input came: the kernel must wake on that event and read in[] (see ${todo(ctx, 1)} and ${todo(ctx, 6)})`);
  }
  if (want.startsWith(got)) {
    if (o.inputBacklog > 0) {
      return fail(expected, `the echo stopped after ${num(echo.length)} bytes, with ${num(o.inputBacklog)} typed bytes still waiting for room in in[]`,
        `Dom0 refills in[] when you notify it after advancing in_cons: see ${todo(ctx, 5)}`);
    }
    return fail(expected, `the echo stopped after ${num(echo.length)} of ${num(want.length)} bytes (in_cons moved by ${num(consumed)})`,
      `xencons_read must sleep until input arrives and return what it copied: see ${todo(ctx, 4)}, ${todo(ctx, 5)} and ${todo(ctx, 6)}`);
  }
  const at = firstDifference(want, got);
  return fail(expected, `echoed byte ${num(at)} differs: typed ${quote(want.slice(at, at + 20))}, echoed ${quote(got.slice(at, at + 20))}; ${startsSaid(o)}`,
    `byte i of the input is in[MASK_XENCONS_IDX(i, IN_SIZE)] = in[i & (${IN_SIZE} - 1)], for i from in_cons up to (not including) in_prod; test for input with in_cons != in_prod, never in_cons < in_prod, which breaks when the indices wrap (see ${todo(ctx, 4)})`);
}

export const echoesTyping: Check = {
  id: 'echoes-typing',
  title: 'echoes what is typed, key by key, including a line typed while it was still writing',
  weight: 3,
  dependsOn: ['output-whole'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const plan = consolePlan(ctx.seed);
    const firstPaste = plan.inputs.findIndex((e) => e.kind === 'paste');
    const upto = plan.inputs.slice(0, firstPaste).reduce((n, e) => n + e.text.length, 0);
    const v = judgeEcho(ctx, o, upto, `the ${num(upto)} bytes typed before the paste echoed in order`, 'typed before the paste');
    return v ?? pass();
  },
};

export const keepsUpWithPaste: Check = {
  id: 'loses-no-input',
  title: `loses nothing when input comes faster than it is taken (a paste of a few KiB into the ${num(IN_SIZE)}-byte in[])`,
  weight: 3,
  dependsOn: ['output-whole'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const plan = consolePlan(ctx.seed);
    const want = typedText(plan);
    const paste = plan.inputs.find((e) => e.kind === 'paste')!.text.length;
    const expected = `all ${num(want.length)} typed bytes echoed in order (${num(paste)} of them pasted at once), then "bye" after Ctrl-D`;
    const v = judgeEcho(ctx, o, want.length, expected, 'typed');
    if (v) return v;
    const rest = echoOf(o)!.slice(want.length);
    if (rest === BYE && ctx.run.end === 'shutdown') return pass();
    if (rest === '' && ctx.run.end !== 'shutdown') {
      return fail(expected, 'everything typed was echoed, but Ctrl-D (the last byte typed) was never read: the kernel was still waiting when the session ended',
        `after input arrives, Dom0's event must wake the waiting kernel: bind the channel (${todo(ctx, 1)}) and sleep until an event (${todo(ctx, 6)})`);
    }
    return fail(expected, `after the echo came ${quote(rest)}`, 'main.ts prints "\\nbye\\n" after Ctrl-D: is something else writing to the ring?');
  },
};

export const blocksWhenIdle: Check = {
  id: 'blocks-when-idle',
  title: 'sleeps with sched_op(SCHEDOP_block) when there is nothing to do, instead of spinning',
  weight: 2,
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const expected = `a kernel that sleeps while it waits: sched_op(SCHEDOP_block) calls, next to no instructions run in a quiet stretch, and its CPU budget of ${num(CPU_BUDGET)} instructions never used up`;
    const spin = spun(ctx, o, expected, 'it never slept long enough');
    const blocks = ctx.calls('sched_op').filter((c) => c.args[0] === 1).length;
    const yields = ctx.calls('sched_op').filter((c) => c.args[0] === 0).length;
    if (spin && !spin.pass) {
      if (blocks) return spin;
      return yields
        ? { ...spin, actual: `${spin.actual}; it called sched_op(SCHEDOP_yield) ${num(yields)} times and never SCHEDOP_block`, hint: `yield gives up the CPU but leaves the domain runnable, so with nothing else to run Xen comes straight back: that is still a spin. Block instead: see ${todo(ctx, 6)}` }
        : { ...spin, actual: `${spin.actual}; it never called sched_op(SCHEDOP_block)` };
    }
    if (blocks === 0) {
      return fail(expected, 'the kernel never called sched_op(SCHEDOP_block)', `wait for room and for input by sleeping in Xen: see ${todo(ctx, 6)}`);
    }
    const { ran, from, to } = o.quiet;
    if (ran === undefined) {
      return fail(expected, `the session ended at instruction ${num(ctx.run.instructions)}, before its quiet stretch (${num(from)} to ${num(to)}) could be measured`,
        'main.ts waits for Ctrl-D, typed after the quiet stretch: did the kernel stop early?');
    }
    if (ran > (to - from) / 100) {
      return fail(expected, `with nothing typed and nothing to write between instructions ${num(from)} and ${num(to)}, the kernel ran ${num(ran)} of those ${num(to - from)} instructions`,
        `a waiting kernel should sleep until an event comes: see ${todo(ctx, 6)}`);
    }
    return pass();
  },
};

export const exercise: Exercise = {
  id: '04',
  slug: '04-console',
  title: 'The console ring: flow control, events both ways, and sleeping instead of spinning',
  studentFiles: ['kernel/main.ts', STUDENT_FILE],
  sourceRoot: 'kernel',
  budget: SESSION_BUDGET,
  seed: 1,
  seeds: [1, 2, 3, 4], // ring indices from 0, wrapping in both rings, anywhere; any other seed with --seed N
  memoryMiB: 32,
  setup: setupConsole,
  checks: [outputWhole, echoesTyping, keepsUpWithPaste, blocksWhenIdle],
};
