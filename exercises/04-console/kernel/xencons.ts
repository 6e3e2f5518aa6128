// Exercise 04: the console ring driver.
//
// kernel/main.ts (which you need not change) calls xencons_init(start_info) once, writes a text longer than the
// ring with xencons_write, then echoes whatever xencons_read returns until it reads Ctrl-D, and powers off.
// Read exercises/04-console/README.md first, then fill in the six TODOs. Check your work with:
//   npm run --silent xenlab -- grade 04
// Write the ring driver here yourself: importing "minios/xencons_ring" does not count.
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

/** Runs when Dom0 notifies the console channel. */
function xencons_handler(port: u32, regs: VoidPtr, data: VoidPtr): void {}

export function xencons_init(si: Ptr<start_info_t>): void {
  // TODO 1: find the console page and its event channel in start_info: si.console.domU.mfn is the page's machine
  //         frame (mfn_to_virt(mfn) is where it is mapped in our address space; ptr<xencons_interface_t>(...) makes
  //         it a struct pointer) and si.console.domU.evtchn our port. Bind the port to xencons_handler with
  //         bind_evtchn(port, handler, NULL), so that Dom0's events reach this kernel.
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
  // TODO 6: do not spin: sleep with HYPERVISOR_sched_op(SCHEDOP_block, NULL) until an event arrives, then check
  //         again. Check with events masked (local_irq_disable()): SCHEDOP_block unmasks them and sleeps only if
  //         none is pending, so an event that comes between your check and the call is not lost. local_irq_enable()
  //         when you are done waiting.
}

export function xencons_write(data: Ptr<u8>, len: u32): void {
  // TODO 2: copy the len bytes of data into intf.out, at out[MASK_XENCONS_IDX(out_prod, OUT_SIZE)], advancing a local
  //         copy of out_prod, never more than OUT_SIZE bytes ahead of out_cons: when the ring is full, wait (TODO 6)
  //         for Dom0 to drain it, then go on. Read the indices with volatile_read(addr_of(intf.out_prod)); they are
  //         free-running u32 counters that start wherever Dom0 left them and wrap at 2^32. out[] holds C chars
  //         (i8): store i8(data[sent]).

  // TODO 3: publish what you wrote: wmb() (the bytes before the index), volatile_write the new out_prod, and tell
  //         Dom0 with notify_remote_via_evtchn(evtchn). Dom0 looks at the ring only when notified.
}

export function xencons_read(buf: Ptr<u8>, max: u32): u32 {
  // TODO 4: wait (TODO 6) until in[] holds input, then copy up to max bytes of it into buf, from
  //         in[MASK_XENCONS_IDX(in_cons, IN_SIZE)] on, with rmb() between reading in_prod and reading the bytes.
  //         Take only what fits: what stays in in[] waits for the next call, and Dom0 keeps what does not fit in[].
  //         in[] holds C chars (i8): buf[n] = u8(intf.in[...]).

  // TODO 5: give the space back: mb(), volatile_write the new in_cons, notify Dom0 (it refills in[] from what was
  //         typed meanwhile). Return how many bytes you copied.
  return 0;
}
