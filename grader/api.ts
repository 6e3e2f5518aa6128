// The check API: what an exercise is, what a check sees of a run, and what it answers.
// Exercises (exercises/NN-name/exercise.ts) and hidden checks (grader/checks/) are written against this file only
// (and, for run setup hooks, the host they are given: hypervisor/host.ts).
import type { Domain, HypervisorOptions } from '../hypervisor/index.js';
import type { XenHost } from '../hypervisor/host.js';

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

/** Why and where a domain crashed (a fault Xen could not deliver), with its register file. */
export interface CrashObservation { reason: string; eip: number; insn: string; regs: Record<string, number> }

/** One domain of a run, as seen from outside. */
export interface DomainObservation {
  name: string;
  domid: number;
  state: string;
  shutdownReason?: ShutdownReason;
  shutdownCode?: number;
  crash?: CrashObservation;
  /** All text the domain printed, in order, on the emergency console and the console ring. */
  console: string;
  hypercalls: HypercallObservation[];
  /** Instructions the domain retired. */
  instructions: number;
}

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
  /** Set when the domain (or, failing that, any domain of the run) crashed. */
  crash?: CrashObservation;
  /** All text the guest printed, in order (emergency console and console ring). */
  console: string;
  hypercalls: HypercallObservation[];
  /** Every domain of the run, the first being the one the fields above describe. */
  domains?: DomainObservation[];
  /** The whole XenStore after the run (path -> value), as Dom0 reads it. */
  xenstore?: Record<string, string>;
  disk?: Uint8Array;
  /** What the exercise's observe() hook recorded (JSON-serialisable; part of the trace hash). */
  extra?: Record<string, unknown>;
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
  /** Seeds graded when none is given (default [seed]); a check passes only if it passes under every one. */
  seeds?: number[];
  /** Domains to boot, in order; default one domain named 'submission' built from studentFiles[0]. */
  domains?: ExerciseDomain[];
  /** Hypervisor options varied by seed (TSC frequency, wall clock, ...), over the grader's defaults. */
  hypervisor?: (seed: number) => Partial<HypervisorOptions>;
  /** Per-run setup and observation hooks. */
  setup?: (ctx: SetupContext) => RunHooks | void;
  checks: Check[];
}

export interface ExerciseDomain {
  name: string;
  /** A studentFiles entry (relative to the exercise folder) that is this domain's kernel; default studentFiles[0]. */
  file?: string;
  memoryMiB?: number;
  cmdline?: string;
}

export interface SetupContext {
  /** The hypervisor with Dom0, before any domain exists. */
  host: XenHost;
  seed: number;
  /** A fresh folder for this run (disk images), removed afterwards. */
  tmpdir: string;
  /** Gives the named domain a disk when it is created. */
  addDisk(domain: string, disk: { target: string; vdev?: string; mode?: 'r' | 'w' }): void;
}

export interface RunHooks {
  /** After the domains are built, before they run. */
  started?(domains: Domain[]): void;
  /** tick() is called every `every` instructions of virtual time (default 100000) while the domains run. */
  every?: number;
  tick?(instructionsSoFar: number): void;
  /** After the run: extra observations, stored in run.extra. */
  observe?(): Record<string, unknown>;
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
