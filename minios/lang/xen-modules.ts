// The hypervisor/public modules whose exports make up "xen/public" for kernels, and how their grouped constants
// are named in C: hypervisor/public keys each group by the C name without its prefix (SCHEDOP.shutdown is
// SCHEDOP_shutdown), so kernels see the C names.
import * as structs from '../../hypervisor/public/structs.js';
import * as xen from '../../hypervisor/public/xen.js';

export const publicModules: Record<string, unknown>[] = [xen, structs];

/** C prefix of each constant group whose prefix is not simply `<GROUP>_`. */
export const groupPrefix: Record<string, string> = {
  HYPERVISOR: '__HYPERVISOR_',
  X86_32: '',
  XEN_ERRNO: '',
  PAGE: '_PAGE_',
};
