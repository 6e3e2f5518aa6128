// Physical memory: one flat byte array with typed views over it. The CPU
// accesses the arrays directly on its fast paths; the host uses the checked
// helpers below. Every write through this class invalidates decoded code for
// the touched pages (the CPU registers an invalidation hook).

export class PhysicalMemory {
  readonly size: number;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  /** One byte per 4 KiB page: non-zero when decoded code is cached for it. */
  readonly codePages: Uint8Array;
  /** Called with a page number whose decoded code must be dropped. */
  onCodeWrite: (page: number) => void = () => {};

  constructor(bytes: number) {
    if (!Number.isInteger(bytes) || bytes <= 0 || bytes > 0x80000000) {
      throw new RangeError(`physical memory size ${bytes} must be a positive integer of at most 2 GiB`);
    }
    this.size = (bytes + 0xfff) & ~0xfff;
    const buf = new ArrayBuffer(this.size);
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.codePages = new Uint8Array(this.size >>> 12);
  }

  private check(pa: number, len: number): void {
    if (!(pa >= 0 && len >= 0 && pa + len <= this.size) || !Number.isInteger(pa)) {
      throw new RangeError(`physical access of ${len} byte(s) at 0x${(pa >>> 0).toString(16)} is outside memory (size 0x${this.size.toString(16)})`);
    }
  }

  /** Drops decoded code for every page in [pa, pa+len). */
  touch(pa: number, len: number): void {
    if (len <= 0) return;
    const last = (pa + len - 1) >>> 12;
    for (let p = pa >>> 12; p <= last; p++) if (this.codePages[p]) this.onCodeWrite(p);
  }

  read8(pa: number): number { this.check(pa, 1); return this.u8[pa]; }
  read16(pa: number): number { this.check(pa, 2); return this.u8[pa] | (this.u8[pa + 1] << 8); }
  read32(pa: number): number {
    this.check(pa, 4);
    const u = this.u8;
    return (u[pa] | (u[pa + 1] << 8) | (u[pa + 2] << 16) | (u[pa + 3] << 24)) >>> 0;
  }
  write8(pa: number, v: number): void { this.check(pa, 1); this.touch(pa, 1); this.u8[pa] = v; }
  write16(pa: number, v: number): void {
    this.check(pa, 2); this.touch(pa, 2);
    this.u8[pa] = v; this.u8[pa + 1] = v >>> 8;
  }
  write32(pa: number, v: number): void {
    this.check(pa, 4); this.touch(pa, 4);
    const u = this.u8;
    u[pa] = v; u[pa + 1] = v >>> 8; u[pa + 2] = v >>> 16; u[pa + 3] = v >>> 24;
  }
  readBytes(pa: number, len: number): Uint8Array { this.check(pa, len); return this.u8.slice(pa, pa + len); }
  writeBytes(pa: number, data: Uint8Array): void {
    this.check(pa, data.length); this.touch(pa, data.length);
    this.u8.set(data, pa);
  }
  fill(pa: number, len: number, value: number): void {
    this.check(pa, len); this.touch(pa, len);
    this.u8.fill(value, pa, pa + len);
  }
}
