// The check API: what an exercise is, what a check sees of a run, and what it answers.
// Exercises (exercises/NN-name/exercise.ts) and hidden checks (grader/checks/) are written against this file only.

/** How one check ended. Kept distinct in every report. */
export type Outcome = 'PASS' | 'FAIL' | 'TIMEOUT' | 'CRASH' | 'BUILD ERROR' | 'NOT RUN';
export const OUTCOMES: readonly Outcome[] = ['PASS', 'FAIL', 'TIMEOUT', 'CRASH', 'BUILD ERROR', 'NOT RUN'];

/** One hypercall the guest made, as the hypervisor recorded it. */
export interface HypercallObservation {
  nr: number;
  name: string;
  args: number[];
  result: number;
  /** Address of the `int $0x82` that trapped. */
  callerEip: number;
  /** True when that `int $0x82` lies inside the hypercall page Xen filled in. */
  viaHypercallPage: boolean;
  /** Instructions retired when the call was made (the virtual clock). */
  instructions: number;
}

export type ShutdownReason = 'poweroff' | 'reboot' | 'suspend' | 'crash';

/** Everything observable from outside one boot of a submission. */
export interface RunObservation {
  /** How the run stopped: the domain shut down, crashed (a fault Xen could not deliver), or spent its instruction budget. */
  end: 'shutdown' | 'crashed' | 'budget';
  instructions: number;
  budget: number;
  /** Domain state when the run stopped ('shutdown', 'crashed', 'running', ...). */
  state: string;
  shutdownReason?: ShutdownReason;
  /** The raw SHUTDOWN_* code passed to sched_op, when the guest shut down. */
  shutdownCode?: number;
  /** Set when the domain crashed: why, where, and the register file. */
  crash?: { reason: string; eip: number; insn: string; regs: Record<string, number> };
  /** All text the guest printed, in order (emergency console and console ring). */
  console: string;
  hypercalls: HypercallObservation[];
  /** Later exercises: XenStore contents, disk image, grant state. Checks read these when present. */
  xenstore?: Record<string, string>;
  disk?: Uint8Array;
  /** SHA-256 over a canonical form of everything above: equal runs give equal hashes. */
  traceHash: string;
}

/** What a check is given. */
export interface CheckContext {
  run: RunObservation;
  /** Console text split into lines (a trailing partial line is kept; CR removed). */
  lines: string[];
  /** Hypercalls by name ('console_io', 'sched_op', ...). */
  calls(name: string): HypercallObservation[];
  /** The seed the run used. */
  seed: number;
  /** The student's source position ("kernel/hello.ts:12") of a code address, from the kernel's line table. */
  locate(addr: number): string | undefined;
  /** The submission's student files (path relative to the exercise folder -> text), for checks that point at a line. */
  sources: Record<string, string>;
}

/** A check's answer. `expected`/`actual` are short sentences a student can read. */
export type Verdict =
  | { pass: true; note?: string }
  | { pass: false; expected: string; actual: string; hint?: string };

export interface Check {
  /** Stable identifier (kebab-case), unique within the exercise. */
  id: string;
  /** What is checked, as a student would say it. */
  title: string;
  /** Points this check is worth. */
  weight: number;
  /** Hidden checks are graded by the instructor's kit only and shown to students after the due date. */
  hidden?: boolean;
  /** Ids of checks that must pass first; if one does not, this check is NOT RUN. */
  dependsOn?: string[];
  run(ctx: CheckContext): Verdict;
}

export interface Exercise {
  /** Two digits: '01'. */
  id: string;
  /** Folder name under exercises/: '01-hello'. */
  slug: string;
  title: string;
  /** The files a student edits, relative to the exercise folder (the first is the kernel's entry file). */
  studentFiles: string[];
  /** Folder (relative to the exercise folder) the kernel may import from besides the kit. */
  sourceRoot: string;
  /** Instruction budget for one boot. */
  budget: number;
  /** Seed used when none is given. */
  seed: number;
  memoryMiB?: number;
  cmdline?: string;
  checks: Check[];
}

export function pass(note?: string): Verdict {
  return note === undefined ? { pass: true } : { pass: true, note };
}

export function fail(expected: string, actual: string, hint?: string): Verdict {
  return hint === undefined ? { pass: false, expected, actual } : { pass: false, expected, actual, hint };
}

/** A short, printable rendering of text for expected/actual lines. */
export function quote(text: string, max = 80): string {
  const shown = JSON.stringify(text.length > max ? text.slice(0, max) : text);
  return text.length > max ? `${shown}... (${text.length} characters)` : shown;
}

/** The 1-based line in `source` holding `needle`, for hints that point at a TODO. */
export function lineOf(source: string | undefined, needle: string): number | undefined {
  if (!source) return undefined;
  const i = source.split('\n').findIndex((l) => l.includes(needle));
  return i < 0 ? undefined : i + 1;
}
