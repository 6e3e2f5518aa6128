// What the TypeScript Dom0 (hypervisor/dom0) uses to reach a guest: its
// frames, inter-domain event channels bound on Dom0's side, notifications,
// and grant mappings. It has the shape of dom0/port.ts's GuestPort (kept
// structural so the hypervisor core does not import Dom0). Nothing here
// throws on a guest's mistake: bad frames read as empty, bad references
// come back as negative Xen errnos.
import type { Hypervisor } from './hypervisor.js';
import { GNTST, XEN_ERRNO } from './public/xen.js';

export const DOM0 = 0;

export interface HostGrantMapping {
  read(offset: number, len: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  unmap(): void;
}

export interface HostPort {
  readonly domid: number;
  readFrame(mfn: number, offset: number, len: number): Uint8Array;
  writeFrame(mfn: number, offset: number, data: Uint8Array): void;
  notify(localPort: number): void;
  bindInterdomain(remotePort: number): number;
  unbind(localPort: number): void;
  mapGrant(ref: number, write: boolean): HostGrantMapping | number;
}

const GNTST_TO_ERRNO: Record<number, number> = {
  [GNTST.bad_domain]: -XEN_ERRNO.ESRCH,
  [GNTST.bad_gntref]: -XEN_ERRNO.EINVAL,
  [GNTST.permission_denied]: -XEN_ERRNO.EPERM,
  [GNTST.bad_page]: -XEN_ERRNO.EINVAL,
};

function inFrame(offset: number, len: number): boolean {
  return Number.isInteger(offset) && Number.isInteger(len) && offset >= 0 && len >= 0 && offset + len <= 4096;
}

/** Dom0's view of guest `domid`. Call hv.attachDom0 first. */
export function hostPort(hv: Hypervisor, domid: number): HostPort {
  const owned = (mfn: number) => hv.frames.valid(mfn) && hv.frames.owner[mfn] === domid;
  return {
    domid,
    readFrame(mfn, offset, len) {
      if (!owned(mfn) || !inFrame(offset, len)) return new Uint8Array(0);
      return hv.mem.readBytes(mfn * 4096 + offset, len);
    },
    writeFrame(mfn, offset, data) {
      if (!owned(mfn) || !inFrame(offset, data.length)) return;
      hv.mem.writeBytes(mfn * 4096 + offset, data);
    },
    notify(localPort) {
      const t = hv.events.table(DOM0);
      if (t) hv.events.send(t, localPort);
    },
    bindInterdomain(remotePort) {
      const t = hv.events.table(DOM0);
      return t ? hv.events.bindInterdomain(t, domid, remotePort) : -XEN_ERRNO.ESRCH;
    },
    unbind(localPort) {
      const t = hv.events.table(DOM0);
      if (t) hv.events.close(t, localPort);
    },
    mapGrant(ref, write) {
      const got = hv.grants.acquire(DOM0, domid, ref, write);
      if (typeof got === 'number') return GNTST_TO_ERRNO[got] ?? -XEN_ERRNO.EINVAL;
      const handle = hv.grants.track(DOM0, { granter: domid, ref, frame: got.frame, writable: write, hostAddr: 0 });
      let mapped = true;
      const base = got.frame * 4096;
      return {
        read: (offset, len) => (mapped && inFrame(offset, len) ? hv.mem.readBytes(base + offset, len) : new Uint8Array(0)),
        write: (offset, data) => { if (mapped && write && inFrame(offset, data.length)) hv.mem.writeBytes(base + offset, data); },
        unmap: () => { if (mapped) { mapped = false; hv.grants.release(DOM0, handle); } },
      };
    },
  };
}
