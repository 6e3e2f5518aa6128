// Guest timers on the virtual clock: set_timer_op and vcpu_op's single-shot
// and periodic timers raise VIRQ_TIMER; SCHEDOP_poll's timeout wakes the
// domain. Deadlines are absolute system times (ns since boot).
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import type { HypercallEntry } from './hypercall.js';
import type { Timer } from './timers.js';
import { HYPERVISOR as H, VCPUOP, VCPU_SSHOTTMR, VIRQ, XEN_ERRNO } from './public/xen.js';

const { EFAULT, EINVAL, ENOENT, ENOSYS, ETIME } = XEN_ERRNO;
const MS = 1_000_000;
/** Xen gives PV VCPUs a 10 ms periodic timer by default. */
export const DEFAULT_PERIOD_NS = 10 * MS;

interface DomainTimers { singleshot?: Timer; periodic?: Timer; periodNs: number; poll?: Timer; periodicStarted: boolean }

export class TimerOps {
  private byDomain = new Map<number, DomainTimers>();
  constructor(readonly hv: Hypervisor) {}

  private of(dom: Domain): DomainTimers {
    let t = this.byDomain.get(dom.domid);
    if (!t) { t = { periodNs: DEFAULT_PERIOD_NS, periodicStarted: false }; this.byDomain.set(dom.domid, t); }
    return t;
  }

  private at(ns: number): number { return this.hv.clock.instructionsAt(BigInt(Math.max(0, Math.floor(ns)))); }
  private now(): number { return Number(this.hv.clock.ns()); }

  private timerEvent(dom: Domain): void {
    if (dom.alive) this.hv.events.sendVirq(dom, VIRQ.TIMER);
  }

  setSingleshot(dom: Domain, timeoutNs: number): void {
    const t = this.of(dom);
    if (t.singleshot) this.hv.timers.remove(t.singleshot);
    t.singleshot = undefined;
    const timer: Timer = { deadline: this.at(timeoutNs), domid: dom.domid, fire: () => { t.singleshot = undefined; this.timerEvent(dom); } };
    if (timer.deadline <= this.hv.clock.instructions) { this.timerEvent(dom); return; }
    t.singleshot = timer;
    this.hv.timers.add(timer);
  }

  stopSingleshot(dom: Domain): void {
    const t = this.of(dom);
    if (t.singleshot) this.hv.timers.remove(t.singleshot);
    t.singleshot = undefined;
  }

  setPeriodic(dom: Domain, periodNs: number): void {
    const t = this.of(dom);
    this.stopPeriodic(dom);
    t.periodNs = periodNs;
    t.periodicStarted = true;
    if (periodNs === 0) return;
    let next = this.now() + periodNs;
    const timer: Timer = {
      deadline: this.at(next), domid: dom.domid,
      fire: () => {
        this.timerEvent(dom);
        next += periodNs;
        timer.deadline = Math.max(this.at(next), this.hv.clock.instructions + 1);
        if (dom.alive) this.hv.timers.add(timer);
      },
    };
    t.periodic = timer;
    this.hv.timers.add(timer);
  }

  stopPeriodic(dom: Domain): void {
    const t = this.of(dom);
    if (t.periodic) this.hv.timers.remove(t.periodic);
    t.periodic = undefined;
    t.periodicStarted = true;
  }

  /** The default periodic timer starts when VIRQ_TIMER is first bound (before that it could wake nobody). */
  virqTimerBound(dom: Domain): void {
    const t = this.of(dom);
    if (!t.periodicStarted) this.setPeriodic(dom, t.periodNs);
  }

  pollTimeout(dom: Domain, timeoutNs: number): void {
    const t = this.of(dom);
    if (t.poll) this.hv.timers.remove(t.poll);
    t.poll = { deadline: Math.max(this.at(timeoutNs), this.hv.clock.instructions + 1), domid: dom.domid, fire: () => { t.poll = undefined; this.hv.wake(dom); } };
    this.hv.timers.add(t.poll);
  }

  domainDied(dom: Domain): void { this.byDomain.delete(dom.domid); }

  vcpuOp(dom: Domain, cmd: number, vcpu: number, arg: number): number {
    if (vcpu !== 0) return -ENOENT;
    switch (cmd) {
      case VCPUOP.is_up: return 1;
      case VCPUOP.up: return 0;
      case VCPUOP.set_singleshot_timer: {
        const b = dom.guest.read(arg, 12);
        if (!b) return -EFAULT;
        const v = new DataView(b.buffer);
        const timeout = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
        if ((v.getUint32(8, true) & VCPU_SSHOTTMR.future) && timeout < this.now()) return -ETIME;
        this.setSingleshot(dom, timeout);
        return 0;
      }
      case VCPUOP.stop_singleshot_timer: this.stopSingleshot(dom); return 0;
      case VCPUOP.set_periodic_timer: {
        const b = dom.guest.read(arg, 8);
        if (!b) return -EFAULT;
        const v = new DataView(b.buffer);
        const period = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
        if (period < MS || period > 2 ** 62) return -EINVAL;
        this.setPeriodic(dom, period);
        return 0;
      }
      case VCPUOP.stop_periodic_timer: this.stopPeriodic(dom); return 0;
      default: return -ENOSYS;
    }
  }
}

export const HYPERCALLS_TIME: Record<number, HypercallEntry> = {
  // x86_32: the u64 timeout arrives as two 32-bit arguments; 0 cancels.
  [H.set_timer_op]: {
    arity: 2,
    fn: (hv, d, a) => {
      const timeout = a[0] + a[1] * 2 ** 32;
      if (timeout === 0) hv.timerOps.stopSingleshot(d); else hv.timerOps.setSingleshot(d, timeout);
      return 0;
    },
  },
  [H.vcpu_op]: { arity: 3, fn: (hv, d, a) => hv.timerOps.vcpuOp(d, a[0], a[1], a[2]) },
};
