// The hypervisor/public modules whose exports make up "xen/public" for kernels.
// Until hypervisor/public grows its ABI files, a table of hypercall numbers and the first exercise's constants stands in
// (numbers from /work/shared/xen-abi-x86_32.md; replaced by the hypervisor's own modules as they land).
const interim = {
  __HYPERVISOR_set_trap_table: 0, __HYPERVISOR_mmu_update: 1, __HYPERVISOR_set_gdt: 2, __HYPERVISOR_stack_switch: 3,
  __HYPERVISOR_set_callbacks: 4, __HYPERVISOR_fpu_taskswitch: 5, __HYPERVISOR_sched_op_compat: 6, __HYPERVISOR_platform_op: 7,
  __HYPERVISOR_set_debugreg: 8, __HYPERVISOR_get_debugreg: 9, __HYPERVISOR_update_descriptor: 10, __HYPERVISOR_memory_op: 12,
  __HYPERVISOR_multicall: 13, __HYPERVISOR_update_va_mapping: 14, __HYPERVISOR_set_timer_op: 15,
  __HYPERVISOR_event_channel_op_compat: 16, __HYPERVISOR_xen_version: 17, __HYPERVISOR_console_io: 18,
  __HYPERVISOR_physdev_op_compat: 19, __HYPERVISOR_grant_table_op: 20, __HYPERVISOR_vm_assist: 21,
  __HYPERVISOR_update_va_mapping_otherdomain: 22, __HYPERVISOR_iret: 23, __HYPERVISOR_vcpu_op: 24, __HYPERVISOR_mmuext_op: 26,
  __HYPERVISOR_xsm_op: 27, __HYPERVISOR_nmi_op: 28, __HYPERVISOR_sched_op: 29, __HYPERVISOR_callback_op: 30,
  __HYPERVISOR_xenoprof_op: 31, __HYPERVISOR_event_channel_op: 32, __HYPERVISOR_physdev_op: 33,
  CONSOLEIO_write: 0,
  CONSOLEIO_read: 1,
  SCHEDOP_yield: 0,
  SCHEDOP_block: 1,
  SCHEDOP_shutdown: 2,
  SHUTDOWN_poweroff: 0,
  SHUTDOWN_reboot: 1,
  SHUTDOWN_suspend: 2,
  SHUTDOWN_crash: 3,
};

export const publicModules: Record<string, unknown>[] = [interim];
