// Physical memory: one flat byte array with typed views over it. The CPU
// accesses the arrays directly on its fast paths; the host uses the checked
// helpers below. Every write through this class invalidates decoded code for
// the touched pages (the CPU registers an invalidation hook) and calls the
// write watches set on them (watchWrites), before the bytes change.

/** codePages bits: decoded code is cached for the page (the CPU's). */
export const PAGE_CODE = 1;
/** codePages bits: a write watch covers part of the page (watchWrites). */
export const PAGE_WATCHED = 2;

/** Called before a write of `len` bytes at physical address `pa` that overlaps the watched range. */
export type WriteWatch = (pa: number, len: number) => void;

export class PhysicalMemory {
  readonly size: number;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  /**
   * One byte per 4 KiB page, zero for a plain page: PAGE_CODE when decoded code is cached for it, PAGE_WATCHED when
   * a write watch covers it. The CPU's write fast paths test this byte and take the slow path when it is non-zero,
   * so pages without code or watches cost one load per write.
   */
  readonly codePages: Uint8Array;
  /** Called with a page number whose decoded code must be dropped. */
  onCodeWrite: (page: number) => void = () => {};
  private watches: { start: number; end: number; fn: WriteWatch }[] = [];

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

  /**
   * Calls `fn(pa, len)` before every write that overlaps [start, start+length): by the CPU (guest stores, page-table
   * accessed/dirty updates) or by the host through this class. The bytes still hold their old value when `fn` runs;
   * `fn` may read memory but must not write the watched range. Returns a function that removes the watch.
   */
  watchWrites(start: number, length: number, fn: WriteWatch): () => void {
    this.check(start, length);
    const w = { start, end: start + length, fn };
    this.watches.push(w);
    if (length > 0) for (let p = start >>> 12; p <= (w.end - 1) >>> 12; p++) this.codePages[p]! |= PAGE_WATCHED;
    return () => {
      const i = this.watches.indexOf(w);
      if (i < 0) return;
      this.watches.splice(i, 1);
      if (length > 0) for (let p = start >>> 12; p <= (w.end - 1) >>> 12; p++) {
        const lo = p << 12, hi = lo + 0x1000;
        if (!this.watches.some((o) => o.start < hi && o.end > lo)) this.codePages[p]! &= ~PAGE_WATCHED;
      }
    };
  }

  /** Calls the write watches that overlap [pa, pa+len) (the CPU calls it for a write to a PAGE_WATCHED page). */
  watchedWrite(pa: number, len: number): void {
    const end = pa + len;
    for (const w of this.watches) if (w.start < end && w.end > pa) w.fn(pa, len);
  }

  /** Calls the write watches and drops decoded code for every page in [pa, pa+len). */
  touch(pa: number, len: number): void {
    if (len <= 0) return;
    const last = (pa + len - 1) >>> 12;
    let watched = false;
    for (let p = pa >>> 12; p <= last; p++) {
      const f = this.codePages[p]!;
      if (f & PAGE_WATCHED) watched = true;
      if (f & PAGE_CODE) this.onCodeWrite(p);
    }
    if (watched) this.watchedWrite(pa, len);
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
