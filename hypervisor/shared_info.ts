// Field access to a domain's shared_info page (machine memory, host side).
import type { PhysicalMemory } from '../machine/index.js';
import { shared_info } from './public/structs.js';

export const SI = {
  upcallPending: (v: number) => shared_info.offsetOf(`vcpu_info.${v}.evtchn_upcall_pending`),
  upcallMask: (v: number) => shared_info.offsetOf(`vcpu_info.${v}.evtchn_upcall_mask`),
  pendingSel: (v: number) => shared_info.offsetOf(`vcpu_info.${v}.evtchn_pending_sel`),
  cr2: (v: number) => shared_info.offsetOf(`vcpu_info.${v}.arch.cr2`),
  time: (v: number) => shared_info.offsetOf(`vcpu_info.${v}.time`),
  evtchnPending: shared_info.offsetOf('evtchn_pending'),
  evtchnMask: shared_info.offsetOf('evtchn_mask'),
  wcVersion: shared_info.offsetOf('wc_version'),
  wcSec: shared_info.offsetOf('wc_sec'),
  wcNsec: shared_info.offsetOf('wc_nsec'),
  maxPfn: shared_info.offsetOf('arch.max_pfn'),
} as const;

/** A fresh shared_info: every VCPU starts with event delivery masked, as in Xen. */
export function initSharedInfo(mem: PhysicalMemory, mfn: number, nrPages: number): void {
  const base = mfn << 12;
  mem.fill(base, 4096, 0);
  for (let v = 0; v < 32; v++) mem.write8(base + SI.upcallMask(v), 1);
  mem.write32(base + SI.maxPfn, nrPages);
}
