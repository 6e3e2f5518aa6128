// Xen's x86_32 guest-visible structures, laid out with gcc -m32 rules.
// Struct names are the C tags and field names the C members, so
// public/abi.test.ts can print every offset from the real headers.
import { array, i16, i8, nested, struct, u16, u32, u64, u8 } from './layout.js';

// ---------------------------------------------------------------- start of day
export const start_info = struct('start_info', [
  ['magic', array(i8, 32)],
  ['nr_pages', u32],
  ['shared_info', u32],
  ['flags', u32],
  ['store_mfn', u32],
  ['store_evtchn', u32],
  ['console', nested(struct('start_info_console', [
    ['domU', nested(struct('start_info_console_domU', [['mfn', u32], ['evtchn', u32]]))],
    ['dom0', nested(struct('start_info_console_dom0', [['info_off', u32], ['info_size', u32]]))],
  ], { union: true }))],
  ['pt_base', u32],
  ['nr_pt_frames', u32],
  ['mfn_list', u32],
  ['mod_start', u32],
  ['mod_len', u32],
  ['cmd_line', array(i8, 1024)],
  ['first_p2m_pfn', u32],
  ['nr_p2m_frames', u32],
]);

// ---------------------------------------------------------------- shared info
export const vcpu_time_info = struct('vcpu_time_info', [
  ['version', u32],
  ['pad0', u32],
  ['tsc_timestamp', u64],
  ['system_time', u64],
  ['tsc_to_system_mul', u32],
  ['tsc_shift', i8],
  ['pad1', array(i8, 3)],
]);

export const arch_vcpu_info = struct('arch_vcpu_info', [['cr2', u32], ['pad', array(u32, 5)]]);

export const vcpu_info = struct('vcpu_info', [
  ['evtchn_upcall_pending', u8],
  ['evtchn_upcall_mask', u8],
  ['evtchn_pending_sel', u32],
  ['arch', nested(arch_vcpu_info)],
  ['time', nested(vcpu_time_info)],
]);

export const arch_shared_info = struct('arch_shared_info', [
  ['max_pfn', u32],
  ['pfn_to_mfn_frame_list_list', u32],
  ['nmi_reason', u32],
  ['p2m_cr3', u32],
  ['p2m_vaddr', u32],
  ['p2m_generation', u32],
  ['wc_sec_hi', u32],
]);

export const shared_info = struct('shared_info', [
  ['vcpu_info', array(nested(vcpu_info), 32)],
  ['evtchn_pending', array(u32, 32)],
  ['evtchn_mask', array(u32, 32)],
  ['wc_version', u32],
  ['wc_sec', u32],
  ['wc_nsec', u32],
  ['arch', nested(arch_shared_info)],
]);

// ---------------------------------------------------------------- traps, callbacks, CPU state
export const trap_info = struct('trap_info', [['vector', u8], ['flags', u8], ['cs', u16], ['address', u32]]);

export const xen_callback = struct('xen_callback', [['cs', u32], ['eip', u32]]);
export const callback_register = struct('callback_register', [['type', u16], ['flags', u16], ['address', nested(xen_callback)]]);
export const callback_unregister = struct('callback_unregister', [['type', u16], ['_unused', u16]]);

export const cpu_user_regs = struct('cpu_user_regs', [
  ['ebx', u32], ['ecx', u32], ['edx', u32], ['esi', u32], ['edi', u32], ['ebp', u32], ['eax', u32],
  ['error_code', u16], ['entry_vector', u16], ['eip', u32], ['cs', u16], ['saved_upcall_mask', u8],
  ['_pad0', u8], ['eflags', u32], ['esp', u32], ['ss', u16], ['_pad1', u16], ['es', u16], ['_pad2', u16],
  ['ds', u16], ['_pad3', u16], ['fs', u16], ['_pad4', u16], ['gs', u16], ['_pad5', u16],
]);

export const multicall_entry = struct('multicall_entry', [['op', u32], ['result', u32], ['args', array(u32, 6)]]);

// ---------------------------------------------------------------- scheduling, time
export const sched_shutdown = struct('sched_shutdown', [['reason', u32]]);
export const sched_poll = struct('sched_poll', [['ports', u32], ['nr_ports', u32], ['timeout', u64]]);
export const vcpu_set_singleshot_timer = struct('vcpu_set_singleshot_timer', [['timeout_abs_ns', u64], ['flags', u32]]);
export const vcpu_set_periodic_timer = struct('vcpu_set_periodic_timer', [['period_ns', u64]]);

// ---------------------------------------------------------------- memory
export const mmu_update = struct('mmu_update', [['ptr', u64], ['val', u64]]);
export const mmuext_op = struct('mmuext_op', [
  ['cmd', u32],
  ['arg1', nested(struct('mmuext_op_arg1', [['mfn', u32], ['linear_addr', u32]], { union: true }))],
  ['arg2', nested(struct('mmuext_op_arg2', [['nr_ents', u32], ['vcpumask', u32], ['src_mfn', u32]], { union: true }))],
]);
export const xen_memory_reservation = struct('xen_memory_reservation', [
  ['extent_start', u32], ['nr_extents', u32], ['extent_order', u32], ['address_bits', u32], ['domid', u16],
]);
export const xen_machphys_mapping = struct('xen_machphys_mapping', [['v_start', u32], ['v_end', u32], ['max_mfn', u32]]);

// ---------------------------------------------------------------- events
export const evtchn_alloc_unbound = struct('evtchn_alloc_unbound', [['dom', u16], ['remote_dom', u16], ['port', u32]]);
export const evtchn_bind_interdomain = struct('evtchn_bind_interdomain', [['remote_dom', u16], ['remote_port', u32], ['local_port', u32]]);
export const evtchn_bind_virq = struct('evtchn_bind_virq', [['virq', u32], ['vcpu', u32], ['port', u32]]);
export const evtchn_bind_ipi = struct('evtchn_bind_ipi', [['vcpu', u32], ['port', u32]]);
export const evtchn_close = struct('evtchn_close', [['port', u32]]);
export const evtchn_send = struct('evtchn_send', [['port', u32]]);
export const evtchn_unmask = struct('evtchn_unmask', [['port', u32]]);
export const evtchn_bind_vcpu = struct('evtchn_bind_vcpu', [['port', u32], ['vcpu', u32]]);
export const evtchn_status = struct('evtchn_status', [
  ['dom', u16], ['port', u32], ['status', u32], ['vcpu', u32],
  ['u', nested(struct('evtchn_status_u', [
    ['unbound', nested(struct('evtchn_status_unbound', [['dom', u16]]))],
    ['interdomain', nested(struct('evtchn_status_interdomain', [['dom', u16], ['port', u32]]))],
    ['pirq', u32],
    ['virq', u32],
  ], { union: true }))],
]);

// ---------------------------------------------------------------- grant tables (v1)
export const grant_entry_v1 = struct('grant_entry_v1', [['flags', u16], ['domid', u16], ['frame', u32]]);
export const gnttab_map_grant_ref = struct('gnttab_map_grant_ref', [
  ['host_addr', u64], ['flags', u32], ['ref', u32], ['dom', u16], ['status', i16], ['handle', u32], ['dev_bus_addr', u64],
]);
export const gnttab_unmap_grant_ref = struct('gnttab_unmap_grant_ref', [
  ['host_addr', u64], ['dev_bus_addr', u64], ['handle', u32], ['status', i16],
]);
export const gnttab_setup_table = struct('gnttab_setup_table', [['dom', u16], ['nr_frames', u32], ['status', i16], ['frame_list', u32]]);
export const gnttab_query_size = struct('gnttab_query_size', [['dom', u16], ['nr_frames', u32], ['max_nr_frames', u32], ['status', i16]]);
export const gnttab_copy_ptr = struct('gnttab_copy_ptr', [
  ['u', nested(struct('gnttab_copy_ptr_u', [['ref', u32], ['gmfn', u32]], { union: true }))],
  ['domid', u16], ['offset', u16],
]);
export const gnttab_copy = struct('gnttab_copy', [
  ['source', nested(gnttab_copy_ptr)], ['dest', nested(gnttab_copy_ptr)], ['len', u16], ['flags', u16], ['status', i16],
]);

// ---------------------------------------------------------------- rings (io/console.h, io/xs_wire.h)
export const xencons_interface = struct('xencons_interface', [
  ['in', array(i8, 1024)], ['out', array(i8, 2048)],
  ['in_cons', u32], ['in_prod', u32], ['out_cons', u32], ['out_prod', u32],
]);
export const xenstore_domain_interface = struct('xenstore_domain_interface', [
  ['req', array(i8, 1024)], ['rsp', array(i8, 1024)],
  ['req_cons', u32], ['req_prod', u32], ['rsp_cons', u32], ['rsp_prod', u32],
  ['server_features', u32], ['connection', u32], ['error', u32],
]);
export const xsd_sockmsg = struct('xsd_sockmsg', [['type', u32], ['req_id', u32], ['tx_id', u32], ['len', u32]]);

/** Every structure above, for the header test and for the kernel language. */
export const ALL_STRUCTS = [
  start_info, vcpu_time_info, arch_vcpu_info, vcpu_info, arch_shared_info, shared_info, trap_info,
  xen_callback, callback_register, callback_unregister, cpu_user_regs, multicall_entry, sched_shutdown,
  sched_poll, vcpu_set_singleshot_timer, vcpu_set_periodic_timer, mmu_update, mmuext_op,
  xen_memory_reservation, xen_machphys_mapping, evtchn_alloc_unbound, evtchn_bind_interdomain,
  evtchn_bind_virq, evtchn_bind_ipi, evtchn_close, evtchn_send, evtchn_unmask, evtchn_bind_vcpu,
  evtchn_status, grant_entry_v1, gnttab_map_grant_ref, gnttab_unmap_grant_ref, gnttab_setup_table,
  gnttab_query_size, gnttab_copy_ptr, gnttab_copy, xencons_interface, xenstore_domain_interface, xsd_sockmsg,
] as const;
