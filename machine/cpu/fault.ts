// An architectural exception raised while executing an instruction. Thrown
// from deep inside memory accesses and caught by the run loop, which rewinds
// EIP to the faulting instruction and delivers or exits.

export class CpuFault {
  constructor(
    readonly vector: number,
    /** Error code, or -1 for vectors that push none. */
    readonly code: number = -1,
  ) {}
}

/** Vectors that push an error code. */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

export const FLAG_OSZAPC = 0x8d5;
