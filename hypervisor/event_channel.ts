// Event channels with the 2-level ABI: per-port pending and mask bits in
// shared_info, a selector word per VCPU, and evtchn_upcall_pending to ask
// for the callback. Ports connect two domains (interdomain), a domain to a
// virtual IRQ (virq) or to itself (ipi). Domain 0 is the TypeScript Dom0:
// its ports live here too and its notifications go to a host callback.
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import type { HypercallEntry } from './hypercall.js';
import { DOMID, EVTCHNOP, EVTCHNSTAT, HYPERVISOR as H, NR_EVENT_CHANNELS, NR_VIRQS, VIRQ, XEN_ERRNO } from './public/xen.js';
import { SI } from './shared_info.js';

const { EFAULT, EINVAL, ENOSYS, EPERM, ESRCH, EEXIST, ENOENT, ENOSPC } = XEN_ERRNO;

export type PortState =
  | { kind: 'closed' }
  | { kind: 'unbound'; remoteDom: number }
  | { kind: 'interdomain'; remoteDom: number; remotePort: number }
  | { kind: 'virq'; virq: number }
  | { kind: 'ipi' }
  | { kind: 'reserved' };

/** One domain's ports. For guests the pending/mask bits live in shared_info; for Dom0 in this table. */
export class PortTable {
  ports: PortState[] = [{ kind: 'reserved' }];
  virqs = new Int32Array(NR_VIRQS);
  /** Host-side pending bits (Dom0 only). */
  hostPending = new Set<number>();
  constructor(readonly domid: number, readonly onHostEvent?: (port: number) => void) {}

  get(port: number): PortState | undefined {
    return Number.isInteger(port) && port > 0 && port < this.ports.length ? this.ports[port] : undefined;
  }

  allocate(): number {
    for (let p = 1; p < this.ports.length; p++) if (this.ports[p].kind === 'closed') return p;
    if (this.ports.length >= NR_EVENT_CHANNELS) return -ENOSPC;
    this.ports.push({ kind: 'closed' });
    return this.ports.length - 1;
  }
}

/** Xen's virq_is_global: per-VCPU VIRQs are TIMER, DEBUG, XENOPROF and XENPMU; the rest are global. */
export function virqIsGlobal(virq: number): boolean {
  return virq !== VIRQ.TIMER && virq !== VIRQ.DEBUG && virq !== VIRQ.XENOPROF && virq !== VIRQ_XENPMU;
}
const VIRQ_XENPMU = 13;

export class EventChannels {
  private tables = new Map<number, PortTable>();
  /** Domains sleeping in SCHEDOP_poll, with the ports they poll (empty: any port). */
  private polling = new Map<number, Set<number>>();

  constructor(readonly hv: Hypervisor) {}

  initDomain(dom: Domain): void { this.tables.set(dom.domid, new PortTable(dom.domid)); }

  /** Registers a host-side domain (Dom0) whose notifications call `onEvent(localPort)`. */
  registerHostDomain(domid: number, onEvent: (port: number) => void): PortTable {
    const t = new PortTable(domid, onEvent);
    this.tables.set(domid, t);
    return t;
  }

  table(domid: number): PortTable | undefined { return this.tables.get(domid); }

  /** Closes every port of a dead domain; its peers' ends go back to unbound. */
  domainDied(dom: Domain): void {
    const t = this.tables.get(dom.domid);
    if (!t) return;
    for (let p = 1; p < t.ports.length; p++) this.close(t, p);
    this.tables.delete(dom.domid);
    this.polling.delete(dom.domid);
  }

  // ---------------------------------------------------------------- the 2-level ABI
  /** evtchn_set_pending: marks `port` pending in `domid` and asks for an upcall when it is unmasked. */
  setPending(domid: number, port: number): void {
    const t = this.tables.get(domid);
    if (!t) return;
    if (t.onHostEvent) {
      t.hostPending.add(port);
      t.onHostEvent(port);
      return;
    }
    const dom = this.hv.domain(domid);
    if (!dom || !dom.alive) return;
    const mem = this.hv.mem;
    const si = dom.sharedInfoMfn << 12;
    const word = si + SI.evtchnPending + (port >>> 5) * 4;
    const bit = 1 << (port & 31);
    const pending = mem.read32(word);
    if (pending & bit) return;
    mem.write32(word, (pending | bit) >>> 0);
    this.wakePoller(dom, port);
    if (mem.read32(si + SI.evtchnMask + (port >>> 5) * 4) & bit) return;
    const sel = mem.read32(si + SI.pendingSel(0));
    const selBit = 1 << (port >>> 5);
    if (!(sel & selBit)) mem.write32(si + SI.pendingSel(0), (sel | selBit) >>> 0);
    this.markEventsPending(dom);
  }

  private markEventsPending(dom: Domain): void {
    const si = dom.sharedInfoMfn << 12;
    this.hv.mem.write8(si + SI.upcallPending(0), 1);
    if (dom.state === 'blocked' || dom.pausedFrom === 'blocked') this.hv.wake(dom);
  }

  /** Raises a virtual IRQ in a domain if it has bound it. */
  sendVirq(dom: Domain, virq: number): void {
    const t = this.tables.get(dom.domid);
    const port = t?.virqs[virq] ?? 0;
    if (port > 0) this.setPending(dom.domid, port);
  }

  virqBound(dom: Domain, virq: number): boolean { return (this.tables.get(dom.domid)?.virqs[virq] ?? 0) > 0; }

  // ---------------------------------------------------------------- operations (shared by guests and Dom0)
  allocUnbound(local: PortTable, remoteDom: number): number {
    const port = local.allocate();
    if (port < 0) return port;
    local.ports[port] = { kind: 'unbound', remoteDom };
    return port;
  }

  bindInterdomain(local: PortTable, remoteDom: number, remotePort: number): number {
    const remote = this.tables.get(remoteDom);
    if (!remote) return -ESRCH;
    const rs = remote.get(remotePort);
    if (!rs || rs.kind !== 'unbound' || rs.remoteDom !== local.domid) return -EINVAL;
    const port = local.allocate();
    if (port < 0) return port;
    local.ports[port] = { kind: 'interdomain', remoteDom, remotePort };
    remote.ports[remotePort] = { kind: 'interdomain', remoteDom: local.domid, remotePort: port };
    // Xen marks the local end pending so neither side misses a notification sent before the bind.
    this.setPending(local.domid, port);
    return port;
  }

  close(t: PortTable, port: number): number {
    const s = t.get(port);
    if (!s || s.kind === 'closed' || s.kind === 'reserved') return -EINVAL;
    if (s.kind === 'interdomain') {
      const remote = this.tables.get(s.remoteDom);
      const rs = remote?.get(s.remotePort);
      if (remote && rs?.kind === 'interdomain' && rs.remoteDom === t.domid && rs.remotePort === port) {
        remote.ports[s.remotePort] = { kind: 'unbound', remoteDom: t.domid };
      }
    } else if (s.kind === 'virq') {
      t.virqs[s.virq] = 0;
    }
    t.ports[port] = { kind: 'closed' };
    t.hostPending.delete(port);
    return 0;
  }

  send(t: PortTable, port: number): number {
    const s = t.get(port);
    if (!s) return -EINVAL;
    switch (s.kind) {
      case 'interdomain': this.setPending(s.remoteDom, s.remotePort); return 0;
      case 'ipi': this.setPending(t.domid, port); return 0;
      case 'unbound': return 0; // silently dropped, as in Xen
      default: return -EINVAL;
    }
  }

  /**
   * SCHEDOP_poll: 0 at once if a polled port is pending, otherwise sleep until one of them
   * becomes pending (masked or not, as in Xen: the upcall mask and port masks do not matter),
   * or the timeout. Ports are checked as Xen's do_poll does: any port below the 2-level limit.
   */
  poll(dom: Domain, portsPtr: number, nrPorts: number, timeoutNs: number): number {
    if (nrPorts > 128) return -EINVAL;
    const t = this.tables.get(dom.domid);
    if (!t) return -EINVAL;
    const si = dom.sharedInfoMfn << 12;
    let anyPending = false;
    const ports = new Set<number>();
    for (let i = 0; i < nrPorts; i++) {
      const p = dom.guest.read32((portsPtr + i * 4) >>> 0);
      if (p === null) return -EFAULT;
      if (p >= NR_EVENT_CHANNELS) return -EINVAL;
      if (this.hv.mem.read32(si + SI.evtchnPending + (p >>> 5) * 4) & (1 << (p & 31))) anyPending = true;
      ports.add(p);
    }
    if (anyPending) return 0;
    dom.state = 'blocked';
    this.polling.set(dom.domid, ports);
    this.hv.reschedule = true;
    if (timeoutNs > 0) this.hv.timerOps.pollTimeout(dom, timeoutNs);
    return 0;
  }

  /** Xen's rcu_lock_domain_by_any_id succeeds (the caller may still lack the privilege). */
  private exists(domid: number): boolean { return this.tables.has(domid); }

  /** The domain stopped polling (it blocked some other way, or died). */
  stopPolling(dom: Domain): void { this.polling.delete(dom.domid); }

  private wakePoller(dom: Domain, port: number): void {
    const ports = this.polling.get(dom.domid);
    if (!ports) return;
    if (dom.state !== 'blocked' && dom.pausedFrom !== 'blocked') { this.polling.delete(dom.domid); return; }
    if (ports.size && !ports.has(port)) return;
    this.polling.delete(dom.domid);
    this.hv.wake(dom);
  }

  // ---------------------------------------------------------------- the hypercall
  op(dom: Domain, cmd: number, arg: number): number {
    const t = this.tables.get(dom.domid);
    if (!t) return -ESRCH;
    const g = dom.guest;
    const self = (d: number) => (d === DOMID.SELF ? dom.domid : d);
    const readWords = (n: number) => {
      const b = g.read(arg, n * 4);
      return b ? new DataView(b.buffer) : null;
    };
    switch (cmd) {
      case EVTCHNOP.alloc_unbound: {
        const v = readWords(2);
        if (!v) return -EFAULT;
        const owner = self(v.getUint16(0, true));
        // As Xen: a domain that does not exist is -ESRCH, one that exists but is not the caller -EPERM (a domU
        // may allocate only its own ports; Dom0, the TypeScript host, always exists).
        if (owner !== dom.domid) return owner === 0 || this.hv.domain(owner) ? -EPERM : -ESRCH;
        const port = this.allocUnbound(t, self(v.getUint16(2, true)));
        if (port < 0) return port;
        return g.write32(arg + 4, port) ? 0 : -EFAULT;
      }
      case EVTCHNOP.bind_interdomain: {
        const v = readWords(3);
        if (!v) return -EFAULT;
        const port = this.bindInterdomain(t, self(v.getUint16(0, true)), v.getUint32(4, true));
        if (port < 0) return port;
        return g.write32(arg + 8, port) ? 0 : -EFAULT;
      }
      case EVTCHNOP.bind_virq: {
        const v = readWords(3);
        if (!v) return -EFAULT;
        const virq = v.getUint32(0, true), vcpu = v.getUint32(4, true);
        if (virq >= NR_VIRQS) return -EINVAL;
        if (virqIsGlobal(virq) && vcpu !== 0) return -EINVAL; // a global VIRQ goes to VCPU 0 (move it with bind_vcpu)
        if (vcpu !== 0) return -ENOENT;
        if (t.virqs[virq]) return -EEXIST;
        const port = t.allocate();
        if (port < 0) return port;
        t.ports[port] = { kind: 'virq', virq };
        t.virqs[virq] = port;
        if (virq === 0) this.hv.timerOps.virqTimerBound(dom);
        return g.write32(arg + 8, port) ? 0 : -EFAULT;
      }
      case EVTCHNOP.bind_ipi: {
        const v = readWords(2);
        if (!v) return -EFAULT;
        if (v.getUint32(0, true) !== 0) return -ENOENT;
        const port = t.allocate();
        if (port < 0) return port;
        t.ports[port] = { kind: 'ipi' };
        return g.write32(arg + 4, port) ? 0 : -EFAULT;
      }
      case EVTCHNOP.close: {
        const v = readWords(1);
        return v ? this.close(t, v.getUint32(0, true)) : -EFAULT;
      }
      case EVTCHNOP.send: {
        const v = readWords(1);
        return v ? this.send(t, v.getUint32(0, true)) : -EFAULT;
      }
      case EVTCHNOP.status: {
        const v = readWords(2);
        if (!v) return -EFAULT;
        const owner = self(v.getUint16(0, true));
        if (owner !== dom.domid) return this.exists(owner) ? -EPERM : -ESRCH;
        const port = v.getUint32(4, true);
        const s = t.get(port);
        if (!s && port !== 0) return -EINVAL;
        const out = new DataView(new ArrayBuffer(16));
        const st = s ?? { kind: 'reserved' as const };
        const code = st.kind === 'closed' || st.kind === 'reserved' ? EVTCHNSTAT.closed : EVTCHNSTAT[st.kind];
        out.setUint32(0, code, true);
        out.setUint32(4, 0, true);
        if (st.kind === 'unbound') out.setUint16(8, st.remoteDom, true);
        if (st.kind === 'interdomain') { out.setUint16(8, st.remoteDom, true); out.setUint32(12, st.remotePort, true); }
        if (st.kind === 'virq') out.setUint32(8, st.virq, true);
        return g.write(arg + 8, new Uint8Array(out.buffer)) ? 0 : -EFAULT;
      }
      case EVTCHNOP.unmask: {
        const v = readWords(1);
        if (!v) return -EFAULT;
        const port = v.getUint32(0, true);
        if (!t.get(port)) return -EINVAL;
        this.unmask(dom, port);
        return 0;
      }
      case EVTCHNOP.bind_vcpu: {
        // As Xen's evtchn_bind_vcpu: the VCPU first, then the port; only global VIRQs and
        // interdomain/unbound ports can move (per-VCPU VIRQs and IPIs are tied to their VCPU).
        const v = readWords(2);
        if (!v) return -EFAULT;
        if (v.getUint32(4, true) !== 0) return -ENOENT;
        const s = t.get(v.getUint32(0, true));
        if (!s) return -EINVAL;
        return s.kind === 'interdomain' || s.kind === 'unbound' || (s.kind === 'virq' && virqIsGlobal(s.virq)) ? 0 : -EINVAL;
      }
      default:
        return -ENOSYS;
    }
  }

  /** evtchn_unmask: clear the mask bit and raise the upcall if the port was pending meanwhile. */
  unmask(dom: Domain, port: number): void {
    const mem = this.hv.mem;
    const si = dom.sharedInfoMfn << 12;
    const maskWord = si + SI.evtchnMask + (port >>> 5) * 4;
    const bit = 1 << (port & 31);
    const m = mem.read32(maskWord);
    if (!(m & bit)) return;
    mem.write32(maskWord, (m & ~bit) >>> 0);
    if (!(mem.read32(si + SI.evtchnPending + (port >>> 5) * 4) & bit)) return;
    const sel = mem.read32(si + SI.pendingSel(0));
    const selBit = 1 << (port >>> 5);
    if (sel & selBit) return;
    mem.write32(si + SI.pendingSel(0), (sel | selBit) >>> 0);
    this.markEventsPending(dom);
  }
}

export const HYPERCALLS_EVENTS: Record<number, HypercallEntry> = {
  [H.event_channel_op]: { arity: 2, fn: (hv, d, a) => hv.events.op(d, a[0], a[1]) },
  // The old form: a pointer to { u32 cmd; union }.
  [H.event_channel_op_compat]: {
    arity: 1,
    fn: (hv, d, a) => {
      const cmd = d.guest.read32(a[0]);
      return cmd === null ? -EFAULT : hv.events.op(d, cmd, (a[0] + 4) >>> 0);
    },
  },
};
