// Hypercall wrappers, one per hypercall, named as in Mini-OS (hypercall-x86_32.h). Each goes through the hypercall
// page: `call hypercall_page + nr*32`, with the arguments in EBX, ECX, EDX, ESI, EDI and the result in EAX.
// (iret has no wrapper: it never returns to its caller; events.ts jumps to it from the callback's assembly.)
import {
  __HYPERVISOR_callback_op, __HYPERVISOR_console_io, __HYPERVISOR_event_channel_op, __HYPERVISOR_event_channel_op_compat,
  __HYPERVISOR_fpu_taskswitch, __HYPERVISOR_sched_op_compat, __HYPERVISOR_update_va_mapping_otherdomain,
  __HYPERVISOR_platform_op, __HYPERVISOR_sysctl, __HYPERVISOR_domctl,
  __HYPERVISOR_grant_table_op, __HYPERVISOR_memory_op, __HYPERVISOR_mmu_update, __HYPERVISOR_mmuext_op, __HYPERVISOR_multicall,
  __HYPERVISOR_nmi_op, __HYPERVISOR_physdev_op, __HYPERVISOR_sched_op, __HYPERVISOR_set_callbacks, __HYPERVISOR_set_gdt,
  __HYPERVISOR_set_timer_op, __HYPERVISOR_set_trap_table, __HYPERVISOR_stack_switch, __HYPERVISOR_update_descriptor,
  __HYPERVISOR_update_va_mapping, __HYPERVISOR_vcpu_op, __HYPERVISOR_vm_assist, __HYPERVISOR_xen_version,
} from "xen/public";

export function HYPERVISOR_set_trap_table(table: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_set_trap_table, table);
}

export function HYPERVISOR_mmu_update(req: VoidPtr, count: u32, success_count: Ptr<u32>, domid: u32): i32 {
  return hypercall(__HYPERVISOR_mmu_update, req, count, success_count, domid);
}

export function HYPERVISOR_mmuext_op(op: VoidPtr, count: u32, success_count: Ptr<u32>, domid: u32): i32 {
  return hypercall(__HYPERVISOR_mmuext_op, op, count, success_count, domid);
}

export function HYPERVISOR_set_gdt(frame_list: Ptr<u32>, entries: u32): i32 {
  return hypercall(__HYPERVISOR_set_gdt, frame_list, entries);
}

export function HYPERVISOR_stack_switch(ss: u32, esp: u32): i32 {
  return hypercall(__HYPERVISOR_stack_switch, ss, esp);
}

export function HYPERVISOR_set_callbacks(event_selector: u32, event_address: u32, failsafe_selector: u32, failsafe_address: u32): i32 {
  return hypercall(__HYPERVISOR_set_callbacks, event_selector, event_address, failsafe_selector, failsafe_address);
}

export function HYPERVISOR_fpu_taskswitch(set: u32): i32 {
  return hypercall(__HYPERVISOR_fpu_taskswitch, set);
}

export function HYPERVISOR_sched_op(cmd: u32, arg: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_sched_op, cmd, arg);
}

/** The old sched_op (Xen < 3.0.2): the argument is a value, e.g. the shutdown reason itself. */
export function HYPERVISOR_sched_op_compat(cmd: u32, arg: u32): i32 {
  return hypercall(__HYPERVISOR_sched_op_compat, cmd, arg);
}

/** Sets a one-shot timer for system time `timeout` (ns); 0 cancels it. */
export function HYPERVISOR_set_timer_op(timeout: u64): i32 {
  return hypercall(__HYPERVISOR_set_timer_op, u32(timeout), u32(timeout >> 32n));
}

export function HYPERVISOR_memory_op(cmd: u32, arg: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_memory_op, cmd, arg);
}

export function HYPERVISOR_multicall(call_list: VoidPtr, nr_calls: u32): i32 {
  return hypercall(__HYPERVISOR_multicall, call_list, nr_calls);
}

/** Maps virtual address `va` to the page-table entry `pte` (non-PAE: the high word is 0). */
export function HYPERVISOR_update_va_mapping(va: u32, pte: u32, flags: u32): i32 {
  return hypercall(__HYPERVISOR_update_va_mapping, va, pte, 0, flags);
}

/** As update_va_mapping, for a frame owned by `domid` (DOMID_SELF for one's own; others need privilege). */
export function HYPERVISOR_update_va_mapping_otherdomain(va: u32, pte: u32, flags: u32, domid: u32): i32 {
  return hypercall(__HYPERVISOR_update_va_mapping_otherdomain, va, pte, 0, flags, domid);
}

export function HYPERVISOR_update_descriptor(ma: u32, desc_lo: u32, desc_hi: u32): i32 {
  return hypercall(__HYPERVISOR_update_descriptor, ma, 0, desc_lo, desc_hi);
}

export function HYPERVISOR_event_channel_op(cmd: u32, op: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_event_channel_op, cmd, op);
}

/** The old event_channel_op: `op` points to { u32 cmd; the command's struct }. */
export function HYPERVISOR_event_channel_op_compat(op: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_event_channel_op_compat, op);
}

export function HYPERVISOR_xen_version(cmd: u32, arg: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_xen_version, cmd, arg);
}

export function HYPERVISOR_console_io(cmd: u32, count: u32, str: CharPtr): i32 {
  return hypercall(__HYPERVISOR_console_io, cmd, count, str);
}

export function HYPERVISOR_physdev_op(cmd: u32, arg: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_physdev_op, cmd, arg);
}

export function HYPERVISOR_grant_table_op(cmd: u32, uop: VoidPtr, count: u32): i32 {
  return hypercall(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

export function HYPERVISOR_vm_assist(cmd: u32, type: u32): i32 {
  return hypercall(__HYPERVISOR_vm_assist, cmd, type);
}

export function HYPERVISOR_vcpu_op(cmd: u32, vcpuid: u32, extra_args: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_vcpu_op, cmd, vcpuid, extra_args);
}

export function HYPERVISOR_nmi_op(op: u32, arg: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_nmi_op, op, arg);
}

export function HYPERVISOR_callback_op(cmd: u32, arg: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_callback_op, cmd, arg);
}

// The toolstack's hypercalls: each takes one struct that starts with its command and interface version. Xen refuses
// them to a guest without privilege (-EPERM), which is every xenlab kernel; they are here so a kernel can see that.

export function HYPERVISOR_platform_op(op: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_platform_op, op);
}

export function HYPERVISOR_sysctl(op: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_sysctl, op);
}

export function HYPERVISOR_domctl(op: VoidPtr): i32 {
  return hypercall(__HYPERVISOR_domctl, op);
}
