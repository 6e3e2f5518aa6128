// __HYPERVISOR_xen_version: version numbers, strings and feature bits.
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { XENVER, XEN_ERRNO, X86_32 } from './public/xen.js';

export const XEN_MAJOR = 4;
export const XEN_MINOR = 17;
export const XEN_EXTRAVERSION = '.0-xenlab';
export const XEN_CAPABILITIES = 'xen-3.0-x86_32';

/** Feature bits (submap 0) this hypervisor offers a PV domU: none of the optional ones. */
export const FEATURE_SUBMAP0 = 0;

function fixedString(text: string, size: number): Uint8Array {
  const b = new Uint8Array(size);
  b.set(new TextEncoder().encode(text).subarray(0, size - 1));
  return b;
}

export function doXenVersion(hv: Hypervisor, dom: Domain, cmd: number, arg: number): number {
  void hv;
  const put = (data: Uint8Array) => (dom.guest.write(arg, data) ? 0 : -XEN_ERRNO.EFAULT);
  switch (cmd) {
    case XENVER.version: return (XEN_MAJOR << 16) | XEN_MINOR;
    case XENVER.extraversion: return put(fixedString(XEN_EXTRAVERSION, 16));
    case XENVER.compile_info: {
      const b = new Uint8Array(144);
      b.set(fixedString('tsc (TypeScript)', 64), 0);
      b.set(fixedString('xenlab', 16), 64);
      b.set(fixedString('xenlab', 32), 80);
      b.set(fixedString('virtual', 32), 112);
      return put(b);
    }
    case XENVER.capabilities: return put(fixedString(XEN_CAPABILITIES, 1024));
    case XENVER.changeset: return put(fixedString('xenlab', 64));
    case XENVER.platform_parameters: {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, X86_32.HYPERVISOR_VIRT_START_NONPAE, true);
      return put(b);
    }
    case XENVER.get_features: {
      const idx = dom.guest.read32(arg);
      if (idx === null) return -XEN_ERRNO.EFAULT;
      if (idx !== 0) return -XEN_ERRNO.EINVAL;
      return dom.guest.write32(arg + 4, FEATURE_SUBMAP0) ? 0 : -XEN_ERRNO.EFAULT;
    }
    case XENVER.pagesize: return 4096;
    case XENVER.guest_handle: return put(new Uint8Array(16));
    case XENVER.commandline:
    case XENVER.build_id:
      return -XEN_ERRNO.EPERM; // privileged information
    default:
      return -XEN_ERRNO.ENOSYS;
  }
}
