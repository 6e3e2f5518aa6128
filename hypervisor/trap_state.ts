// Per-VCPU trap and callback state (the PV fields of Xen's struct arch_vcpu).

export interface TrapEntry { flags: number; cs: number; address: number }

export class TrapState {
  /** The virtual IDT from set_trap_table. */
  table: (TrapEntry | undefined)[] = new Array(256);
  /** Ring-1 stack used when a trap arrives from ring 3 (stack_switch). */
  kernelSs = 0;
  kernelSp = 0;
  eventCs = 0;
  eventEip = 0;
  failsafeCs = 0;
  failsafeEip = 0;
  /** CALLBACKF_mask_events given when the failsafe callback was registered. */
  failsafeMasksEvents = false;
  nmiEip = 0;
  /** Virtual CR0.TS set by fpu_taskswitch. */
  fpuTs = false;
}
