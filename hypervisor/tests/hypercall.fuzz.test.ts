// Hypercall fuzz: random hypercall numbers and arguments (wild values, and
// pointers into guest memory filled with random bytes that often name real
// frames, ports and grant references) from two domains. The host must never
// throw, no domain may die of a hypervisor internal error, and the memory
// audit must stay clean. A short seeded slice by default; XENLAB_FUZZ_LONG
// runs millions.
import { describe, expect, it } from 'vitest';
import { auditMemory } from '../audit.js';
import { makeDomains, callStep, SCRATCH } from '../testing/harness.js';
import type { Domain } from '../domain.js';
import type { Hypervisor } from '../hypervisor.js';

const LONG = !!process.env.XENLAB_FUZZ_LONG;
const ITERATIONS = LONG ? 2_000_000 : 20_000;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** An argument that is sometimes meaningful: small numbers, scratch pointers, frames, wild values. */
function arg(r: () => number, dom: Domain, other: Domain): number {
  switch (r() % 9) {
    case 0: return r() % 16;
    case 1: return SCRATCH + (r() % 256) * 4;
    case 2: return dom.p2m[r() % dom.p2m.length];
    case 3: return other.p2m[r() % other.p2m.length];
    case 4: return 0xfc000000 + (r() % 0x800000);
    case 5: return 0x7ff0;
    case 6: return (dom.p2m[r() % 1024] << 12) | (r() & 0xfff);
    case 7: return r() % 4096;
    default: return r();
  }
}

function fillScratch(r: () => number, dom: Domain, other: Domain): void {
  const words = new Uint8Array(1024 * 4);
  const v = new DataView(words.buffer);
  for (let i = 0; i < 1024; i++) v.setUint32(i * 4, arg(r, dom, other), true);
  dom.guest.write(SCRATCH, words);
}

function check(hv: Hypervisor): void {
  for (const d of hv.domains) {
    if (d.crash?.reason.includes('internal error')) throw new Error(`d${d.domid}: ${d.crash.reason}`);
  }
}

describe(`hypercall fuzz (${ITERATIONS} calls${LONG ? ', long run' : ''})`, () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: no host exception, no internal error, audit clean`, () => {
      const r = rng(seed * 7919);
      let { hv, doms } = makeDomains(2, { hostMemoryMiB: 64, memoryMiB: 6 });
      let calls = 0, rebuilt = 0;
      for (let i = 0; i < ITERATIONS / 3; i++) {
        if (doms.some((d) => !d.alive)) {
          check(hv);
          expect(auditMemory(hv)).toEqual([]);
          ({ hv, doms } = makeDomains(2, { hostMemoryMiB: 64, memoryMiB: 6 }));
          rebuilt++;
        }
        const [dom, other] = r() & 1 ? [doms[0], doms[1]] : [doms[1], doms[0]];
        if (i % 16 === 0) fillScratch(r, dom, other);
        const nr = r() % 8 === 0 ? r() % 64 : [1, 13, 14, 17, 18, 20, 21, 24, 26, 29, 32, 12, 0, 3, 4, 5, 15, 30, 6, 23, 2, 10, 16, 22][r() % 24];
        const args = [arg(r, dom, other), arg(r, dom, other), arg(r, dom, other), arg(r, dom, other), arg(r, dom, other)];
        // Keep most calls alive (rebuilding costs far more than a call): shutdowns and irets are rarer.
        if ((nr === 29 || nr === 6) && (args[0] === 2 || args[0] === 4) && r() % 8) continue;
        if (nr === 23 && r() % 8) continue;
        const result = callStep(hv, dom, nr, ...args);
        expect(result === 'continue' || Number.isInteger(result)).toBe(true);
        calls++;
        if (i % 2000 === 0) { check(hv); expect(auditMemory(hv)).toEqual([]); }
      }
      check(hv);
      expect(auditMemory(hv)).toEqual([]);
      expect(calls).toBeGreaterThan(ITERATIONS / 4);
      expect(rebuilt).toBeLessThan(ITERATIONS / 20);
    }, LONG ? 3_600_000 : 60_000);
  }
});
