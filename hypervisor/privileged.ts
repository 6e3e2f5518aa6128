// Toolstack hypercalls a domU may not use: domctl, sysctl and platform_op.
// As Xen: the struct is copied in (-EFAULT), its interface_version checked
// (-EACCES for another Xen's tools), then the XSM check refuses an
// unprivileged caller (-EPERM). Versions are Xen 4.17's (libxen-dev headers).
import type { Domain } from './domain.js';
import type { HypercallEntry } from './hypercall.js';
import { HYPERVISOR as H, XEN_ERRNO } from './public/xen.js';

export const XEN_DOMCTL_INTERFACE_VERSION = 0x15;
export const XEN_SYSCTL_INTERFACE_VERSION = 0x15;
export const XENPF_INTERFACE_VERSION = 0x03000001;

/** { uint32_t cmd; uint32_t interface_version; ... } at `arg`. */
function refuse(dom: Domain, arg: number, version: number): number {
  const b = dom.guest.read(arg, 8);
  if (!b) return -XEN_ERRNO.EFAULT;
  if (new DataView(b.buffer).getUint32(4, true) !== version) return -XEN_ERRNO.EACCES;
  return -XEN_ERRNO.EPERM;
}

export const HYPERCALLS_PRIVILEGED: Record<number, HypercallEntry> = {
  [H.domctl]: { arity: 1, fn: (_hv, d, a) => refuse(d, a[0], XEN_DOMCTL_INTERFACE_VERSION) },
  [H.sysctl]: { arity: 1, fn: (_hv, d, a) => refuse(d, a[0], XEN_SYSCTL_INTERFACE_VERSION) },
  [H.platform_op]: { arity: 1, fn: (_hv, d, a) => refuse(d, a[0], XENPF_INTERFACE_VERSION) },
};
