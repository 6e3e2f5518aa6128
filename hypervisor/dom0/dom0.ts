// Dom0: xenstored, the console backend and the block backend of one xenlab
// run, wired to guests through their GuestPorts. The hypervisor gives Dom0 a
// port per domain (attachDomain) and forwards every event a guest sends on a
// channel bound to Dom0 (handleEvent); everything else is internal.
import type { GuestPort } from './port.js';
import { ConsoleBackend, type ConsoleListener } from './console.js';
import { BlkbackDriver } from './blkback.js';
import { XenStore, type Quotas } from './xenstore/xenstored.js';
import { XsHandle } from './xenstore/handle.js';
import { XenStoreRing } from './xenstore/ring-transport.js';
import { listenXenStore, type XenStoreSocket } from './xenstore/socket-server.js';
import { joinStrings, text, XS, type XsError } from './xenstore/wire.js';

/** Rings and event channels a new domain got from the domain builder (its start_info). */
export interface DomainRings {
  storeMfn: number;
  /** The guest's port for XenStore (start_info.store_evtchn), unbound, waiting for Dom0. */
  storeEvtchn: number;
  consoleMfn: number;
  /** The guest's console port (start_info.console.domU.evtchn), unbound, waiting for Dom0. */
  consoleEvtchn: number;
}

export interface Dom0Options { quotas?: Partial<Quotas>; consoleLogBytes?: number }

export class Dom0 {
  readonly store: XenStore;
  /** Dom0's own privileged XenStore handle (what xl and the backends use). */
  readonly xs: XsHandle;
  readonly blkback: BlkbackDriver;
  readonly consoles = new Map<number, ConsoleBackend>();
  readonly storeRings = new Map<number, XenStoreRing>();
  private readonly ports = new Map<number, GuestPort>();
  private readonly consoleListeners = new Set<ConsoleListener>();
  private socket: XenStoreSocket | undefined;

  constructor(private readonly opts: Dom0Options = {}) {
    this.store = new XenStore(opts.quotas);
    this.xs = new XsHandle(this.store);
    this.xs.mkdir('/local/domain/0');
    this.xs.write('/local/domain/0/name', 'Domain-0');
    this.xs.write('/local/domain/0/domid', '0');
    this.store.hooks.introduce = (domid, mfn, evtchn) => this.connectStore(domid, mfn, evtchn);
    this.store.hooks.release = (domid) => this.disconnectStore(domid);
    this.blkback = new BlkbackDriver(this.xs, (d) => this.ports.get(d));
  }

  port(domid: number): GuestPort | undefined { return this.ports.get(domid); }

  /**
   * Take on a new guest: bind its console channel and start the console
   * backend, then introduce it to xenstored (which binds the store channel
   * and serves its ring). Returns an error string, or undefined.
   */
  attachDomain(port: GuestPort, rings: DomainRings): string | undefined {
    if (this.ports.has(port.domid)) return `domain ${port.domid} is already attached to Dom0`;
    this.ports.set(port.domid, port);
    const consPort = port.bindInterdomain(rings.consoleEvtchn);
    if (consPort < 0) { this.ports.delete(port.domid); return `binding the console event channel ${rings.consoleEvtchn} of domain ${port.domid} failed (error ${consPort})`; }
    const con = new ConsoleBackend(port, rings.consoleMfn, consPort, this.opts.consoleLogBytes);
    con.onOutput((d, data) => { for (const l of this.consoleListeners) l(d, data); });
    this.consoles.set(port.domid, con);
    const r = this.xs.request(XS.INTRODUCE, joinStrings([String(port.domid), String(rings.storeMfn), String(rings.storeEvtchn)]));
    if (typeof r === 'string') {
      this.detachDomain(port.domid);
      return `introducing domain ${port.domid} to xenstored failed: ${r}`;
    }
    return undefined;
  }

  /** Forget a guest (after it is destroyed): release it from xenstored and stop its console. */
  detachDomain(domid: number): void {
    if (this.store.domains.has(domid)) this.xs.request(XS.RELEASE, joinStrings([String(domid)]));
    const con = this.consoles.get(domid);
    if (con) { this.ports.get(domid)?.unbind(con.localPort); this.consoles.delete(domid); }
    this.ports.delete(domid);
  }

  /** A guest sent an event on Dom0-side port `localPort`; true if a backend took it. */
  handleEvent(domid: number, localPort: number): boolean {
    const ring = this.storeRings.get(domid);
    if (ring && ring.localPort === localPort) { ring.handleEvent(); return true; }
    const con = this.consoles.get(domid);
    if (con && con.localPort === localPort) { con.handleEvent(); return true; }
    return this.blkback.handleEvent(domid, localPort);
  }

  /**
   * The same, when the hypervisor only says which Dom0 port fired (Dom0's
   * ports are unique in its own event-channel table), as
   * `hv.attachDom0({ onEvent: (p) => dom0.handleDom0Event(p) })` does.
   */
  handleDom0Event(localPort: number): boolean {
    for (const [domid, ring] of this.storeRings) if (ring.localPort === localPort) return this.handleEvent(domid, localPort);
    for (const [domid, con] of this.consoles) if (con.localPort === localPort) return this.handleEvent(domid, localPort);
    for (const dev of this.blkback.devices.values()) if (dev.eventPort === localPort) return this.handleEvent(dev.domid, localPort);
    return false;
  }

  /** Every console byte from every domain, as it is drained. */
  onConsoleOutput(l: ConsoleListener): () => void { this.consoleListeners.add(l); return () => this.consoleListeners.delete(l); }

  /** Serve the store on a Unix socket for xenstore-utils (XENSTORED_PATH=path). */
  async listen(path: string): Promise<XenStoreSocket> {
    await this.socket?.close();
    this.socket = await listenXenStore(this.store, path);
    return this.socket;
  }

  async close(): Promise<void> { await this.socket?.close(); this.socket = undefined; }

  /** xenstore-read as a function (privileged). */
  read(path: string): string | undefined { return this.xs.read(path); }

  /** A one-line reply for `xenlab xenstore` commands. */
  isIntroduced(domid: number): boolean {
    const r = this.xs.request(XS.IS_DOMAIN_INTRODUCED, joinStrings([String(domid)]));
    return typeof r !== 'string' && text(r) === 'T\0';
  }

  private connectStore(domid: number, mfn: number, evtchn: number): XsError | undefined {
    const port = this.ports.get(domid);
    if (!port) return 'EINVAL';
    const local = port.bindInterdomain(evtchn);
    if (local < 0) return 'EINVAL';
    const ring = new XenStoreRing(this.store, port, mfn, local);
    this.storeRings.set(domid, ring);
    ring.handleEvent(); // requests the guest queued before it was introduced
    return undefined;
  }

  private disconnectStore(domid: number): void {
    const ring = this.storeRings.get(domid);
    if (!ring) return;
    ring.close();
    this.ports.get(domid)?.unbind(ring.localPort);
    this.storeRings.delete(domid);
  }
}
