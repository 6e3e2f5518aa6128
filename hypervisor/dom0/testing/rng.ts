// A small seeded PRNG (mulberry32) so every fuzz run can be replayed from its seed.
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  u32(): number { return (this.int(0x10000) * 0x10000 + this.int(0x10000)) >>> 0; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  chance(p: number): boolean { return this.next() < p; }
  bytes(n: number): Uint8Array { return Uint8Array.from({ length: n }, () => this.int(256)); }
}

/** Seeds for a fuzz test: a short fixed slice by default, many more when XENLAB_FUZZ_LONG is set. */
export function fuzzSeeds(short: number, long: number): number[] {
  const n = process.env.XENLAB_FUZZ_LONG ? long : short;
  return Array.from({ length: n }, (_, i) => 0x5eed0000 + i);
}
