// Lazy arithmetic flags. The last flag-setting operation stores its operands,
// result and size; OSZAPC are computed only when something reads them.
// Operations whose flags are awkward to derive later (shifts, multiply, BCD)
// set EFLAGS eagerly instead (op = F_NONE).

export const F_NONE = 0, F_ADD = 1, F_ADC = 2, F_SUB = 3, F_SBB = 4, F_LOGIC = 5, F_INC = 6, F_DEC = 7;

export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let p = 1;
  for (let b = i; b; b >>= 1) p ^= b & 1;
  PARITY[i] = p ? 4 : 0;
}

/** Holder of the lazy flag state; Cpu extends it. */
export class LazyFlags {
  /** EFLAGS bits not covered by the lazy state (all of them when op is F_NONE). */
  flags = 2;
  fOp = F_NONE;
  fA = 0;
  fB = 0;
  fR = 0;
  /** Sign bit of the operation size: 0x80, 0x8000 or 0x80000000. */
  fSign = 0x80000000;
  /** Carry-in of ADC/SBB. */
  fCin = 0;

  /** Records an arithmetic result; a, b, r already masked to the size. */
  setLazy(op: number, a: number, b: number, r: number, sign: number): void {
    this.fOp = op; this.fA = a; this.fB = b; this.fR = r; this.fSign = sign;
  }

  cf(): number {
    switch (this.fOp) {
      case F_NONE: case F_INC: case F_DEC: return this.flags & 1;
      case F_ADD: return this.fR < this.fA ? 1 : 0;
      case F_ADC: return (this.fCin ? this.fR <= this.fA : this.fR < this.fA) ? 1 : 0;
      case F_SUB: return this.fA < this.fB ? 1 : 0;
      case F_SBB: return (this.fCin ? this.fA <= this.fB : this.fA < this.fB) ? 1 : 0;
      default: return 0;
    }
  }
  zf(): boolean { return this.fOp === F_NONE ? (this.flags & 0x40) !== 0 : this.fR === 0; }
  sf(): boolean { return this.fOp === F_NONE ? (this.flags & 0x80) !== 0 : (this.fR & this.fSign) !== 0; }
  pf(): boolean { return this.fOp === F_NONE ? (this.flags & 4) !== 0 : PARITY[this.fR & 0xff] !== 0; }
  of(): boolean {
    switch (this.fOp) {
      case F_NONE: return (this.flags & 0x800) !== 0;
      case F_ADD: case F_ADC: case F_INC: return ((this.fA ^ this.fR) & (this.fB ^ this.fR) & this.fSign) !== 0;
      case F_SUB: case F_SBB: case F_DEC: return ((this.fA ^ this.fB) & (this.fA ^ this.fR) & this.fSign) !== 0;
      default: return false;
    }
  }
  af(): boolean {
    if (this.fOp === F_NONE) return (this.flags & 0x10) !== 0;
    if (this.fOp === F_LOGIC) return false;
    return ((this.fA ^ this.fB ^ this.fR) & 0x10) !== 0;
  }

  /** EFLAGS with the lazy part materialised. */
  getEflags(): number {
    if (this.fOp === F_NONE) return this.flags >>> 0;
    let f = this.flags & ~0x8d5;
    f |= this.cf();
    if (this.pf()) f |= 4;
    if (this.af()) f |= 0x10;
    if (this.zf()) f |= 0x40;
    if (this.sf()) f |= 0x80;
    if (this.of()) f |= 0x800;
    return f >>> 0;
  }

  /** Materialises the lazy state into `flags` (op becomes F_NONE). */
  materialize(): void {
    if (this.fOp !== F_NONE) { this.flags = this.getEflags(); this.fOp = F_NONE; }
  }

  /** Sets the bits of `mask` in EFLAGS to those of `bits`, materialising first. */
  setFlagBits(mask: number, bits: number): void {
    // When all six arithmetic flags are replaced the lazy state need not be computed.
    if (this.fOp !== F_NONE) {
      if ((mask & 0x8d5) !== 0x8d5) this.flags = this.getEflags();
      this.fOp = F_NONE;
    }
    this.flags = (this.flags & ~mask) | (bits & mask) | 2;
  }

  /** Condition code cc (0-15, the low nibble of jcc/setcc/cmovcc). */
  cond(cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0: r = this.of(); break;
      case 1: r = this.cf() !== 0; break;
      case 2: r = this.zf(); break;
      case 3: r = this.cf() !== 0 || this.zf(); break;
      case 4: r = this.sf(); break;
      case 5: r = this.pf(); break;
      case 6: r = this.sf() !== this.of(); break;
      default: r = this.zf() || this.sf() !== this.of(); break;
    }
    return (cc & 1) ? !r : r;
  }
}
