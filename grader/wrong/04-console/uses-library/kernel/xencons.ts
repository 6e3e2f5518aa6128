// Exercise 04, a typical wrong solution: it hands the work to the Mini-OS library's console driver.
import { console_read, init_xencons_ring, xencons_ring_send } from "minios/xencons_ring";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_disable, local_irq_enable } from "minios/hypervisor";
import { SCHEDOP_block, type start_info_t } from "xen/public";

export function xencons_init(si: Ptr<start_info_t>): void {
  init_xencons_ring(si);
}

export function xencons_write(data: Ptr<u8>, len: u32): void {
  xencons_ring_send(data, len);
}

export function xencons_read(buf: Ptr<u8>, max: u32): u32 {
  while (true) {
    local_irq_disable();
    const n = console_read(buf, max);
    if (n != 0) {
      local_irq_enable();
      return n;
    }
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    local_irq_enable();
  }
}
