// The hypervisor: owns the machine (memory, CPU, clock), builds domains,
// switches between them and handles every exit of the CPU: hypercalls
// (int $0x82), other software interrupts and exceptions (bounced to the
// guest's trap table, or the domain is crashed with a report).
import { Cpu, PhysicalMemory, VirtualClock, Seg, Reg, type Exit } from '../machine/index.js';
import { Domain, type ShutdownReason } from './domain.js';
import { parseKernelImage, BadKernelError } from './kernel_image.js';
import { buildDomain, type BuildHost } from './domain_build.js';
import { FrameTable, INVALID_M2P } from './frames.js';
import { makeCrash } from './crash.js';
import { dispatchHypercall } from './hypercall.js';
import { installHypercalls } from './hypercall_table.js';
import { DOMID, PAGE } from './public/xen.js';
import { GDT_LIMIT, GDT_VIRT_START } from './layout.js';
import { initTime, updateTime } from './time.js';
import { deliverException, deliverSoftwareInterrupt, deliverPendingUpcall } from './traps.js';
import type { Scheduler } from './schedule.js';
import { CreditScheduler } from './sched_credit.js';
import type { TimerQueue } from './timers.js';
import { Timers } from './timers.js';
import { EventChannels } from './event_channel.js';
import { GrantTables } from './grant_table.js';
import { TimerOps } from './timer_ops.js';
import { Mm } from './mm.js';
import { DOM0, hostPort, type HostPort } from './host_port.js';
import { start_info } from './public/structs.js';
import { GTF } from './public/xen.js';

export interface HypervisorOptions {
  clock?: { ips?: number; tscHz?: number };
  wallclock?: { sec: number; nsec: number };
  hostMemoryMiB?: number;
  seed?: number;
  /** One line per traced event (`--trace hypercalls`). */
  onTrace?: (line: string) => void;
  scheduler?: Scheduler;
}

export interface CreateDomainOptions {
  kernel: Uint8Array;
  memoryMiB?: number;
  cmdline?: string;
  name?: string;
}

export interface RunResult {
  outcome: 'shutdown' | 'crashed' | 'budget';
  /** Instructions retired by guests during this run. */
  instructions: number;
  /** Set when the run stopped early for a reason other than the budget (e.g. every domain blocked forever). */
  note?: string;
}

const CR0_PE = 1, CR0_ET = 0x10, CR0_WP = 1 << 16, CR0_PG = 0x80000000;

export class Hypervisor implements BuildHost {
  readonly clock: VirtualClock;
  readonly mem: PhysicalMemory;
  readonly cpu: Cpu;
  readonly frames: FrameTable;
  readonly domains: Domain[] = [];
  readonly wallclock: { sec: number; nsec: number };
  readonly onTrace?: (line: string) => void;
  readonly scheduler: Scheduler;
  readonly timers: TimerQueue;
  readonly events: EventChannels;
  readonly grants: GrantTables;
  readonly timerOps: TimerOps;
  readonly mm: Mm;
  m2pL1Mfn = 0;
  zeroMfn = 0;
  /** The domain whose state is loaded in the CPU, if any. */
  current: Domain | null = null;
  /** Set by a handler to end the current time slice (yield, block, shutdown). */
  reschedule = false;
  /** The domain whose time slice is under way, and what is left of it (instructions). */
  private sliceOwner: Domain | undefined;
  private sliceLeft = 0;
  private nextDomid = 1;
  /** Seeds the domain builder's placement of machine frames. */
  readonly seed: number;
  private guestInstructions = 0;

  constructor(opts: { clock?: { ips?: number; tscHz?: number }; wallclock?: { sec: number; nsec: number }; hostMemoryMiB?: number; seed?: number; onTrace?: (line: string) => void; scheduler?: Scheduler } = {}) {
    this.clock = new VirtualClock(opts.clock ?? {});
    const mib = opts.hostMemoryMiB ?? 256;
    if (!Number.isInteger(mib) || mib < 8 || mib > 2048) throw new RangeError(`hostMemoryMiB must be an integer from 8 to 2048, got ${mib}`);
    this.mem = new PhysicalMemory(mib << 20);
    this.cpu = new Cpu(this.mem, this.clock);
    this.frames = new FrameTable(this.mem);
    this.seed = opts.seed ?? 0;
    this.wallclock = opts.wallclock ?? { sec: 0, nsec: 0 };
    this.onTrace = opts.onTrace;
    this.scheduler = opts.scheduler ?? new CreditScheduler({ instructionsPerMs: this.clock.ips / 1000 });
    this.timers = new Timers();
    this.events = new EventChannels(this);
    this.grants = new GrantTables(this);
    this.timerOps = new TimerOps(this);
    this.mm = new Mm(this);
    installHypercalls();
    this.bootMachine();
  }

  /** Machine-wide setup: the M2P table and its read-only L1, the zero frame, CPU control registers and claims. */
  private bootMachine(): void {
    const { frames, mem, cpu } = this;
    const m2pFrames = Math.ceil((frames.nrFrames * 4) / 4096);
    const first = frames.alloc(DOMID.XEN);
    for (let i = 1; i < m2pFrames; i++) frames.alloc(DOMID.XEN); // fresh frames are contiguous
    frames.m2pBase = first << 12;
    mem.fill(frames.m2pBase, m2pFrames * 4096, 0xff); // INVALID_M2P everywhere
    void INVALID_M2P;
    this.m2pL1Mfn = frames.alloc(DOMID.XEN);
    for (let i = 0; i < m2pFrames && i < 1024; i++) {
      mem.write32((this.m2pL1Mfn << 12) + i * 4, ((first + i) << 12) | PAGE.PRESENT | PAGE.ACCESSED | PAGE.USER);
    }
    this.zeroMfn = frames.alloc(DOMID.XEN);
    cpu.setCr0(CR0_PE | CR0_ET | CR0_WP | CR0_PG);
    cpu.setCr4(0);
    cpu.gdtr = { base: GDT_VIRT_START, limit: GDT_LIMIT };
    cpu.idtr = { base: 0, limit: 0 };
    for (let v = 0; v < 256; v++) cpu.claimInterrupt(v, true);
    for (let v = 0; v < 32; v++) cpu.claimException(v, true);
    cpu.claimAllIo(true);
  }

  initTime(dom: Domain): void { initTime(this, dom); }

  /** Builds a domain from an ELF32 PV kernel and makes it runnable. Throws BadKernelError for bad input. */
  createDomain(opts: CreateDomainOptions): Domain {
    const image = parseKernelImage(opts.kernel);
    const memoryMiB = opts.memoryMiB ?? 32;
    if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > 1024) {
      throw new BadKernelError(`memory must be a whole number of MiB from 1 to 1024, got ${memoryMiB}`);
    }
    const domid = this.nextDomid++;
    const dom = new Domain(domid, opts.name ?? `domain-${domid}`, this.mem);
    try {
      buildDomain(this, dom, image, opts.kernel, { nrPages: memoryMiB * 256, cmdline: opts.cmdline ?? '', seed: this.seed });
    } catch (e) {
      this.releaseMemory(dom);
      throw e;
    }
    this.events.initDomain(dom);
    this.grants.initDomain(dom);
    if (this.dom0Attached) this.connectToDom0(dom);
    this.domains.push(dom);
    dom.state = 'running';
    this.scheduler.add(dom);
    return dom;
  }

  domain(domid: number): Domain | undefined { return this.domains.find((d) => d.domid === domid); }

  // ---------------------------------------------------------------- Dom0
  private dom0Attached = false;

  /**
   * Makes domain 0 the host-side Dom0: it gets an event-channel table whose
   * notifications call `onEvent(dom0Port)`, and every domain created from
   * now on gets XenStore and console rings (store_mfn/store_evtchn,
   * console.domU in start_info) and grant entries 0 and 1 for them.
   */
  attachDom0(opts: { onEvent: (port: number) => void }): void {
    this.events.registerHostDomain(DOM0, opts.onEvent);
    this.grants.registerHostDomain(DOM0);
    this.dom0Attached = true;
  }

  /** Dom0's access to a guest (see host_port.ts and README.md). */
  port(domid: number): HostPort { return hostPort(this, domid); }

  private connectToDom0(dom: Domain): void {
    const t = this.events.table(dom.domid)!;
    dom.storeEvtchn = this.events.allocUnbound(t, DOM0);
    dom.consoleEvtchn = this.events.allocUnbound(t, DOM0);
    const si = dom.startInfoVa;
    dom.guest.write32(si + start_info.offsetOf('store_mfn'), dom.storeMfn);
    dom.guest.write32(si + start_info.offsetOf('store_evtchn'), dom.storeEvtchn);
    dom.guest.write32(si + start_info.offsetOf('console.domU.mfn'), dom.consoleMfn);
    dom.guest.write32(si + start_info.offsetOf('console.domU.evtchn'), dom.consoleEvtchn);
    // The toolstack's reserved grants: 0 = console ring, 1 = XenStore ring, both to Dom0.
    for (const [ref, mfn] of [[0, dom.consoleMfn], [1, dom.storeMfn]]) {
      const e = this.grants.entry(dom.domid, ref)!;
      this.mem.write32(e.pa + 4, mfn);
      this.mem.write16(e.pa + 2, DOM0);
      this.mem.write16(e.pa, GTF.permit_access);
    }
  }

  // ---------------------------------------------------------------- running
  /** Runs all domains until every one has shut down or crashed, or `budget` instructions of virtual time are spent. */
  run(opts: { budget: number }): RunResult {
    const start = this.clock.instructions;
    const retiredBefore = this.guestInstructions;
    const end = start + Math.max(0, Math.floor(opts.budget));
    let note: string | undefined;
    while (this.clock.instructions < end) {
      this.fireTimers();
      // A domain keeps the CPU for its whole slice across exits (hypercalls, bounced faults), as on
      // Xen; the scheduler is asked again when the slice is used up, the domain stops running, or a
      // wake-up, yield, block or shutdown asked for it (a woken domain may be BOOSTed ahead).
      let dom = this.sliceOwner;
      if (!dom || this.sliceLeft <= 0 || this.reschedule || dom.state !== 'running') {
        this.reschedule = false;
        dom = this.scheduler.pick(this.clock.instructions);
        this.sliceOwner = dom;
        if (!dom) {
          if (!this.domains.some((d) => d.alive)) break;
          const wakeups = [this.timers.nextDeadline(), this.scheduler.nextWakeup?.(this.clock.instructions)].filter((x): x is number => x !== undefined);
          const next = wakeups.length ? Math.min(...wakeups) : undefined;
          if (next === undefined) { note = 'every domain is blocked with nothing left to wake it'; break; }
          this.clock.instructions = Math.min(end, Math.max(this.clock.instructions, next)); // idle until the next timer
          continue;
        }
        this.sliceLeft = this.scheduler.sliceFor(dom);
      }
      const slice = Math.max(1, Math.min(end - this.clock.instructions, this.sliceLeft, this.untilNextTimer()));
      const before = this.clock.instructions;
      this.runSlice(dom, slice);
      this.sliceLeft -= this.clock.instructions - before;
    }
    const instructions = this.guestInstructions - retiredBefore;
    const alive = this.domains.some((d) => d.alive);
    if (alive) return { outcome: 'budget', instructions, ...(note ? { note } : {}) };
    const crashed = this.domains.some((d) => d.state === 'crashed' || (d.state === 'shutdown' && d.shutdownReason === 'crash'));
    return { outcome: crashed ? 'crashed' : 'shutdown', instructions };
  }

  private untilNextTimer(): number {
    const next = this.timers.nextDeadline();
    return next === undefined ? Number.MAX_SAFE_INTEGER : Math.max(1, next - this.clock.instructions);
  }

  private fireTimers(): void {
    for (const t of this.timers.due(this.clock.instructions)) t.fire();
  }

  private runSlice(dom: Domain, slice: number): void {
    this.switchTo(dom);
    updateTime(this, dom);
    deliverPendingUpcall(this, dom);
    if (!dom.alive || dom.state !== 'running') return;
    this.loadContext(dom);
    const before = this.clock.instructions;
    const exit = this.cpu.run(slice);
    this.guestInstructions += this.clock.instructions - before;
    dom.instructionsRun += this.clock.instructions - before;
    this.scheduler.charge(dom, this.clock.instructions - before);
    this.saveContext(dom);
    this.reschedule = false;
    this.handleExit(dom, exit);
  }

  private switchTo(dom: Domain): void {
    if (this.current === dom) return;
    this.current = dom;
    this.cpu.setCr3(dom.ctx.cr3);
  }

  /** Loads the saved VCPU state into the CPU. */
  loadContext(dom: Domain): void {
    const { cpu } = this;
    const c = dom.ctx;
    cpu.regs.set(c.regs);
    cpu.eip = c.eip >>> 0;
    cpu.setEflags(c.eflags);
    for (let s = 0; s < 6; s++) cpu.setSegmentCache(s, c.segs[s]);
    cpu.cr2 = c.cr2;
    const ts = dom.traps.fpuTs ? 8 : 0;
    if ((cpu.cr0 & 8) !== ts) cpu.cr0 = ((cpu.cr0 & ~8) | ts) >>> 0;
    if (cpu.cr3 !== (c.cr3 >>> 0)) cpu.setCr3(c.cr3);
  }

  saveContext(dom: Domain): void {
    const { cpu } = this;
    const c = dom.ctx;
    c.regs.set(cpu.regs);
    c.eip = cpu.eip >>> 0;
    c.eflags = cpu.getEflags() >>> 0;
    for (let s = 0; s < 6; s++) c.segs[s] = { ...cpu.segs[s] };
    c.cr2 = cpu.cr2;
    c.cr3 = cpu.cr3;
  }

  /** Sets a domain's page-table base (CR3) and flushes its TLB if it is loaded. */
  setCr3(dom: Domain, cr3: number): void {
    dom.ctx.cr3 = cr3 >>> 0;
    if (this.current === dom) this.cpu.setCr3(cr3);
  }

  private handleExit(dom: Domain, exit: Exit): void {
    switch (exit.kind) {
      case 'budget':
        return;
      case 'interrupt':
        if (exit.vector === 0x82 && (dom.ctx.segs[Seg.CS].selector & 3) === 1) {
          dispatchHypercall(this, dom, exit.insnEip);
        } else {
          deliverSoftwareInterrupt(this, dom, exit.vector, exit.insnEip, exit.insnLength);
        }
        return;
      case 'exception':
        deliverException(this, dom, exit.vector, exit.errorCode, exit.cr2, exit.insnEip);
        return;
      case 'io':
        // Port I/O from a PV guest without I/O privilege: a #GP, as on real Xen.
        dom.ctx.eip = exit.insnEip;
        deliverException(this, dom, 13, 0, undefined, exit.insnEip);
        return;
      case 'hlt':
        dom.ctx.eip = (dom.ctx.eip) >>> 0;
        this.crashDomain(dom, 'hlt executed in ring 0 (impossible for a PV guest)');
        return;
      case 'shutdown':
        this.crashDomain(dom, `the CPU stopped: ${exit.reason}`);
        return;
    }
  }

  // ---------------------------------------------------------------- domain life cycle
  /** Crashes a domain with a report; its memory is kept for inspection until destroyed. */
  crashDomain(dom: Domain, reason: string, extra: { faultAddress?: number; errorCode?: number } = {}): void {
    if (!dom.alive) return;
    const { info, report } = makeCrash(this.mem, { reason, ctx: dom.ctx, ...extra });
    dom.crash = info;
    dom.crashReport = report; // the caller names the domain (xenlab run prints "domain N (name) crashed")
    dom.state = 'crashed';
    this.reschedule = true;
    this.trace(`d${dom.domid} crashed: ${reason}`);
    this.domainDied(dom);
  }

  shutdownDomain(dom: Domain, code: number): void {
    if (!dom.alive) return;
    const names: Record<number, ShutdownReason> = { 0: 'poweroff', 1: 'reboot', 2: 'suspend', 3: 'crash' };
    dom.shutdownCode = code;
    dom.shutdownReason = names[code] ?? 'crash';
    dom.state = 'shutdown';
    this.reschedule = true;
    this.trace(`d${dom.domid} shutdown: ${dom.shutdownReason}`);
    this.domainDied(dom);
  }

  private domainDied(dom: Domain): void {
    this.scheduler.remove(dom);
    this.timers.cancelDomain(dom.domid);
    this.timerOps.domainDied(dom);
    this.events.domainDied(dom);
  }

  pause(dom: Domain): void { if (dom.state === 'running' || dom.state === 'blocked') { dom.pausedFrom = dom.state; dom.state = 'paused'; } }
  unpause(dom: Domain): void { if (dom.state === 'paused') { dom.state = dom.pausedFrom ?? 'running'; dom.pausedFrom = undefined; } }

  /** Destroys a domain: its frames go back to the host. */
  destroyDomain(dom: Domain): void {
    if (dom.alive) { dom.state = 'dying'; this.domainDied(dom); }
    dom.state = 'dying';
    this.grants.destroyDomain(dom);
    this.releaseMemory(dom);
    const i = this.domains.indexOf(dom);
    if (i >= 0) this.domains.splice(i, 1);
    if (this.current === dom) this.current = null;
  }

  private releaseMemory(dom: Domain): void {
    // Frames other domains still map through grants outlive their owner until unmapped (see GrantTables.release).
    const stillMapped = new Set<number>();
    for (const other of this.domains) if (other !== dom) for (const f of this.grants.mappedFrames(other.domid)) stillMapped.add(f);
    for (const f of this.grants.mappedFrames(DOM0)) stillMapped.add(f);
    for (let mfn = 1; mfn < this.frames.nrFrames; mfn++) {
      if (this.frames.owner[mfn] !== dom.domid) continue;
      if (stillMapped.has(mfn)) this.grants.orphan(mfn); else this.frames.free(mfn);
    }
    for (const m of [dom.perdomainL1Mfn, dom.reservedGdtMfn]) if (m) this.frames.free(m);
    dom.p2m = [];
  }

  /** Wakes a blocked domain (an event arrived). */
  wake(dom: Domain): void {
    if (dom.state === 'blocked') { dom.state = 'running'; this.reschedule = true; }
    else if (dom.state === 'paused' && dom.pausedFrom === 'blocked') dom.pausedFrom = 'running';
  }

  trace(line: string): void {
    if (!this.onTrace) return;
    const us = Number(this.clock.ns() / 1000n);
    this.onTrace(`[${(us / 1e6).toFixed(6)}] ${line}`);
  }

  /** Updates the time a domain sees (before it runs and when asked). */
  updateTime(dom: Domain): void { updateTime(this, dom); }

  /** Current register file of a domain (its saved context: valid between slices and in handlers). */
  regs(dom: Domain): Uint32Array { return dom.ctx.regs; }
}

export { BadKernelError, Reg };
