// A domain: its memory (P2M), its one VCPU's saved CPU state, and what the
// outside sees (state, console output, hypercall records, crash report).
import type { SegmentCache } from '../machine/index.js';
import { GuestMemory } from './guest_access.js';
import { TrapState } from './trap_state.js';
import type { PhysicalMemory } from '../machine/index.js';

export type DomainState = 'running' | 'blocked' | 'paused' | 'shutdown' | 'crashed' | 'dying';
export type ShutdownReason = 'poweroff' | 'reboot' | 'suspend' | 'crash';

export interface HypercallRecord {
  nr: number;
  name: string;
  args: number[];
  result: number;
  /** Address of the `int $0x82`. */
  callerEip: number;
  viaHypercallPage: boolean;
  /** Virtual clock instruction count when the call was made. */
  instructions: number;
}

export type HypercallListener = (r: HypercallRecord) => void;

export interface CrashInfo {
  reason: string;
  eip: number;
  insn: string;
  regs: Record<string, number>;
}

/** The architectural state of a descheduled VCPU. */
export interface VcpuContext {
  regs: Uint32Array;
  eip: number;
  eflags: number;
  segs: SegmentCache[];
  cr2: number;
  cr3: number;
}

/** Keep at most this many hypercall records per domain (fuzzers make millions). */
export const MAX_HYPERCALL_RECORDS = 100_000;

export class Domain {
  state: DomainState = 'paused';
  /** What the domain was doing when paused. */
  pausedFrom?: 'running' | 'blocked';
  shutdownReason?: ShutdownReason;
  /** The raw SHUTDOWN_* code the guest gave. */
  shutdownCode?: number;
  crashReport?: string;
  crash?: CrashInfo;
  consoleOutput = '';
  onConsole?: (text: string) => void;
  hypercalls: HypercallRecord[] = [];
  hypercallCount = 0;
  private hypercallListeners: HypercallListener[] = [];
  /** Instructions this domain has retired. */
  instructionsRun = 0;

  /** pfn -> mfn. */
  p2m: number[] = [];
  maxPages = 0;
  /** Frames the domain holds in its reservation (not counting shared_info). */
  totPages = 0;
  /** Enabled VMASST_TYPE_* bits. */
  vmAssist = 0;
  sharedInfoMfn = 0;
  startInfoVa = 0;
  hypercallPageVa?: number;
  /** Hypervisor-owned frames mapping this domain's GDT area (the per-domain L1 and the reserved GDT page). */
  perdomainL1Mfn = 0;
  reservedGdtMfn = 0;
  /** Frames the guest gave with set_gdt (mapped at GDT pages 0..n-1). */
  gdtFrames: number[] = [];
  /** Machine frames of the console and XenStore rings (start-of-day pages). */
  consoleMfn = 0;
  storeMfn = 0;
  /** The guest's ends of its XenStore and console channels to Dom0 (0 without Dom0). */
  storeEvtchn = 0;
  consoleEvtchn = 0;

  readonly traps = new TrapState();
  readonly ctx: VcpuContext;
  readonly guest: GuestMemory;

  constructor(readonly domid: number, readonly name: string, mem: PhysicalMemory) {
    const seg: SegmentCache = { selector: 0, base: 0, limit: 0, access: 0, big: false };
    this.ctx = { regs: new Uint32Array(8), eip: 0, eflags: 0x202, segs: Array.from({ length: 6 }, () => ({ ...seg })), cr2: 0, cr3: 0 };
    this.guest = new GuestMemory(mem, () => this.ctx.cr3);
  }

  get nrPages(): number { return this.p2m.length; }

  /** Alive: may still run (not shut down, crashed or being destroyed). */
  get alive(): boolean { return this.state === 'running' || this.state === 'blocked' || this.state === 'paused'; }

  appendConsole(text: string): void {
    if (!text) return;
    this.consoleOutput += text;
    this.onConsole?.(text);
  }

  /**
   * Calls `fn` with the record of each hypercall this domain makes from now on (every one, also past
   * MAX_HYPERCALL_RECORDS), once Xen has handled it: results are in the guest's registers and memory. A
   * continued hypercall gives one record per step. Returns a function that removes the listener.
   */
  onHypercall(fn: HypercallListener): () => void {
    this.hypercallListeners.push(fn);
    return () => {
      const i = this.hypercallListeners.indexOf(fn);
      if (i >= 0) this.hypercallListeners.splice(i, 1);
    };
  }

  record(r: HypercallRecord): void {
    this.hypercallCount++;
    if (this.hypercalls.length < MAX_HYPERCALL_RECORDS) this.hypercalls.push(r);
    if (this.hypercallListeners.length) for (const fn of this.hypercallListeners.slice()) fn(r);
  }
}
