// Segment descriptors from guests: set_gdt and update_descriptor, with
// Xen's check_descriptor rules so a guest segment can never reach the
// hypervisor's area or run at ring 0.
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import type { HypercallEntry } from './hypercall.js';
import { PageType } from './frames.js';
import { HYPERVISOR as H, XEN_ERRNO, X86_32 } from './public/xen.js';
import { GUEST_SEGMENT_LIMIT } from './layout.js';
import { setGdtPage } from './domain_build.js';

const { EFAULT, EINVAL, EPERM } = XEN_ERRNO;

/**
 * check_descriptor: the fixed-up high word, or null when the descriptor is
 * refused. Not-present descriptors are harmless; system descriptors (gates,
 * TSS, LDT) are refused; DPL 0 becomes the guest kernel's ring 1; a segment
 * may not extend past the top of the read-only M2P, and expand-down data
 * segments are refused.
 */
export function checkDescriptor(lo: number, hi: number): number | null {
  if (!(hi & 0x8000)) return hi >>> 0;
  if (!(hi & 0x1000)) return null;
  if (((hi >>> 13) & 3) === 0) hi = (hi | (1 << 13)) >>> 0;
  const isCode = (hi & 0x800) !== 0;
  if (!isCode && (hi & 0x400)) return null; // expand-down
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  if (hi & 0x800000) limit = limit * 4096 + 4095;
  if (base + limit > GUEST_SEGMENT_LIMIT) return null;
  return hi >>> 0;
}

/** Validates (and fixes up) every descriptor of a frame about to become a descriptor page. */
export function validateDescriptorPage(hv: Hypervisor, mfn: number): boolean {
  const at = mfn * 4096;
  for (let i = 0; i < 512; i++) {
    const lo = hv.mem.read32(at + i * 8), hi = hv.mem.read32(at + i * 8 + 4);
    const fixed = checkDescriptor(lo, hi);
    if (fixed === null) return false;
    if (fixed !== hi) hv.mem.write32(at + i * 8 + 4, fixed);
  }
  return true;
}

function doSetGdt(hv: Hypervisor, dom: Domain, listPtr: number, entries: number): number {
  if (entries > X86_32.FIRST_RESERVED_GDT_ENTRY) return -EINVAL;
  const nr = Math.ceil(entries / 512);
  const frames: number[] = [];
  for (let i = 0; i < nr; i++) {
    const f = dom.guest.read32((listPtr + i * 4) >>> 0);
    if (f === null) return -EFAULT;
    frames.push(f);
  }
  const taken: number[] = [];
  for (const f of frames) {
    const rc = hv.mm.getPageAndType(dom, f, PageType.SegDesc);
    if (rc < 0) { for (const t of taken) hv.mm.putPageAndType(t); return rc; }
    taken.push(f);
  }
  for (const old of dom.gdtFrames) hv.mm.putPageAndType(old);
  dom.gdtFrames = taken;
  for (let page = 0; page < X86_32.FIRST_RESERVED_GDT_PAGE; page++) setGdtPage(hv, dom, page, taken[page] ?? 0);
  if (hv.current === dom) hv.cpu.flushTlb();
  return 0;
}

function doUpdateDescriptor(hv: Hypervisor, dom: Domain, paLo: number, paHi: number, lo: number, hi: number): number {
  if (paHi !== 0 || paLo % 8 !== 0) return -EINVAL;
  const mfn = paLo >>> 12;
  const f = hv.frames;
  if (!f.valid(mfn)) return -EINVAL;
  if (f.owner[mfn] !== dom.domid) return -EPERM;
  const fixed = checkDescriptor(lo, hi);
  if (fixed === null) return -EINVAL;
  if (f.typeCount[mfn] && f.type[mfn] === PageType.SegDesc) {
    hv.mem.write32(paLo, lo);
    hv.mem.write32(paLo + 4, fixed);
    return 0;
  }
  const rc = hv.mm.getPageType(dom, mfn, PageType.Writable);
  if (rc < 0) return rc;
  hv.mem.write32(paLo, lo);
  hv.mem.write32(paLo + 4, fixed);
  hv.mm.putPageType(mfn);
  return 0;
}

export const HYPERCALLS_DESCRIPTORS: Record<number, HypercallEntry> = {
  [H.set_gdt]: { arity: 2, fn: (hv, d, a) => doSetGdt(hv, d, a[0], a[1]) },
  // x86_32: the machine address and the descriptor are u64s split in two.
  [H.update_descriptor]: { arity: 4, fn: (hv, d, a) => doUpdateDescriptor(hv, d, a[0], a[1], a[2], a[3]) },
};
