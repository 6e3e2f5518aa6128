// Virtual time: derived from retired instructions only, so runs are
// deterministic. ns = instructions * 1e9 / ips; tsc = instructions * tscHz / ips.

export interface ClockOptions {
  /** Instructions per virtual second (default 1e9). */
  ips?: number;
  /** TSC frequency in Hz (default 2e9). */
  tscHz?: number;
}

export class VirtualClock {
  /** Retired instructions, exact; advanced by Cpu.run. */
  instructions = 0;
  readonly ips: number;
  readonly tscHz: number;

  constructor(opts: ClockOptions = {}) {
    this.ips = opts.ips ?? 1e9;
    this.tscHz = opts.tscHz ?? 2e9;
    if (!(this.ips > 0) || !(this.tscHz > 0)) throw new RangeError('clock rates must be positive');
  }

  ns(): bigint {
    return (BigInt(this.instructions) * 1_000_000_000n) / BigInt(Math.round(this.ips));
  }

  tsc(): bigint {
    return (BigInt(this.instructions) * BigInt(Math.round(this.tscHz))) / BigInt(Math.round(this.ips));
  }

  /** The instruction count at which `ns()` first reaches `ns` (for timers). */
  instructionsAt(ns: bigint): number {
    const ips = BigInt(Math.round(this.ips));
    return Number((ns * ips + 999_999_999n) / 1_000_000_000n);
  }
}
