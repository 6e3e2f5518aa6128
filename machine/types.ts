// The contract between the machine and the software that drives it (the
// hypervisor, or the bare-metal Multiboot loader). The machine knows nothing
// of Xen: it runs until something needs the layer above and says why.

/** General-purpose register numbers, in x86 encoding order. */
export const enum Reg { EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7 }

/** Segment register numbers, in x86 encoding order. */
export const enum Seg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

/** Architectural exception vectors. */
export const enum Vec {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
  TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19,
}

/** EFLAGS bits. */
export const enum Flag {
  CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8,
  IF = 1 << 9, DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16,
  VM = 1 << 17, AC = 1 << 18, VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21,
}

/**
 * Why `Cpu.run` returned. In every case the architectural state is
 * consistent and `run` may be called again.
 */
export type Exit =
  /** The instruction budget given to `run` was used up. */
  | { kind: 'budget' }
  /** `hlt` retired; EIP points after it. */
  | { kind: 'hlt' }
  /**
   * A software interrupt (`int n`, `int3`, `into` when OF=1) whose vector the
   * host claimed. EIP points after the instruction; `insnEip` at it.
   */
  | { kind: 'interrupt'; vector: number; insnEip: number; insnLength: number }
  /**
   * An exception the host claimed. Faults leave EIP at the faulting
   * instruction (restartable); traps after it. `errorCode` is present for the
   * vectors that push one; for #PF CR2 holds the linear address as well.
   */
  | { kind: 'exception'; vector: number; errorCode?: number; cr2?: number; insnEip: number }
  /**
   * Port I/O (`in`/`out`, after the IOPL/bitmap check) to a port with no
   * attached device while the host claims I/O exits. EIP points after the
   * instruction; for an `in` (write false) the host puts the value in AL/AX/EAX.
   */
  | { kind: 'io'; port: number; size: 1 | 2 | 4; write: boolean; value?: number; insnEip: number }
  /** An unrecoverable condition (triple fault) that ends the machine's run. */
  | { kind: 'shutdown'; reason: string };

/** A loaded segment register: selector plus its descriptor cache. */
export interface SegmentCache {
  selector: number;
  base: number;
  /** Byte-granular effective limit (already scaled by G). */
  limit: number;
  /** Access byte bits 0-7 of the descriptor (type, S, DPL, P). */
  access: number;
  /** D/B bit: 32-bit default operand/stack size. */
  big: boolean;
}

/** Access kinds for page walks done on behalf of the host. */
export interface LinearAccess {
  write: boolean;
  /** Checked as a CPL-3 access (U/S) when true, as supervisor otherwise. */
  user: boolean;
}
