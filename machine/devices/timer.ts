// A one-shot timer on the virtual clock. The host arms it with a deadline in
// virtual nanoseconds and bounds each Cpu.run by `budgetUntilDeadline`, so
// expiry lands on an exact instruction count and runs stay deterministic.
import type { VirtualClock } from '../clock.js';

export class OneShotTimer {
  private deadlineNs: bigint | null = null;

  constructor(private readonly clock: VirtualClock) {}

  /** Arms the timer for absolute virtual time `ns` (replacing any earlier deadline). */
  arm(ns: bigint): void { this.deadlineNs = ns; }
  cancel(): void { this.deadlineNs = null; }
  get armed(): boolean { return this.deadlineNs !== null; }
  get deadline(): bigint | null { return this.deadlineNs; }

  /** True once (and disarms) when the deadline has passed. */
  poll(): boolean {
    if (this.deadlineNs === null || this.clock.ns() < this.deadlineNs) return false;
    this.deadlineNs = null;
    return true;
  }

  /** The largest run budget that does not pass the deadline (at least 1), capped at `max`. */
  budgetUntilDeadline(max: number): number {
    if (this.deadlineNs === null) return max;
    const left = this.clock.instructionsAt(this.deadlineNs) - this.clock.instructions;
    return Math.max(1, Math.min(max, left));
  }
}
