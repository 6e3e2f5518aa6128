// The shared-info page and the virtual interrupt flag, as Mini-OS's hypervisor.c and os.h: Xen reports pending
// events and time in shared_info; the kernel "disables interrupts" by setting evtchn_upcall_mask.
import { HYPERVISOR_update_va_mapping, HYPERVISOR_xen_version } from "minios/hypercalls";
import { _PAGE_PRESENT, _PAGE_RW, UVMF_INVLPG, type shared_info_t, type start_info_t, type vcpu_info_t } from "xen/public";

/** The page the bootstrap reserved at 0x1000 for shared_info. */
declare const shared_info_page: CArray<u8, 4096>;

export let HYPERVISOR_shared_info: Ptr<shared_info_t> = NULL;
export let start_info: Ptr<start_info_t> = NULL;

/** Maps the shared-info frame Xen gave us (a machine address in start_info) over shared_info_page. */
export function map_shared_info(si: Ptr<start_info_t>): i32 {
  start_info = si;
  const rc = HYPERVISOR_update_va_mapping(u32(shared_info_page), si.shared_info | _PAGE_PRESENT | _PAGE_RW, UVMF_INVLPG);
  if (rc == 0) HYPERVISOR_shared_info = ptr<shared_info_t>(shared_info_page);
  return rc;
}

export function vcpu0(): Ptr<vcpu_info_t> {
  return HYPERVISOR_shared_info.vcpu_info.add(0);
}

/** Any hypercall makes Xen look for pending events on its way back. */
export function force_evtchn_callback(): void {
  HYPERVISOR_xen_version(0, NULL);
}

/** Masks event delivery; returns the previous mask (for local_irq_restore). */
export function local_irq_save(): u8 {
  const v = vcpu0();
  const old = v.evtchn_upcall_mask;
  v.evtchn_upcall_mask = 1;
  barrier();
  return old;
}

export function local_irq_restore(old: u8): void {
  const v = vcpu0();
  barrier();
  v.evtchn_upcall_mask = old;
  barrier();
  if (old == 0 && volatile_read(addr_of(v.evtchn_upcall_pending)) != 0) force_evtchn_callback();
}

export function local_irq_disable(): void {
  vcpu0().evtchn_upcall_mask = 1;
  barrier();
}

/** Unmasks event delivery; an event that arrived while masked is delivered now. */
export function local_irq_enable(): void {
  const v = vcpu0();
  barrier();
  v.evtchn_upcall_mask = 0;
  barrier();
  if (volatile_read(addr_of(v.evtchn_upcall_pending)) != 0) force_evtchn_callback();
}
