// Exercise 04, a typical wrong solution: it tests for room in out[] with prod >= cons + OUT_SIZE, which breaks when
// cons + OUT_SIZE wraps past 2^32 (the ring looks full for ever).
import { bind_evtchn, notify_remote_via_evtchn } from "minios/events";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_disable, local_irq_enable } from "minios/hypervisor";
import { mfn_to_virt } from "minios/mm";
import { SCHEDOP_block, type start_info_t, type xencons_interface_t } from "xen/public";

/** Sizes of the two rings of struct xencons_interface (io/console.h): powers of two. */
const IN_SIZE: u32 = 1024;
const OUT_SIZE: u32 = 2048;

/** The console page Dom0 shares with us, and our end of its event channel. */
let intf: Ptr<xencons_interface_t> = NULL;
let evtchn: u32 = 0;

/** The index's position in a ring of `size` bytes (Xen's MASK_XENCONS_IDX). */
function MASK_XENCONS_IDX(idx: u32, size: u32): u32 {
  return idx & (size - 1);
}

/** The event only has to wake us from sched_op(SCHEDOP_block): the waiting code reads the indices again. */
function xencons_handler(port: u32, regs: VoidPtr, data: VoidPtr): void {}

export function xencons_init(si: Ptr<start_info_t>): void {
  intf = ptr<xencons_interface_t>(mfn_to_virt(si.console.domU.mfn));
  evtchn = si.console.domU.evtchn;
  bind_evtchn(evtchn, xencons_handler, NULL);
}

/** True when out[] holds OUT_SIZE unread bytes. */
function out_full(): bool {
  return volatile_read(addr_of(intf.out_prod)) - volatile_read(addr_of(intf.out_cons)) >= OUT_SIZE;
}

/** True when in[] holds nothing we have not read. */
function in_empty(): bool {
  return volatile_read(addr_of(intf.in_prod)) == volatile_read(addr_of(intf.in_cons));
}

/** Returns once done() is false, sleeping in Xen meanwhile. */
function wait_while(done: () => bool): void {
  // Check with events masked: SCHEDOP_block unmasks them and sleeps only if none is pending, so an event that
  // arrives after the check is not lost; it is delivered as block returns.
  local_irq_disable();
  while (done()) {
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    local_irq_disable();
  }
  local_irq_enable();
}

export function xencons_write(data: Ptr<u8>, len: u32): void {
  let sent: u32 = 0;
  while (sent < len) {
    const cons = volatile_read(addr_of(intf.out_cons));
    let prod = volatile_read(addr_of(intf.out_prod));
    mb(); // see the backend's out_cons before reusing the space it freed
    if (prod >= cons + OUT_SIZE) {
      wait_while(out_full);
      continue;
    }
    while (sent < len && prod < cons + OUT_SIZE) {
      intf.out[MASK_XENCONS_IDX(prod, OUT_SIZE)] = i8(data[sent]);
      prod++;
      sent++;
    }
    wmb(); // the bytes before the index that publishes them
    volatile_write(addr_of(intf.out_prod), prod);
    notify_remote_via_evtchn(evtchn);
  }
}

export function xencons_read(buf: Ptr<u8>, max: u32): u32 {
  wait_while(in_empty);
  let cons = volatile_read(addr_of(intf.in_cons));
  const prod = volatile_read(addr_of(intf.in_prod));
  rmb(); // the index before the bytes it covers
  let n: u32 = 0;
  while (n < max && cons != prod) {
    buf[n] = u8(intf.in[MASK_XENCONS_IDX(cons, IN_SIZE)]);
    cons++;
    n++;
  }
  mb(); // done reading before the space goes back to the backend
  volatile_write(addr_of(intf.in_cons), cons);
  notify_remote_via_evtchn(evtchn);
  return n;
}
