// Grant tables (v1).
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import type { HypercallEntry } from './hypercall.js';

export const HYPERCALLS_GRANTS: Record<number, HypercallEntry> = {};

export class GrantTables {
  constructor(readonly hv: Hypervisor) {}
  initDomain(dom: Domain): void { void dom; }
  destroyDomain(dom: Domain): void { void dom; }
}
