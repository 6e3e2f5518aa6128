// Test helpers: a domain built from the C hello kernel that tests drive by
// calling hypercalls directly (exactly what `int $0x82` from the guest
// does), with a scratch area of guest memory for arguments.
import { buildGuest } from '../../tests/guests/build.js';
import { Hypervisor } from '../hypervisor.js';
import type { Domain } from '../domain.js';
import { invokeHypercall, invokeHypercallStep, Continuation, NO_RESULT } from '../hypercall.js';

/** Scratch virtual addresses inside the 4 MiB the builder maps (unused by the hello kernel). */
export const SCRATCH = 0x00300000;
export const SPARE_VA = 0x003f0000;

export function makeDomains(n = 1, opts: { hostMemoryMiB?: number; memoryMiB?: number } = {}): { hv: Hypervisor; doms: Domain[] } {
  const hv = new Hypervisor({ hostMemoryMiB: opts.hostMemoryMiB ?? 128 });
  const kernel = buildGuest('hello');
  const doms = Array.from({ length: n }, (_, i) => hv.createDomain({ kernel, memoryMiB: opts.memoryMiB ?? 8, name: `d${i + 1}` }));
  return { hv, doms };
}

export function call(hv: Hypervisor, dom: Domain, nr: number, ...args: number[]): number {
  const r = invokeHypercall(hv, dom, nr, [...args, 0, 0, 0, 0, 0].slice(0, 5).map((x) => x >>> 0));
  return r === NO_RESULT ? 0 : r;
}

export function put(dom: Domain, va: number, words: number[]): void {
  const b = new Uint8Array(words.length * 4);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  if (!dom.guest.write(va, b)) throw new Error(`test setup: cannot write guest va 0x${va.toString(16)}`);
}

export function get32(dom: Domain, va: number): number {
  const v = dom.guest.read32(va);
  if (v === null) throw new Error(`test setup: cannot read guest va 0x${va.toString(16)}`);
  return v;
}

/** A free (unmapped, untyped) frame of the domain: a pfn past the mapped 4 MiB. */
export function spareFrame(dom: Domain, k = 0): number { return dom.p2m[dom.p2m.length - 1 - k]; }

/** One exit's worth of a hypercall: a number, or 'continue' when it would re-execute itself. */
export function callStep(hv: Hypervisor, dom: Domain, nr: number, ...args: number[]): number | 'continue' {
  const r = invokeHypercallStep(hv, dom, nr, [...args, 0, 0, 0, 0, 0].slice(0, 5).map((x) => x >>> 0));
  return r instanceof Continuation ? 'continue' : r === NO_RESULT ? 0 : r;
}
