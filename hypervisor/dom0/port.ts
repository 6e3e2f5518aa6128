// The interface between Dom0's services and the hypervisor: one GuestPort per
// guest domain. Backends only ever touch a guest through it, so they run the
// same against the real hypervisor and against the in-memory fake in
// testing/fake-port.ts. Nothing here may throw on a guest mistake: bad frame
// numbers and grant references come back as error codes.

/** A granted page mapped into Dom0 (GNTTABOP_map_grant_ref). */
export interface GrantMapping {
  read(offset: number, len: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  unmap(): void;
}

export interface GuestPort {
  readonly domid: number;
  /** Bytes of a machine frame (a ring page named by start_info or by INTRODUCE). */
  readFrame(mfn: number, offset: number, len: number): Uint8Array;
  writeFrame(mfn: number, offset: number, data: Uint8Array): void;
  /** Send on a Dom0-side event channel port that is bound to this guest. */
  notify(localPort: number): void;
  /** EVTCHNOP_bind_interdomain to the guest's port: the new Dom0-side port, or a negative Xen errno. */
  bindInterdomain(remotePort: number): number;
  /** EVTCHNOP_close on a Dom0-side port made by bindInterdomain. */
  unbind(localPort: number): void;
  /** GNTTABOP_map_grant_ref of the guest's grant `ref`: the mapping, or a negative Xen errno (GNTST_* mapped to -errno). */
  mapGrant(ref: number, write: boolean): GrantMapping | number;
}

export const PAGE_SIZE = 4096;

// Xen errno values (xen/include/public/errno.h) used on the port.
export const XEN_EINVAL = 22;
export const XEN_EPERM = 1;
export const XEN_ENOENT = 2;
export const XEN_EFAULT = 14;
