// Event channels (2-level ABI).
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import type { HypercallEntry } from './hypercall.js';
import { XEN_ERRNO } from './public/xen.js';

export const HYPERCALLS_EVENTS: Record<number, HypercallEntry> = {};

export class EventChannels {
  constructor(readonly hv: Hypervisor) {}
  initDomain(dom: Domain): void { void dom; }
  domainDied(dom: Domain): void { void dom; }
  poll(dom: Domain, ports: number, nrPorts: number, timeout: number): number { void dom; void ports; void nrPorts; void timeout; return -XEN_ERRNO.ENOSYS; }
}
