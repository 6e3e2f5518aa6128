// Event channels, as Mini-OS's events.c: the callback entry that saves the registers, dispatch by port to a
// handler, binding VIRQs and inter-domain channels, masking, and a return that loses no event.
import { HYPERVISOR_event_channel_op, HYPERVISOR_set_callbacks } from "minios/hypercalls";
import { HYPERVISOR_shared_info, force_evtchn_callback, vcpu0 } from "minios/hypervisor";
import { printk } from "minios/console";
import {
  EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_close, EVTCHNOP_send, FLAT_KERNEL_CS,
  DOMID_SELF, type evtchn_alloc_unbound_t, type evtchn_bind_interdomain_t, type evtchn_bind_virq_t, type evtchn_close_t,
  type evtchn_send_t,
} from "xen/public";

export const NR_EVS = 1024;

/** A handler gets the port, the registers saved at the callback (a Ptr to pt_regs) and the data given at bind. */
export type evtchn_handler_t = (port: u32, regs: VoidPtr, data: VoidPtr) => void;

interface ev_action {
  handler: evtchn_handler_t;
  data: VoidPtr;
}

/** Registers as the callback entry saves them (lowest address first). */
export interface pt_regs {
  edi: u32; esi: u32; ebp: u32; ebx: u32; edx: u32; ecx: u32; eax: u32;
  eip: u32; cs: u32; eflags: u32;
}

const ev_actions = static_buffer<ev_action>(1024);
/** Events delivered per port since boot (for tests and the debugger). */
export const ev_counts = static_buffer<u32>(1024);

function default_handler(port: u32, regs: VoidPtr, data: VoidPtr): void {
  printk("[events] unhandled event on port %u\n", port);
}

export function mask_evtchn(port: u32): void {
  synch_set_bit(port, HYPERVISOR_shared_info.evtchn_mask);
}

/** Unmasks a port; if it became pending while masked, marks it so that the callback runs for it. */
export function unmask_evtchn(port: u32): void {
  const s = HYPERVISOR_shared_info;
  const v = vcpu0();
  synch_clear_bit(port, s.evtchn_mask);
  if (synch_test_bit(port, s.evtchn_pending) && !synch_test_and_set_bit(port >> 5, addr_of(v.evtchn_pending_sel))) {
    v.evtchn_upcall_pending = 1;
    if (volatile_read(addr_of(v.evtchn_upcall_mask)) == 0) force_evtchn_callback();
  }
}

export function clear_evtchn(port: u32): void {
  synch_clear_bit(port, HYPERVISOR_shared_info.evtchn_pending);
}

/** Runs the handler of a port (called with events masked). */
export function do_event(port: u32, regs: VoidPtr): void {
  clear_evtchn(port);
  if (port >= NR_EVS) {
    printk("[events] port %u out of range\n", port);
    return;
  }
  ev_counts[port]++;
  const a = ev_actions.add(port);
  a.handler(port, regs, a.data);
}

/** Called from hypervisor_callback with events masked: every pending, unmasked port, by selector word then bit. */
export function do_hypervisor_callback(regs: VoidPtr): void {
  const s = HYPERVISOR_shared_info;
  const v = vcpu0();
  v.evtchn_upcall_pending = 0;
  let l1: u32 = xchg(addr_of(v.evtchn_pending_sel), 0);
  while (l1 != 0) {
    const l1i = ffs32(l1);
    l1 &= ~(u32(1) << l1i);
    while (true) {
      const l2: u32 = volatile_read(s.evtchn_pending.add(l1i)) & ~volatile_read(s.evtchn_mask.add(l1i));
      if (l2 == 0) break;
      const l2i = ffs32(l2);
      do_event(l1i * 32 + l2i, regs);
    }
  }
}

export function bind_evtchn(port: u32, handler: evtchn_handler_t, data: VoidPtr): u32 {
  const a = ev_actions.add(port);
  if (a.handler != default_handler) printk("[events] port %u bound twice\n", port);
  a.data = data;
  a.handler = handler;
  unmask_evtchn(port);
  return port;
}

export function unbind_evtchn(port: u32): void {
  mask_evtchn(port);
  clear_evtchn(port);
  const a = ev_actions.add(port);
  a.handler = default_handler;
  a.data = NULL;
}

/** Binds a virtual IRQ (VIRQ_TIMER, VIRQ_CONSOLE, ...) of this vcpu to a new port; returns it, or -1. */
export function bind_virq(virq: u32, handler: evtchn_handler_t, data: VoidPtr): i32 {
  const op = stack_struct<evtchn_bind_virq_t>();
  op.virq = virq;
  op.vcpu = 0;
  const rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, op);
  if (rc != 0) {
    printk("[events] bind_virq %u failed: %d\n", virq, rc);
    return -1;
  }
  bind_evtchn(op.port, handler, data);
  return i32(op.port);
}

/** Allocates a port that domain `remote` can bind to; returns 0 and the port in *port, or an error. */
export function evtchn_alloc_unbound(remote: u32, handler: evtchn_handler_t, data: VoidPtr, port: Ptr<u32>): i32 {
  const op = stack_struct<evtchn_alloc_unbound_t>();
  op.dom = DOMID_SELF;
  op.remote_dom = u16(remote);
  const rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, op);
  if (rc != 0) return rc;
  port[0] = op.port;
  bind_evtchn(op.port, handler, data);
  return 0;
}

/** Connects to port `remote_port` of domain `remote`; returns 0 and the local port in *local_port, or an error. */
export function evtchn_bind_interdomain(remote: u32, remote_port: u32, handler: evtchn_handler_t, data: VoidPtr, local_port: Ptr<u32>): i32 {
  const op = stack_struct<evtchn_bind_interdomain_t>();
  op.remote_dom = u16(remote);
  op.remote_port = remote_port;
  const rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, op);
  if (rc != 0) return rc;
  local_port[0] = op.local_port;
  bind_evtchn(op.local_port, handler, data);
  return 0;
}

export function notify_remote_via_evtchn(port: u32): i32 {
  const op = stack_struct<evtchn_send_t>();
  op.port = port;
  return HYPERVISOR_event_channel_op(EVTCHNOP_send, op);
}

export function evtchn_close(port: u32): i32 {
  const op = stack_struct<evtchn_close_t>();
  op.port = port;
  return HYPERVISOR_event_channel_op(EVTCHNOP_close, op);
}

/** Masks every port, points every handler at the default, and registers the callback entries with Xen. */
export function init_events(): void {
  for (let i: u32 = 0; i < NR_EVS; i++) {
    mask_evtchn(i);
    const a = ev_actions.add(i);
    a.handler = default_handler;
    a.data = NULL;
  }
  HYPERVISOR_set_callbacks(FLAT_KERNEL_CS, u32(hypervisor_callback), FLAT_KERNEL_CS, u32(failsafe_callback));
}

declare function hypervisor_callback(): void;
declare function failsafe_callback(): void;

// Xen enters with events masked and EIP, CS, EFLAGS pushed (EFLAGS.IF = events were enabled). We save the
// registers, dispatch, restore, and return with the iret hypercall: it restores the event mask from EFLAGS.IF
// atomically with the return, and Xen redelivers at once if an event arrived meanwhile, so none is lost.
asm`
    global hypervisor_callback
hypervisor_callback:
    push eax
    push ecx
    push edx
    push ebx
    push ebp
    push esi
    push edi
    mov eax, esp
    push eax
    call do_hypervisor_callback
    add esp, 4
    pop edi
    pop esi
    pop ebp
    pop ebx
    pop edx
    pop ecx
    pop eax
    jmp hypercall_page + 23 * 32

; A segment register could not be reloaded on return: Xen pushed DS, ES, FS, GS, EIP, CS, EFLAGS.
    global failsafe_callback
failsafe_callback:
    pop ds
    pop es
    pop fs
    pop gs
    jmp hypercall_page + 23 * 32
`;
