// The console driver, as Mini-OS's console/xencons_ring.c: output goes into the `out` ring of the page shared
// with Dom0's console backend, input arrives in `in`; an event on the console channel tells the other side.
import { set_console_sink } from "minios/console";
import { bind_evtchn, notify_remote_via_evtchn } from "minios/events";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_disable, local_irq_enable } from "minios/hypervisor";
import { mfn_to_virt } from "minios/mm";
import { SCHEDOP_block, type start_info_t, type xencons_interface_t } from "xen/public";

const OUT_SIZE: u32 = 2048;
const IN_SIZE: u32 = 1024;
const INPUT_BUF: u32 = 256;

let intf: Ptr<xencons_interface_t> = NULL;
let cons_port: u32 = 0;
/** Input bytes received and not yet read (a small ring of our own). */
const input = static_buffer<u8>(256);
let input_head: u32 = 0;
let input_tail: u32 = 0;

/** Switches printk and console_print from Xen's emergency console to the ring. */
export function init_xencons_ring(si: Ptr<start_info_t>): i32 {
  if (si.console.domU.mfn == 0 || si.console.domU.evtchn == 0) return -19;
  use_console_ring(ptr<xencons_interface_t>(mfn_to_virt(si.console.domU.mfn)), si.console.domU.evtchn);
  return 0;
}

/** The ring at `ring` with event channel `port` (init_xencons_ring, or tests). */
export function use_console_ring(ring: Ptr<xencons_interface_t>, port: u32): void {
  intf = ring;
  cons_port = port;
  bind_evtchn(cons_port, xencons_event, NULL);
  set_console_sink(xencons_ring_send);
}

/** Copies data into the out ring, waiting for the backend to drain it when full. */
export function xencons_ring_send(data: Ptr<u8>, len: u32): void {
  let sent: u32 = 0;
  while (sent < len) {
    const cons = volatile_read(addr_of(intf.out_cons));
    let prod = volatile_read(addr_of(intf.out_prod));
    mb();
    if (prod - cons >= OUT_SIZE) {
      notify_remote_via_evtchn(cons_port);
      local_irq_disable();
      HYPERVISOR_sched_op(SCHEDOP_block, NULL);
      local_irq_enable();
      continue;
    }
    while (sent < len && prod - cons < OUT_SIZE) {
      intf.out[prod & (OUT_SIZE - 1)] = i8(data[sent]);
      prod++;
      sent++;
    }
    wmb();
    volatile_write(addr_of(intf.out_prod), prod);
    notify_remote_via_evtchn(cons_port);
  }
}

/** Moves input from the in ring to our buffer (dropping what does not fit) and tells the backend. */
export function xencons_event(port: u32, regs: VoidPtr, data: VoidPtr): void {
  let cons = volatile_read(addr_of(intf.in_cons));
  const prod = volatile_read(addr_of(intf.in_prod));
  rmb();
  while (cons != prod) {
    const c = u8(intf.in[cons & (IN_SIZE - 1)]);
    if (input_head - input_tail < INPUT_BUF) {
      input[input_head & (INPUT_BUF - 1)] = c;
      input_head++;
    }
    cons++;
  }
  mb();
  volatile_write(addr_of(intf.in_cons), cons);
  notify_remote_via_evtchn(cons_port);
}

/** Copies up to max received bytes into buf; returns how many. */
export function console_read(buf: Ptr<u8>, max: u32): u32 {
  let n: u32 = 0;
  while (n < max && input_tail != input_head) {
    buf[n] = input[input_tail & (INPUT_BUF - 1)];
    input_tail++;
    n++;
  }
  return n;
}
