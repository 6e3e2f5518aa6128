// Exercise 04's run setup: what a seed varies and the Dom0 side of the session, at exact points of virtual time.
// - Ring start indices: the backend may hand over a console page whose indices are anywhere (a console reconnected
//   after a save/restore keeps them), so each seed starts out_cons = out_prod and in_cons = in_prod at its own
//   values, some a few bytes below 2^32 so that they wrap during the run.
// - A slow backend: Dom0 answers a console notification `latency` instructions later (as xenconsoled does when it
//   gets scheduled), draining everything in out[] and refilling in[]; output longer than the ring therefore needs
//   flow control.
// - Input: a line typed during the output phase, lines typed key by key, a paste of a few KiB at once (more than
//   in[] holds, so Dom0 keeps the rest until the guest makes room), another line, a quiet stretch in which a correct
//   kernel sleeps, then Ctrl-D.
// - A CPU budget: Xen charges a domain only for instructions it runs; a kernel that spins instead of blocking uses
//   its budget up long before the session ends, and is paused there.
import type { RunHooks, SetupContext } from '../../grader/api.js';
import type { Domain } from '../../hypervisor/index.js';
import { XENCONS } from '../../hypervisor/dom0/index.js';

export const OUT_SIZE = XENCONS.outSize;
export const IN_SIZE = XENCONS.inSize;
/** Instructions of virtual time a graded run may last, and instructions the guest itself may run. */
export const SESSION_BUDGET = 5_000_000;
export const CPU_BUDGET = 1_500_000;
/** Ctrl-D: main.ts stops echoing and powers off when it reads this byte. */
export const CTRL_D = '\x04';

// ------------------------------------------------------------------------------------------------ what main.ts prints
const FILL = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const fill = (from: number, count: number) => Array.from({ length: count }, (_, i) => FILL[(from + i) % FILL.length]).join('');
const two = (n: number) => String(n).padStart(2, '0');

export const BANNER = 'console: ring driver up\n';
/** 40 lines of 66 bytes, one xencons_write each. */
export const LINES_TEXT = Array.from({ length: 40 }, (_, i) => `ring line ${two(i + 1)}/40: ${fill(i + 1, 48)}\n`).join('');
/** 50 lines of 60 bytes, written with one 3000-byte xencons_write. */
export const BLOCK_TEXT = Array.from({ length: 50 }, (_, n) => `block ${two(n)} ${fill(n * 7, 50)}\n`).join('');
export const ECHO_HEADER = 'echo: type, end with Ctrl-D\n';
export const BYE = '\nbye\n';
/** Everything main.ts writes before it echoes. */
export const OUTPUT_TEXT = BANNER + LINES_TEXT + BLOCK_TEXT + ECHO_HEADER;

// ------------------------------------------------------------------------------------------------ the plan
export interface InputEvent {
  /** Instructions after the domains start. */
  at: number;
  text: string;
  kind: 'early' | 'typed' | 'paste' | 'end';
}

export interface ConsolePlan {
  seed: number;
  /** Initial out_cons = out_prod and in_cons = in_prod (u32). */
  outStart: number;
  inStart: number;
  /** Instructions from a guest notification to the backend's answer. */
  latency: number;
  inputs: InputEvent[];
  /** A stretch with nothing to do: the instructions the guest runs between these two points are measured. */
  quiet: { from: number; to: number };
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

const WORDS = ['xen', 'ring', 'event', 'grant', 'domain', 'block', 'page', 'frame', 'vcpu', 'dom0', 'console', 'index', 'barrier', 'notify', 'sleep', 'wake', 'echo', 'byte'];

export function consolePlan(seed: number): ConsolePlan {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const words = (n: number) => Array.from({ length: n }, () => WORDS[int(0, WORDS.length - 1)]).join(' ');
  const U32 = 2 ** 32;
  // Seed 1 starts at 0 as a fresh console does; the others where a reconnected console may be: out[] wraps past
  // 2^32 early (seeds 2, 4, ...), in[] during the paste (2, 3, ...), or anywhere, not aligned to the ring size.
  const kind = ((seed - 1) % 4 + 4) % 4;
  const starts: [number, number][] = [
    [0, 0],
    [U32 - int(900, 1_900), U32 - int(40, 600)],
    [int(1, U32 - 1), U32 - int(1_200, 2_000)],
    [U32 - int(1, 16), int(1, U32 - 1)],
  ];
  const [outStart, inStart] = starts[kind]!;
  const inputs: InputEvent[] = [];
  const type = (at: number, text: string, kind: InputEvent['kind'], gap: [number, number]) => {
    for (const ch of text) { inputs.push({ at, text: ch, kind }); at += int(gap[0], gap[1]); }
    return at;
  };
  // One after another, so that arrival order is typing order: the session ends by about 4,000,000 instructions.
  type(int(5_000, 60_000), `${words(int(2, 4))}\n`, 'early', [300, 3_000]);
  let at = int(600_000, 700_000);
  for (let k = 0; k < 3; k++) at = type(at, `${words(int(2, 5))}\n`, 'typed', [2_000, 8_000]) + int(50_000, 150_000);
  const paste = Array.from({ length: int(38, 48) }, (_, i) => `paste ${String(i).padStart(3, '0')}: ${words(int(6, 10))}\n`).join('');
  inputs.push({ at, text: paste, kind: 'paste' });
  at = type(at + int(400_000, 500_000), `${words(int(3, 5))}\n`, 'typed', [2_000, 8_000]);
  const quiet = { from: at + 300_000, to: at + 700_000 };
  inputs.push({ at: quiet.to + int(0, 50_000), text: CTRL_D, kind: 'end' });
  return { seed, outStart: outStart >>> 0, inStart: inStart >>> 0, latency: int(2_000, 20_000), inputs, quiet };
}

/** Everything typed before Ctrl-D, in order: what a correct kernel echoes. */
export function typedText(plan: ConsolePlan): string {
  return plan.inputs.filter((e) => e.kind !== 'end').map((e) => e.text).join('');
}

// ------------------------------------------------------------------------------------------------ the run
export interface ConsoleObservation {
  outStart: number;
  inStart: number;
  latency: number;
  /** Bytes Dom0 drained from out[], in order. */
  ringOutput: string;
  /** Notifications the guest sent Dom0 on the console channel. */
  notifications: number;
  /** Set when Dom0 found the indices impossible and stopped the console. */
  broken?: string;
  /** Bytes typed that never got into in[] (the guest did not make room). */
  inputBacklog: number;
  /** Bytes typed by the end of the run. */
  typedBytes: number;
  /** The most unread bytes Dom0 found in out[] when it answered, and the most typed bytes it had to hold back. */
  peaks: { out: number; backlog: number };
  /** The console page's indices after the run. */
  final: { in_cons: number; in_prod: number; out_cons: number; out_prod: number };
  /** Instructions the guest ran, and the virtual time it used its CPU budget up (then it was paused). */
  cpu: number;
  cpuBudget: number;
  cpuExhaustedAt?: number;
  /** Instructions the guest ran during the quiet stretch (undefined if the run ended before it). */
  quiet: { from: number; to: number; ran?: number };
}

function u32le(b: Uint8Array): number { return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0; }

function u32bytes(v: number): Uint8Array { return new Uint8Array([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255]); }

export function setupConsole(ctx: SetupContext): RunHooks {
  const { host } = ctx;
  const plan = consolePlan(ctx.seed);
  let dom: Domain | undefined;
  let t0 = 0;
  let notifications = 0;
  let typedBytes = 0;
  let cpuExhaustedAt: number | undefined;
  let quietStart: number | undefined;
  let quietRan: number | undefined;
  let answer: (() => void) | undefined;
  let scheduled = false;
  const peaks = { out: 0, backlog: 0 };
  const page = () => {
    const b = host.hv.port(dom!.domid).readFrame(dom!.consoleMfn, XENCONS.in_cons, 16);
    return { in_cons: u32le(b), in_prod: u32le(b.subarray(4)), out_cons: u32le(b.subarray(8)), out_prod: u32le(b.subarray(12)) };
  };
  const at = (when: number, fire: () => void) => host.hv.timers.add({ deadline: t0 + when, domid: dom!.domid, fire });
  return {
    started(doms) {
      dom = doms[0]!;
      t0 = host.hv.clock.instructions;
      const port = host.hv.port(dom.domid);
      for (const [off, v] of [[XENCONS.in_cons, plan.inStart], [XENCONS.in_prod, plan.inStart], [XENCONS.out_cons, plan.outStart], [XENCONS.out_prod, plan.outStart]] as const) {
        port.writeFrame(dom.consoleMfn, off, u32bytes(v));
      }
      const con = host.dom0.consoles.get(dom.domid)!;
      // The slow backend: a notification is answered `latency` instructions later; those that come meanwhile
      // are answered by the same pass, as an event channel coalesces them.
      answer = con.handleEvent.bind(con);
      con.handleEvent = () => {
        notifications++;
        if (scheduled) return;
        scheduled = true;
        host.hv.timers.add({ deadline: host.hv.clock.instructions + plan.latency, domid: dom!.domid, fire: () => {
          scheduled = false;
          const p = page();
          peaks.out = Math.max(peaks.out, (p.out_prod - p.out_cons) >>> 0);
          answer!();
        } });
      };
      for (const e of plan.inputs) {
        at(e.at, () => {
          typedBytes += e.text.length;
          con.input(e.text);
          peaks.backlog = Math.max(peaks.backlog, con.inputBacklog);
        });
      }
      at(plan.quiet.from, () => { quietStart = dom!.instructionsRun; });
      at(plan.quiet.to, () => { if (quietStart !== undefined) quietRan = dom!.instructionsRun - quietStart; });
    },
    every: 25_000,
    tick(now) {
      if (dom && cpuExhaustedAt === undefined && dom.instructionsRun > CPU_BUDGET && dom.alive) {
        cpuExhaustedAt = now;
        host.hv.pause(dom);
      }
    },
    observe() {
      if (!dom) return {};
      const con = host.dom0.consoles.get(dom.domid);
      // A notification still waiting for the backend when the domain stopped is answered, as xenconsoled drains a
      // dead domain's ring; output never notified stays unread.
      if (scheduled && answer) { scheduled = false; answer(); }
      const o: ConsoleObservation = {
        outStart: plan.outStart, inStart: plan.inStart, latency: plan.latency,
        ringOutput: con ? con.logText() : '',
        notifications,
        ...(con?.broken ? { broken: con.broken } : {}),
        inputBacklog: con?.inputBacklog ?? 0,
        typedBytes,
        peaks,
        final: page(),
        cpu: dom.instructionsRun,
        cpuBudget: CPU_BUDGET,
        ...(cpuExhaustedAt !== undefined ? { cpuExhaustedAt } : {}),
        quiet: { ...plan.quiet, ...(quietRan !== undefined ? { ran: quietRan } : {}) },
      };
      return o as unknown as Record<string, unknown>;
    },
  };
}
