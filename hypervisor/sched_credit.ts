// A proportional-share scheduler in the manner of Xen's credit scheduler:
// every accounting period each active domain earns credits in proportion to
// its weight; running burns them. Domains with credit left (UNDER) run
// before those without (OVER); a domain that wakes from blocking with credit
// left is BOOSTed ahead of both. A cap limits a domain to a share of the CPU
// per period even when the CPU is otherwise idle. Time is the virtual clock.
import type { Domain } from './domain.js';
import type { Scheduler } from './schedule.js';

const enum Prio { Boost = 0, Under = 1, Over = 2 }

interface Vcpu { dom: Domain; weight: number; cap: number; credit: number; usedThisPeriod: number; parked: boolean; prio: Prio; wasBlocked: boolean }

export interface CreditOptions {
  /** Instructions per virtual millisecond (the clock's ips / 1000). */
  instructionsPerMs: number;
  /** Time slice in ms (Xen credit1 ticks every 10 ms and accounts every 30). */
  sliceMs?: number;
  /** Accounting period in ms (Xen: 30). */
  periodMs?: number;
}

export class CreditScheduler implements Scheduler {
  readonly name = 'credit';
  private vcpus: Vcpu[] = [];
  private readonly slice: number;
  private readonly period: number;
  private nextAccounting = 0;
  private rr = 0;

  constructor(opts: CreditOptions) {
    this.slice = Math.max(1, Math.round((opts.sliceMs ?? 10) * opts.instructionsPerMs));
    this.period = Math.max(1, Math.round((opts.periodMs ?? 30) * opts.instructionsPerMs));
  }

  add(dom: Domain): void {
    if (!this.vcpus.some((v) => v.dom === dom)) {
      this.vcpus.push({ dom, weight: 256, cap: 0, credit: 0, usedThisPeriod: 0, parked: false, prio: Prio.Under, wasBlocked: false });
    }
  }

  remove(dom: Domain): void { this.vcpus = this.vcpus.filter((v) => v.dom !== dom); }

  /** Weight (1..65535, default 256) and cap (percent of one CPU, 0 = none), as `xl sched-credit` sets them. */
  setParams(dom: Domain, params: { weight?: number; cap?: number }): void {
    const v = this.vcpus.find((x) => x.dom === dom);
    if (!v) return;
    if (params.weight !== undefined) v.weight = Math.min(65535, Math.max(1, Math.floor(params.weight)));
    if (params.cap !== undefined) v.cap = Math.min(100, Math.max(0, Math.floor(params.cap)));
  }

  params(dom: Domain): { weight: number; cap: number } | undefined {
    const v = this.vcpus.find((x) => x.dom === dom);
    return v && { weight: v.weight, cap: v.cap };
  }

  private account(now: number): void {
    if (now < this.nextAccounting) return;
    const periods = this.nextAccounting === 0 ? 1 : Math.floor((now - this.nextAccounting) / this.period) + 1;
    this.nextAccounting = (this.nextAccounting || now) + periods * this.period;
    const active = this.vcpus.filter((v) => v.dom.state === 'running' || v.parked);
    const total = active.reduce((sum, v) => sum + v.weight, 0);
    // Capped domains get at most their cap; what they cannot use goes to the others by weight.
    const grant = new Map<Vcpu, number>();
    let left = this.period;
    for (const v of active) {
      if (v.cap > 0) {
        const g = Math.min(Math.floor((this.period * v.weight) / total), Math.floor((this.period * v.cap) / 100));
        grant.set(v, g);
        left -= g;
      }
    }
    const uncappedWeight = active.filter((v) => v.cap === 0).reduce((sum, v) => sum + v.weight, 0);
    for (const v of active) if (v.cap === 0) grant.set(v, Math.floor((left * v.weight) / uncappedWeight));
    for (const v of this.vcpus) {
      v.usedThisPeriod = 0;
      v.parked = false;
      const g = grant.get(v);
      if (g === undefined) continue;
      // Credit is bounded both ways so old history cannot dominate the share.
      v.credit = Math.max(-this.period, Math.min(v.credit + g, this.period));
      v.prio = v.credit > 0 ? Prio.Under : Prio.Over;
    }
  }

  pick(now: number): Domain | undefined {
    this.account(now);
    for (const v of this.vcpus) {
      const blocked = v.dom.state === 'blocked';
      if (v.wasBlocked && !blocked && v.dom.state === 'running' && v.credit > 0) v.prio = Prio.Boost;
      v.wasBlocked = blocked;
    }
    const n = this.vcpus.length;
    for (const prio of [Prio.Boost, Prio.Under, Prio.Over]) {
      for (let k = 0; k < n; k++) {
        const v = this.vcpus[(this.rr + k) % n];
        if (v.prio !== prio || v.parked || v.dom.state !== 'running') continue;
        this.rr = (this.rr + k + 1) % n;
        return v.dom;
      }
    }
    return undefined;
  }

  sliceFor(dom: Domain): number {
    const v = this.vcpus.find((x) => x.dom === dom);
    if (!v) return this.slice;
    let s = v.prio === Prio.Boost ? Math.ceil(this.slice / 3) : this.slice;
    if (v.cap > 0) s = Math.min(s, Math.max(1, Math.floor((this.period * v.cap) / 100) - v.usedThisPeriod));
    return s;
  }

  charge(dom: Domain, instructions: number): void {
    const v = this.vcpus.find((x) => x.dom === dom);
    if (!v) return;
    v.credit -= instructions;
    v.usedThisPeriod += instructions;
    if (v.prio !== Prio.Boost || instructions > 0) v.prio = v.credit > 0 ? Prio.Under : Prio.Over;
    if (v.cap > 0 && v.usedThisPeriod >= Math.floor((this.period * v.cap) / 100)) v.parked = true;
  }

  yielded(dom: Domain): void {
    const v = this.vcpus.find((x) => x.dom === dom);
    if (v && v.prio === Prio.Boost) v.prio = v.credit > 0 ? Prio.Under : Prio.Over;
  }

  /** When parked (capped) domains become runnable again. */
  nextWakeup(): number | undefined {
    return this.vcpus.some((v) => v.parked && v.dom.state === 'running') ? this.nextAccounting : undefined;
  }
}
