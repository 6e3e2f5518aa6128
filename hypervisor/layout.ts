// The hypervisor's own virtual layout inside every guest address space
// (non-PAE x86_32): the read-only M2P at 0xFC000000 and the domain's GDT
// area in the next 4 MiB slot. Guests can never map or change these slots.
import { X86_32 } from './public/xen.js';

export const HYPERVISOR_VIRT_START = X86_32.HYPERVISOR_VIRT_START_NONPAE;
export const RO_MPT_VIRT_START = X86_32.MACH2PHYS_VIRT_START_NONPAE;
export const RO_MPT_VIRT_END = X86_32.MACH2PHYS_VIRT_END_NONPAE;
/** The domain's 16-page GDT is mapped here (supervisor, read-only). */
export const GDT_VIRT_START = 0xfc400000;
export const GDT_LIMIT = X86_32.GDT_PAGES * 4096 - 1;
/** First L2 slot that belongs to the hypervisor. */
export const FIRST_HYPERVISOR_L2_SLOT = HYPERVISOR_VIRT_START >>> 22;
export const M2P_L2_SLOT = RO_MPT_VIRT_START >>> 22;
export const GDT_L2_SLOT = GDT_VIRT_START >>> 22;

/** Flat segments end at the top of the read-only M2P, as Xen x86_32's do. */
export const GUEST_SEGMENT_LIMIT = RO_MPT_VIRT_END - 1;

/** An x86 segment descriptor (low and high words) for a flat 4 KiB-granular segment. */
export function flatDescriptor(access: number, limitBytes: number): [number, number] {
  const limit = limitBytes >>> 12;
  const lo = (limit & 0xffff) >>> 0;
  const hi = ((access & 0xff) << 8 | (limit & 0xf0000) | 0x00c00000) >>> 0; // G=1, D=1, base 0
  return [lo, hi];
}

/** Access bytes of Xen's flat selectors (accessed bit preset: the GDT is read-only). */
export const RING1_CODE_ACCESS = 0xbb;
export const RING1_DATA_ACCESS = 0xb3;
export const RING3_CODE_ACCESS = 0xfb;
export const RING3_DATA_ACCESS = 0xf3;
