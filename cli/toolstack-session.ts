// The machine behind `xenlab create`: the hypervisor and Dom0 (XenHost), the
// xl-style toolstack on top, and a run loop that advances virtual time in
// fixed slices. Slice boundaries sit at whole multiples of the slice length
// on the virtual clock, and everything from outside (control requests,
// XenStore socket writes, console keystrokes) is applied between slices, so a
// run is a function of its inputs and the virtual instants they land at.
// No sockets here: toolstack-host.ts serves this over the runtime folder.
import { readFileSync } from 'node:fs';
import { XenHost } from '../hypervisor/host.js';
import { ConfigError, Toolstack, ToolstackError, xenControl, type DomainInfo } from '../hypervisor/dom0/index.js';
import type { DomainRow } from './toolstack-runtime.js';

/** 1 ms of virtual time at the default 1e9 instructions per second: short enough to keep sockets responsive. */
export const DEFAULT_SLICE = 1_000_000;
const TRANSCRIPT_CHARS = 64 * 1024;

export type StepResult =
  /** A guest ran or a timer is due within the slice: call step again. */
  | { kind: 'ran'; idleNs: number }
  /** Nothing can run until something arrives from outside (input, a store write, a request). */
  | { kind: 'waiting' };

export class HostSession {
  readonly host: XenHost;
  readonly toolstack: Toolstack;
  private readonly transcripts = new Map<number, string>();
  private readonly listeners = new Set<(domid: number, text: string) => void>();
  private readonly hooked = new WeakSet<object>();
  private readonly reported = new WeakSet<object>();
  /** Set once a domain was created: a host whose domains are all gone has nothing left to do. */
  hadDomains = false;

  constructor(opts: { wallclock?: { sec: number; nsec: number }; sliceInstructions?: number; onEvent?: (line: string) => void } = {}) {
    this.host = new XenHost({ wallclock: opts.wallclock });
    // xenControl re-attaches Dom0 with the same event routing XenHost set up (before any domain exists).
    this.toolstack = new Toolstack(this.host.dom0, xenControl(this.host.hv, this.host.dom0));
    this.slice = opts.sliceInstructions ?? DEFAULT_SLICE;
    this.onEvent = opts.onEvent ?? (() => {});
    this.host.onConsole((domid, text) => this.emit(domid, text));
  }

  private readonly slice: number;
  private readonly onEvent: (line: string) => void;

  /** Create from an xl config or a scenario (a file with [name] sections). Throws ConfigError / ToolstackError. */
  create(file: string, paused = false): DomainInfo[] {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ToolstackError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const made = isScenario(text) ? this.toolstack.createScenario(file, { paused }) : [this.toolstack.createFromFile(file, { paused })];
    this.hookConsoles();
    this.hadDomains = true;
    return made;
  }

  /** Every domain the toolstack knows, as `xenlab list` shows them. */
  rows(): DomainRow[] {
    const ips = this.host.hv.clock.ips;
    return this.toolstack.list().map((d) => {
      const dom = this.host.hv.domain(d.domid);
      return { domid: d.domid, name: d.name, memoryMiB: d.memoryMiB, vcpus: d.config.vcpus, state: d.state, cpuSeconds: (dom?.instructionsRun ?? 0) / ips };
    });
  }

  get virtualSeconds(): number { return Number(this.host.hv.clock.ns()) / 1e9; }

  /** What domain `domid` printed so far (the last 64 Ki characters, both consoles in order). */
  transcript(domid: number): string { return this.transcripts.get(domid) ?? ''; }

  onConsole(l: (domid: number, text: string) => void): () => void { this.listeners.add(l); return () => this.listeners.delete(l); }

  /** Keyboard input for a domain's console ring (queued while the ring is full). */
  input(domid: number, data: Uint8Array): boolean {
    const con = this.host.dom0.consoles.get(domid);
    if (!con) return false;
    con.input(data);
    return true;
  }

  /** Run to the next slice boundary, then apply on_poweroff / on_crash to domains that stopped. */
  step(): StepResult {
    const hv = this.host.hv;
    const now = hv.clock.instructions;
    const target = (Math.floor(now / this.slice) + 1) * this.slice;
    const nsBefore = hv.clock.ns();
    const r = hv.run({ budget: target - now });
    const advanced = hv.clock.instructions - now;
    this.reap();
    if (r.note || (r.outcome !== 'budget' && advanced === 0)) return { kind: 'waiting' };
    const idle = Math.max(0, advanced - r.instructions);
    return { kind: 'ran', idleNs: Number(hv.clock.ns() - nsBefore) * (advanced ? idle / advanced : 0) };
  }

  private reap(): void {
    for (const dom of this.host.hv.domains) {
      if (dom.alive || this.reported.has(dom)) continue;
      this.reported.add(dom);
      if (dom.state === 'crashed') this.onEvent(`domain ${dom.domid} (${dom.name}) crashed\n${dom.crashReport ?? ''}`.trimEnd());
      else if (dom.state === 'shutdown') this.onEvent(`domain ${dom.domid} (${dom.name}) shut down (${dom.shutdownReason ?? 'unknown'})`);
    }
    let done: string[];
    try {
      done = this.toolstack.reapStopped();
    } catch (e) {
      // A restart that cannot be built again (the kernel file went away): say so, keep serving.
      if (!(e instanceof ToolstackError || e instanceof ConfigError)) throw e;
      done = [`restart failed: ${e.message}`];
    }
    for (const line of done) this.onEvent(line);
    if (done.length) this.hookConsoles();
  }

  /** Route the emergency console (console_io) of new domains into the same stream as the ring. */
  private hookConsoles(): void {
    for (const dom of this.host.hv.domains) {
      if (this.hooked.has(dom)) continue;
      this.hooked.add(dom);
      const domid = dom.domid;
      dom.onConsole = (text) => this.emit(domid, text);
    }
  }

  private emit(domid: number, text: string): void {
    const t = (this.transcripts.get(domid) ?? '') + text;
    this.transcripts.set(domid, t.length > TRANSCRIPT_CHARS ? t.slice(t.length - TRANSCRIPT_CHARS) : t);
    for (const l of this.listeners) l(domid, text);
  }

  /** Destroy every domain and release Dom0's files and sockets. */
  async close(): Promise<void> {
    for (const d of this.toolstack.list()) this.toolstack.destroy(d.domid);
    await this.host.close();
  }
}

/** A scenario file has `[domain-name]` section headers; an xl config never does. */
export function isScenario(text: string): boolean {
  return text.split('\n').some((l) => /^\s*\[\s*[^\]'"]*\]\s*(#.*)?$/.test(l));
}
