// An in-memory GuestPort: a Uint8Array per machine frame, a grant table as a
// map from reference to (frame, writable), event channels as counters and
// callbacks. Tests drive Dom0 through it; the lead can use it to wire Dom0
// without the hypervisor.
import { type GrantMapping, type GuestPort, PAGE_SIZE, XEN_EINVAL, XEN_ENOENT, XEN_EPERM } from '../port.js';

export interface FakeGrant { mfn: number; readonly: boolean }

export class FakeGuestPort implements GuestPort {
  readonly frames = new Map<number, Uint8Array>();
  readonly grants = new Map<number, FakeGrant>();
  /** Number of notifications Dom0 sent on each of its local ports. */
  readonly notifications = new Map<number, number>();
  /** Dom0 local port → guest port, for channels made by bindInterdomain. */
  readonly bound = new Map<number, number>();
  /** Guest ports that were bound (guest side of channels it allocated as unbound). */
  readonly unboundGuestPorts = new Set<number>();
  mappedCount = 0;
  onNotify?: (localPort: number) => void;
  private nextLocal = 100;

  constructor(readonly domid: number) {}

  frame(mfn: number): Uint8Array {
    let f = this.frames.get(mfn);
    if (!f) { f = new Uint8Array(PAGE_SIZE); this.frames.set(mfn, f); }
    return f;
  }

  readFrame(mfn: number, offset: number, len: number): Uint8Array {
    const f = this.frames.get(mfn);
    // Like the hypervisor's host port: a frame the guest does not own reads as nothing.
    if (!f || offset < 0 || len < 0 || offset + len > PAGE_SIZE) return new Uint8Array(0);
    return f.slice(offset, offset + len);
  }

  writeFrame(mfn: number, offset: number, data: Uint8Array): void {
    const f = this.frames.get(mfn);
    if (!f || offset < 0 || offset + data.length > PAGE_SIZE) return;
    f.set(data, offset);
  }

  notify(localPort: number): void {
    this.notifications.set(localPort, (this.notifications.get(localPort) ?? 0) + 1);
    this.onNotify?.(localPort);
  }

  notifyCount(localPort: number): number { return this.notifications.get(localPort) ?? 0; }

  bindInterdomain(remotePort: number): number {
    if (!this.unboundGuestPorts.has(remotePort)) return -XEN_EINVAL;
    this.unboundGuestPorts.delete(remotePort);
    const local = this.nextLocal++;
    this.bound.set(local, remotePort);
    return local;
  }

  unbind(localPort: number): void { this.bound.delete(localPort); }

  grant(ref: number, mfn: number, readonly = false): void {
    this.frame(mfn);
    this.grants.set(ref, { mfn, readonly });
  }

  mapGrant(ref: number, write: boolean): GrantMapping | number {
    const g = this.grants.get(ref);
    if (!g) return -XEN_ENOENT;
    if (write && g.readonly) return -XEN_EPERM;
    const f = this.frames.get(g.mfn);
    if (!f) return -XEN_EINVAL;
    this.mappedCount++;
    let live = true;
    return {
      read: (off, len) => (live && off >= 0 && len >= 0 && off + len <= PAGE_SIZE ? f.slice(off, off + len) : new Uint8Array(0)),
      write: (off, data) => { if (live && write && off >= 0 && off + data.length <= PAGE_SIZE) f.set(data, off); },
      unmap: () => { if (live) { live = false; this.mappedCount--; } },
    };
  }
}
