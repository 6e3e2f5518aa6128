// Scheduling: the pluggable scheduler interface (in the manner of Xen's
// struct scheduler, book chapter 12), a round-robin scheduler, and the
// sched_op / sched_op_compat hypercalls (yield, block, shutdown, poll).
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { SCHEDOP, SHUTDOWN, XEN_ERRNO } from './public/xen.js';
import type { Timer } from './timers.js';
import { sched_poll, sched_shutdown } from './public/structs.js';
import { SI } from './shared_info.js';

/**
 * A scheduler chooses which runnable domain runs next and for how long.
 * Time is measured in retired instructions of the virtual clock.
 */
export interface Scheduler {
  readonly name: string;
  add(dom: Domain): void;
  remove(dom: Domain): void;
  /** A domain whose state is 'running', or undefined when none can run. */
  pick(now: number): Domain | undefined;
  /** Instructions the domain may run before the scheduler is asked again. */
  sliceFor(dom: Domain): number;
  /** The domain ran this many instructions. */
  charge(dom: Domain, instructions: number): void;
  /** The domain gave up the rest of its slice (SCHEDOP_yield or block). */
  yielded?(dom: Domain): void;
  /** The instruction count at which a domain that cannot run now (e.g. capped) may run again. */
  nextWakeup?(now: number): number | undefined;
}

/** Runs domains in turn, a fixed slice each. */
export class RoundRobinScheduler implements Scheduler {
  readonly name = 'round-robin';
  private queue: Domain[] = [];
  private at = 0;
  constructor(readonly slice = 1_000_000) {}
  add(dom: Domain): void { if (!this.queue.includes(dom)) this.queue.push(dom); }
  remove(dom: Domain): void {
    const i = this.queue.indexOf(dom);
    if (i < 0) return;
    this.queue.splice(i, 1);
    if (this.at > i) this.at--;
  }
  pick(): Domain | undefined {
    for (let k = 0; k < this.queue.length; k++) {
      const d = this.queue[(this.at + k) % this.queue.length];
      if (d.state === 'running') {
        this.at = (this.at + k + 1) % this.queue.length;
        return d;
      }
    }
    return undefined;
  }
  sliceFor(): number { return this.slice; }
  charge(): void {}
}

const { EFAULT, EINVAL, ENOSPC, ENOSYS, EPERM, ESRCH } = XEN_ERRNO;

/** SCHEDOP_block: clear the upcall mask and sleep unless an event is already pending. */
export function block(hv: Hypervisor, dom: Domain): number {
  const base = dom.sharedInfoMfn << 12;
  hv.events.stopPolling(dom);
  hv.mem.write8(base + SI.upcallMask(0), 0);
  hv.reschedule = true;
  hv.scheduler.yielded?.(dom);
  if (hv.mem.read8(base + SI.upcallPending(0))) return 0;
  dom.state = 'blocked';
  return 0;
}

export function schedYield(hv: Hypervisor, dom: Domain): number {
  hv.reschedule = true;
  hv.scheduler.yielded?.(dom);
  return 0;
}

/** Codes set with SCHEDOP_shutdown_code (Xen's d->shutdown_code before the shutdown itself). */
const presetCodes = new WeakMap<Domain, number>();

function shutdown(hv: Hypervisor, dom: Domain, reason: number): void {
  hv.shutdownDomain(dom, presetCodes.get(dom) ?? reason);
}

/** Xen's NR_DOMAIN_WATCHDOG_TIMERS. */
export const NR_WATCHDOGS = 2;
const watchdogs = new WeakMap<Domain, (Timer | undefined)[]>();

/**
 * SCHEDOP_watchdog as Xen's domain_watchdog: id 0 arms a free watchdog and returns its id
 * (1..2, -ENOSPC when both are armed); id N re-arms it with `timeout` seconds, or disarms
 * it when the timeout is 0 (-EINVAL for an id not armed). One that expires shuts the
 * domain down with SHUTDOWN_watchdog.
 */
function domainWatchdog(hv: Hypervisor, dom: Domain, id: number, timeout: number): number {
  let slots = watchdogs.get(dom);
  if (!slots) { slots = []; watchdogs.set(dom, slots); }
  const arm = (i: number) => {
    const old = slots[i];
    if (old) hv.timers.remove(old);
    const t: Timer = {
      deadline: hv.clock.instructionsAt(hv.clock.ns() + BigInt(timeout) * 1_000_000_000n), domid: dom.domid,
      fire: () => { hv.trace(`d${dom.domid} watchdog ${i + 1} expired`); shutdown(hv, dom, SHUTDOWN.watchdog); },
    };
    slots[i] = t;
    hv.timers.add(t);
  };
  if (id === 0) {
    for (let i = 0; i < NR_WATCHDOGS; i++) {
      if (slots[i]) continue;
      arm(i);
      return i + 1;
    }
    return -ENOSPC;
  }
  const i = id - 1;
  if (i >= NR_WATCHDOGS || !slots[i]) return -EINVAL;
  if (timeout === 0) { hv.timers.remove(slots[i]!); slots[i] = undefined; } else arm(i);
  return 0;
}

/** __HYPERVISOR_sched_op(cmd, arg). */
export function doSchedOp(hv: Hypervisor, dom: Domain, cmd: number, arg: number): number {
  switch (cmd) {
    case SCHEDOP.yield: return schedYield(hv, dom);
    case SCHEDOP.block: return block(hv, dom);
    case SCHEDOP.shutdown: {
      const b = dom.guest.read(arg, sched_shutdown.size);
      if (!b) return -EFAULT;
      // Xen takes the reason as a u8 and accepts any value (the toolstack decides what an unknown one means).
      shutdown(hv, dom, new DataView(b.buffer).getUint32(0, true) & 0xff);
      return 0;
    }
    case SCHEDOP.shutdown_code: {
      // Records the reason a later shutdown will report; the first one recorded wins, as in Xen.
      const b = dom.guest.read(arg, sched_shutdown.size);
      if (!b) return -EFAULT;
      if (!presetCodes.has(dom)) presetCodes.set(dom, new DataView(b.buffer).getUint32(0, true) & 0xff);
      return 0;
    }
    case SCHEDOP.poll: {
      const b = dom.guest.read(arg, sched_poll.size);
      if (!b) return -EFAULT;
      const v = new DataView(b.buffer);
      return hv.events.poll(dom, v.getUint32(0, true), v.getUint32(4, true),
        v.getUint32(8, true) + v.getUint32(12, true) * 2 ** 32);
    }
    case SCHEDOP.watchdog: {
      // struct sched_watchdog { uint32_t id; uint32_t timeout; } (seconds).
      const b = dom.guest.read(arg, 8);
      if (!b) return -EFAULT;
      const v = new DataView(b.buffer);
      return domainWatchdog(hv, dom, v.getUint32(0, true), v.getUint32(4, true));
    }
    case SCHEDOP.remote_shutdown: {
      // struct sched_remote_shutdown { domid_t domain_id; unsigned int reason; }: a toolstack
      // operation. Xen looks the domain up (-ESRCH), then refuses an unprivileged caller, itself included.
      const b = dom.guest.read(arg, 8);
      if (!b) return -EFAULT;
      const target = new DataView(b.buffer).getUint16(0, true);
      return target === 0 || hv.domain(target) ? -EPERM : -ESRCH;
    }
    default:
      return -ENOSYS;
  }
}

/** __HYPERVISOR_sched_op_compat(cmd, arg): the shutdown reason is the argument itself. */
export function doSchedOpCompat(hv: Hypervisor, dom: Domain, cmd: number, arg: number): number {
  switch (cmd) {
    case SCHEDOP.yield: return schedYield(hv, dom);
    case SCHEDOP.block: return block(hv, dom);
    case SCHEDOP.shutdown:
      shutdown(hv, dom, arg & 0xff);
      return 0;
    default:
      return -ENOSYS;
  }
}
