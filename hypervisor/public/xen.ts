// Xen's x86_32 PV guest ABI: numbers, as in xen/include/public (Xen 4.17,
// __XEN_INTERFACE_VERSION__ 0x00030205). Each group is keyed by the C name
// without its prefix; public/abi.test.ts checks every entry against the
// real headers (the C name is the group's prefix plus the key).

/** Hypercall numbers (__HYPERVISOR_*). */
export const HYPERVISOR = {
  set_trap_table: 0, mmu_update: 1, set_gdt: 2, stack_switch: 3, set_callbacks: 4,
  fpu_taskswitch: 5, sched_op_compat: 6, platform_op: 7, set_debugreg: 8, get_debugreg: 9,
  update_descriptor: 10, memory_op: 12, multicall: 13, update_va_mapping: 14,
  set_timer_op: 15, event_channel_op_compat: 16, xen_version: 17, console_io: 18,
  physdev_op_compat: 19, grant_table_op: 20, vm_assist: 21, update_va_mapping_otherdomain: 22,
  iret: 23, vcpu_op: 24, set_segment_base: 25, mmuext_op: 26, xsm_op: 27, nmi_op: 28,
  sched_op: 29, callback_op: 30, xenoprof_op: 31, event_channel_op: 32, physdev_op: 33,
  hvm_op: 34, sysctl: 35, domctl: 36, kexec_op: 37, tmem_op: 38, argo_op: 39, xenpmu_op: 40,
  dm_op: 41, hypfs_op: 42,
} as const;

/** Hypercall names by number, for traces and records. */
export const HYPERCALL_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, nr] of Object.entries(HYPERVISOR)) names[nr] = name;
  return names;
})();

/** Xen's errno values (xen/include/public/errno.h); hypercalls return their negation. */
export const XEN_ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, EWOULDBLOCK: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOSPC: 28, EROFS: 30, EMLINK: 31, EDOM: 33,
  ERANGE: 34, EDEADLK: 35, EDEADLOCK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ENODATA: 61,
  ETIME: 62, EBADMSG: 74, EOVERFLOW: 75, EILSEQ: 84, ENOTSOCK: 88, EMSGSIZE: 90, EOPNOTSUPP: 95,
  EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110,
  ECONNREFUSED: 111,
} as const;

/** Segment selectors and the hypervisor hole (arch-x86/xen-x86_32.h). */
export const X86_32 = {
  FLAT_RING1_CS: 0xe019, FLAT_RING1_DS: 0xe021, FLAT_RING1_SS: 0xe021,
  FLAT_RING3_CS: 0xe02b, FLAT_RING3_DS: 0xe033, FLAT_RING3_SS: 0xe033,
  FLAT_KERNEL_CS: 0xe019, FLAT_KERNEL_DS: 0xe021, FLAT_KERNEL_SS: 0xe021,
  FLAT_USER_CS: 0xe02b, FLAT_USER_DS: 0xe033, FLAT_USER_SS: 0xe033,
  /** Non-PAE values (the headers' __HYPERVISOR_VIRT_START_PAE is 0xF5800000). */
  HYPERVISOR_VIRT_START_NONPAE: 0xfc000000,
  MACH2PHYS_VIRT_START_NONPAE: 0xfc000000,
  MACH2PHYS_VIRT_END_NONPAE: 0xfc400000,
  HYPERVISOR_VIRT_START_PAE: 0xf5800000,
  MACH2PHYS_VIRT_START_PAE: 0xf5800000,
  MACH2PHYS_VIRT_END_PAE: 0xf6800000,
  /** First GDT entry Xen reserves (FIRST_RESERVED_GDT_ENTRY = 14 pages * 512). */
  FIRST_RESERVED_GDT_PAGE: 14,
  FIRST_RESERVED_GDT_BYTE: 14 * 4096,
  FIRST_RESERVED_GDT_ENTRY: 14 * 512,
  /** Pages in a domain's GDT area (the guest may use the first 14). */
  GDT_PAGES: 16,
} as const;

export const SCHEDOP = { yield: 0, block: 1, shutdown: 2, poll: 3, remote_shutdown: 4, shutdown_code: 5, watchdog: 6, pin_override: 7 } as const;
export const SHUTDOWN = { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 } as const;
export const CONSOLEIO = { write: 0, read: 1 } as const;

export const XENVER = {
  version: 0, extraversion: 1, compile_info: 2, capabilities: 3, changeset: 4,
  platform_parameters: 5, get_features: 6, pagesize: 7, guest_handle: 8, commandline: 9, build_id: 10,
} as const;

export const XENFEAT = {
  writable_page_tables: 0, writable_descriptor_tables: 1, auto_translated_physmap: 2,
  supervisor_mode_kernel: 3, pae_pgdir_above_4gb: 4, mmu_pt_update_preserve_ad: 5,
  highmem_assist: 6, gnttab_map_avail_bits: 7, hvm_callback_vector: 8, hvm_safe_pvclock: 9,
  hvm_pirqs: 10, dom0: 11,
} as const;

export const MMU = { NORMAL_PT_UPDATE: 0, MACHPHYS_UPDATE: 1, PT_UPDATE_PRESERVE_AD: 2 } as const;

export const MMUEXT = {
  PIN_L1_TABLE: 0, PIN_L2_TABLE: 1, PIN_L3_TABLE: 2, PIN_L4_TABLE: 3, UNPIN_TABLE: 4,
  NEW_BASEPTR: 5, TLB_FLUSH_LOCAL: 6, INVLPG_LOCAL: 7, TLB_FLUSH_MULTI: 8, INVLPG_MULTI: 9,
  TLB_FLUSH_ALL: 10, INVLPG_ALL: 11, FLUSH_CACHE: 12, SET_LDT: 13, NEW_USER_BASEPTR: 15,
  CLEAR_PAGE: 16, COPY_PAGE: 17, FLUSH_CACHE_GLOBAL: 18, MARK_SUPER: 19, UNMARK_SUPER: 20,
} as const;

/** update_va_mapping flags (UVMF_*); the top bits carry a vcpumask pointer for MULTI. */
export const UVMF = { NONE: 0, TLB_FLUSH: 1, INVLPG: 2, FLUSHTYPE_MASK: 3, MULTI: 0, LOCAL: 0, ALL: 4 } as const;

export const VMASST = { CMD_enable: 0, CMD_disable: 1 } as const;
export const VMASST_TYPE = {
  '4gb_segments': 0, '4gb_segments_notify': 1, writable_pagetables: 2, pae_extended_cr3: 3,
  architectural_iopl: 4, runstate_update_flag: 5, m2p_strict: 32,
} as const;

export const XENMEM = {
  increase_reservation: 0, decrease_reservation: 1, maximum_ram_page: 2, current_reservation: 3,
  maximum_reservation: 4, machphys_mfn_list: 5, populate_physmap: 6, add_to_physmap: 7,
  memory_map: 9, machine_memory_map: 10, exchange: 11, machphys_mapping: 12, set_memory_map: 13,
  maximum_gpfn: 14, remove_from_physmap: 15,
} as const;

export const VCPUOP = {
  initialise: 0, up: 1, down: 2, is_up: 3, get_runstate_info: 4, register_runstate_memory_area: 5,
  set_periodic_timer: 6, stop_periodic_timer: 7, set_singleshot_timer: 8, stop_singleshot_timer: 9,
  register_vcpu_info: 10, send_nmi: 11, get_physid: 12, register_vcpu_time_memory_area: 13,
} as const;
export const VCPU_SSHOTTMR = { future: 1 } as const;

export const CALLBACKOP = { register: 0, unregister: 1 } as const;
/** At interface 0x00030205 CALLBACKTYPE_sysenter is the deprecated 3 (5 from 0x00030207 on). */
export const CALLBACKTYPE = { event: 0, failsafe: 1, syscall: 2, sysenter_deprecated: 3, nmi: 4, sysenter: 3, syscall32: 7 } as const;
/** callback_register.flags bit: mask events on entry to the callback. */
export const CALLBACKF = { mask_events: 1 } as const;

export const EVTCHNOP = {
  bind_interdomain: 0, bind_virq: 1, bind_pirq: 2, close: 3, send: 4, status: 5, alloc_unbound: 6,
  bind_ipi: 7, bind_vcpu: 8, unmask: 9, reset: 10, init_control: 11, expand_array: 12, set_priority: 13,
} as const;
export const EVTCHNSTAT = { closed: 0, unbound: 1, interdomain: 2, pirq: 3, virq: 4, ipi: 5 } as const;

export const VIRQ = { TIMER: 0, DEBUG: 1, CONSOLE: 2, DOM_EXC: 3, TBUF: 4, DEBUGGER: 6, XENOPROF: 7, CON_RING: 8 } as const;
export const NR_VIRQS = 24;

export const DOMID = { FIRST_RESERVED: 0x7ff0, SELF: 0x7ff0, IO: 0x7ff1, XEN: 0x7ff2, COW: 0x7ff3, INVALID: 0x7ff4, IDLE: 0x7fff } as const;

export const GNTTABOP = {
  map_grant_ref: 0, unmap_grant_ref: 1, setup_table: 2, dump_table: 3, transfer: 4, copy: 5,
  query_size: 6, unmap_and_replace: 7,
} as const;
export const GTF = {
  invalid: 0, permit_access: 1, accept_transfer: 2, transitive: 3, type_mask: 3,
  readonly: 1 << 2, reading: 1 << 3, writing: 1 << 4, PWT: 1 << 5, PCD: 1 << 6, PAT: 1 << 7,
  sub_page: 1 << 8, transfer_committed: 1 << 2, transfer_completed: 1 << 3,
} as const;
export const GNTMAP = { device_map: 1, host_map: 2, readonly: 4, application_map: 8, contains_pte: 16 } as const;
export const GNTCOPY = { source_gref: 1, dest_gref: 2 } as const;
export const GNTST = {
  okay: 0, general_error: -1, bad_domain: -2, bad_gntref: -3, bad_handle: -4, bad_virt_addr: -5,
  bad_dev_addr: -6, no_device_space: -7, permission_denied: -8, bad_page: -9, bad_copy_arg: -10,
  address_too_big: -11, eagain: -12,
} as const;
/** Grant references 0..7 are reserved for the toolstack (console 0, xenstore 1). */
export const GNTTAB_NR_RESERVED_ENTRIES = 8;

/** start_info.flags (SIF_*). */
export const SIF = { PRIVILEGED: 1, INITDOMAIN: 2, MULTIBOOT_MOD: 4, MOD_START_PFN: 8, VIRT_P2M_4TOOLS: 16 } as const;

/** Trap-table flags: the DPL sits in bits 0-1, bit 2 masks events on entry (TI_*). */
export const TI = { DPL_MASK: 3, IF_MASK: 4 } as const;

/** ELF note types of owner "Xen" (elfnote.h, XEN_ELFNOTE_*). */
export const XEN_ELFNOTE = {
  INFO: 0, ENTRY: 1, HYPERCALL_PAGE: 2, VIRT_BASE: 3, PADDR_OFFSET: 4, XEN_VERSION: 5, GUEST_OS: 6,
  GUEST_VERSION: 7, LOADER: 8, PAE_MODE: 9, FEATURES: 10, BSD_SYMTAB: 11, HV_START_LOW: 12,
  L1_MFN_VALID: 13, SUSPEND_CANCEL: 14, INIT_P2M: 15, MOD_START_PFN: 16, SUPPORTED_FEATURES: 17,
  PHYS32_ENTRY: 18,
} as const;

/** Page-table entry bits (x86 _PAGE_*). */
export const PAGE = {
  PRESENT: 0x001, RW: 0x002, USER: 0x004, PWT: 0x008, PCD: 0x010, ACCESSED: 0x020, DIRTY: 0x040,
  PSE: 0x080, GLOBAL: 0x100, AVAIL: 0xe00,
} as const;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
/** Event channels in the 2-level ABI on x86_32: 32 words of 32 bits. */
export const NR_EVENT_CHANNELS = 1024;
export const XEN_LEGACY_MAX_VCPUS = 32;
export const START_INFO_MAGIC = 'xen-3.0-x86_32';
/** Bytes of the start_info cmd_line buffer (MAX_GUEST_CMDLINE). */
export const MAX_GUEST_CMDLINE = 1024;
/** Offset of the iret stub in the hypercall page (slot 23 * 32). */
export const HYPERCALL_SLOT_SIZE = 32;
