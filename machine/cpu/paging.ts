// Physical memory as the CPU sees it through paging: the page walk (2-level
// with 4 MiB pages, and PAE), accessed/dirty bits, a software TLB indexed by
// linear page number (physical page plus read/write permission bits for
// supervisor and user, write permission only once the dirty bit is set), the
// control registers that govern it, and the linear accessors used by slow
// paths and by the host. Cpu extends this class.
import type { LinearAccess } from '../types.js';
import type { PhysicalMemory } from '../memory.js';
import { LazyFlags } from './flags.js';
import { CpuFault } from './fault.js';

// TLB entry permission bits.
const T_RS = 1, T_RU = 2, T_WS = 4, T_WU = 8, T_G = 16;

const CR0_PE = 1, CR0_WP = 1 << 16, CR0_PG = 0x80000000;
const CR4_PSE = 1 << 4, CR4_PAE = 1 << 5, CR4_PGE = 1 << 7;

export abstract class PagedMemory extends LazyFlags {
  readonly mem: PhysicalMemory;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly memSize: number;

  cr0 = CR0_PE | 0x10;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;

  // Software TLB indexed by linear page number.
  tlbPhys = new Int32Array(1 << 20);
  tlbFlags = new Uint8Array(1 << 20);
  protected tlbUsed: number[] = [];
  /** TLB bits a read / write at the current privilege needs. */
  rMask = T_RS;
  wMask = T_WS;
  /** Alignment checking is on (#AC for misaligned CPL-3 data accesses). */
  acCheck = false;
  /** Bumped whenever a linear-to-physical or privilege fact a chained block relied on may change. */
  mapGen = 0;

  constructor(mem: PhysicalMemory) {
    super();
    this.mem = mem;
    this.u8 = mem.u8;
    this.i32 = mem.i32;
    this.memSize = mem.size;
  }

  /** Drops decoded code for a physical page (the CPU's code cache). */
  abstract dropCode(ppn: number): void;
  /** A guest write of `size` bytes at `pa` on a page holding decoded code. */
  abstract codeWrite(pa: number, size: number): void;

  // ---------------------------------------------------------------- paging / TLB
  flushTlb(): void { this.flushTlbEntries(true); }

  protected flushTlbEntries(all: boolean): void {
    this.mapGen++;
    const f = this.tlbFlags;
    if (this.tlbUsed.length > 50000) {
      if (all) { f.fill(0); this.tlbUsed = []; return; }
    }
    const keep: number[] = [];
    for (const vpn of this.tlbUsed) {
      if (!all && (f[vpn] & T_G)) keep.push(vpn);
      else f[vpn] = 0;
    }
    this.tlbUsed = keep;
  }

  setCr3(v: number): void {
    this.cr3 = v >>> 0;
    this.flushTlbEntries((this.cr4 & CR4_PGE) === 0);
  }

  setCr0(v: number): void {
    const old = this.cr0;
    this.cr0 = (v | 0x10) >>> 0;
    if ((old ^ this.cr0) & (CR0_PG | CR0_WP | CR0_PE)) this.flushTlb();
  }

  setCr4(v: number): void {
    const old = this.cr4;
    this.cr4 = v >>> 0;
    if ((old ^ this.cr4) & (CR4_PSE | CR4_PAE | CR4_PGE)) this.flushTlb();
  }

  invlpg(linear: number): void { this.tlbFlags[linear >>> 12] = 0; this.mapGen++; }

  protected readPhys32(pa: number): number {
    if (pa + 4 > this.memSize) return 0xffffffff;
    return pa & 3 ? this.mem.read32(pa) : this.i32[pa >> 2] >>> 0;
  }
  protected writePhys32(pa: number, v: number): void {
    if (pa + 4 > this.memSize) return;
    if (this.mem.codePages[pa >>> 12]) this.codeWrite(pa, 4);
    if (pa & 3) this.mem.write32(pa, v); else this.i32[pa >> 2] = v;
  }

  /**
   * Page walk. Returns the physical address, or -1 (when `fault` is false) on
   * a fault; with `fault` true raises #PF with CR2. `commit` sets A/D bits
   * and fills the TLB.
   */
  walk(lin: number, write: boolean, user: boolean, fault: boolean, commit: boolean): number {
    lin = lin >>> 0;
    if ((this.cr0 & CR0_PG) === 0) {
      if (commit && lin < this.memSize) this.tlbFill(lin >>> 12, lin >>> 12, T_RS | T_RU | T_WS | T_WU);
      return lin;
    }
    const wp = (this.cr0 & CR0_WP) !== 0;
    let err = (write ? 2 : 0) | (user ? 4 : 0);
    let pteAddr = 0, pte = 0, perm = 0, pa = 0, dirAddr = 0, dir = 0;
    let large = false;
    if (this.cr4 & CR4_PAE) {
      // 64-bit entries: the high half may only hold physical address bits
      // below 4 GiB here (none: this machine has no memory above 4 GiB, so any
      // set bit, like bit 63 without NX or bits beyond the address width, is a
      // reserved-bit fault: P and RSVD in the error code).
      const pdpteAddr = ((this.cr3 & ~0x1f) >>> 0) + ((lin >>> 30) << 3);
      const pdpte = this.readPhys32(pdpteAddr);
      if (!(pdpte & 1)) return this.pageFault(lin, err, fault);
      if (this.readPhys32(pdpteAddr + 4) !== 0) return this.pageFault(lin, err | 9, fault);
      dirAddr = ((pdpte & ~0xfff) >>> 0) + (((lin >>> 21) & 0x1ff) << 3);
      dir = this.readPhys32(dirAddr);
      if (!(dir & 1)) return this.pageFault(lin, err, fault);
      if (this.readPhys32(dirAddr + 4) !== 0) return this.pageFault(lin, err | 9, fault);
      if (dir & 0x80) {
        if (dir & 0x1fe000) return this.pageFault(lin, err | 9, fault); // bits 13-20 of a 2 MiB entry
        large = true;
        pa = ((dir & 0xffe00000) >>> 0) + (lin & 0x1fffff);
        perm = dir;
      } else {
        // The directory entry's accessed bit is set as it is walked, before the
        // table entry is looked at (as Intel CPUs and QEMU do), even if the access then faults.
        if (commit && !(dir & 0x20)) { dir |= 0x20; this.writePhys32(dirAddr, dir); }
        pteAddr = ((dir & ~0xfff) >>> 0) + (((lin >>> 12) & 0x1ff) << 3);
        pte = this.readPhys32(pteAddr);
        if (!(pte & 1)) return this.pageFault(lin, err, fault);
        if (this.readPhys32(pteAddr + 4) !== 0) return this.pageFault(lin, err | 9, fault);
        perm = dir & pte;
        pa = ((pte & ~0xfff) >>> 0) + (lin & 0xfff);
      }
    } else {
      dirAddr = ((this.cr3 & ~0xfff) >>> 0) + ((lin >>> 22) << 2);
      dir = this.readPhys32(dirAddr);
      if (!(dir & 1)) return this.pageFault(lin, err, fault);
      if ((dir & 0x80) && (this.cr4 & CR4_PSE)) {
        large = true;
        pa = ((dir & 0xffc00000) >>> 0) + (lin & 0x3fffff);
        perm = dir;
      } else {
        if (commit && !(dir & 0x20)) { dir |= 0x20; this.writePhys32(dirAddr, dir); }
        pteAddr = ((dir & ~0xfff) >>> 0) + (((lin >>> 12) & 0x3ff) << 2);
        pte = this.readPhys32(pteAddr);
        if (!(pte & 1)) return this.pageFault(lin, err, fault);
        perm = dir & pte;
        pa = ((pte & ~0xfff) >>> 0) + (lin & 0xfff);
      }
    }
    err |= 1;
    const uOk = (perm & 4) !== 0;
    const wOk = (perm & 2) !== 0;
    if (user && !uOk) return this.pageFault(lin, err, fault);
    if (write && !wOk && (user || wp)) return this.pageFault(lin, err, fault);
    if (!commit) return pa;
    // Accessed and dirty bits, as the hardware writes them.
    if (!(dir & 0x20)) this.writePhys32(dirAddr, dir | 0x20);
    const leaf = large ? dir | 0x20 : pte;
    const leafAddr = large ? dirAddr : pteAddr;
    if (!large && !(pte & 0x20)) this.writePhys32(pteAddr, pte | 0x20 | (write ? 0x40 : 0));
    else if (write && !(leaf & 0x40)) this.writePhys32(leafAddr, leaf | 0x60);
    const dirty = write || (leaf & 0x40) !== 0;
    let t = T_RS | (uOk ? T_RU : 0);
    if (dirty) {
      if (wOk || !wp) t |= T_WS;
      if (wOk && uOk) t |= T_WU;
    }
    if ((leaf & 0x100) && (this.cr4 & CR4_PGE)) t |= T_G;
    const ppn = pa >>> 12;
    if (ppn < (this.memSize >>> 12)) this.tlbFill(lin >>> 12, ppn, t);
    return pa;
  }

  protected pageFault(lin: number, err: number, fault: boolean): number {
    if (!fault) return -1;
    this.cr2 = lin >>> 0;
    throw new CpuFault(14, err);
  }

  /** Linear pages kept out of the TLB (data breakpoints), or null. */
  abstract bpPages: Set<number> | null;

  protected tlbFill(vpn: number, ppn: number, t: number): void {
    if (this.bpPages !== null && this.bpPages.has(vpn)) return;
    if (this.tlbFlags[vpn] === 0) this.tlbUsed.push(vpn);
    this.tlbFlags[vpn] = t;
    this.tlbPhys[vpn] = ppn << 12;
  }



  // ---------------------------------------------------------------- linear memory (slow paths)
  physRead8(pa: number): number { return pa < this.memSize ? this.u8[pa] : 0xff; }
  physWrite8(pa: number, v: number): void {
    if (pa >= this.memSize) return;
    if (this.mem.codePages[pa >>> 12]) this.codeWrite(pa, 1);
    this.u8[pa] = v;
  }

  /** Reads `size` bytes little-endian at a linear address with the given privilege. */
  rdLin(lin: number, size: number, user: boolean): number {
    if (this.acCheck && user && size > 1 && (lin & (size - 1)) !== 0) throw new CpuFault(17, 0);
    const off = lin & 0xfff;
    const pa = this.walk(lin, false, user, true, true);
    if (off + size <= 0x1000) {
      let v = 0;
      for (let k = size - 1; k >= 0; k--) v = (v << 8) | this.physRead8(pa + k);
      return v >>> 0;
    }
    const pa2 = this.walk((lin + size - 1) & ~0xfff, false, user, true, true);
    let v = 0;
    for (let k = size - 1; k >= 0; k--) {
      const o = off + k;
      v = (v << 8) | this.physRead8(o < 0x1000 ? pa + k : pa2 + (o - 0x1000));
    }
    return v >>> 0;
  }

  wrLin(lin: number, size: number, v: number, user: boolean): void {
    if (this.acCheck && user && size > 1 && (lin & (size - 1)) !== 0) throw new CpuFault(17, 0);
    const off = lin & 0xfff;
    const pa = this.walk(lin, true, user, true, true);
    if (off + size <= 0x1000 && pa + size <= this.memSize) {
      // One store, seen whole by code invalidation and write watches (not as `size` byte writes).
      if (this.mem.codePages[pa >>> 12]) this.codeWrite(pa, size);
      for (let k = 0; k < size; k++) this.u8[pa + k] = v >>> (8 * k);
      return;
    }
    if (off + size <= 0x1000) {
      for (let k = 0; k < size; k++) this.physWrite8(pa + k, v >>> (8 * k));
      return;
    }
    const pa2 = this.walk((lin + size - 1) & ~0xfff, true, user, true, true);
    for (let k = 0; k < size; k++) {
      const o = off + k;
      this.physWrite8(o < 0x1000 ? pa + k : pa2 + (o - 0x1000), v >>> (8 * k));
    }
  }

  // ---------------------------------------------------------------- host access
  translate(linear: number, access: LinearAccess): number | null {
    const pa = this.walk(linear, access.write, access.user, false, false);
    return pa < 0 ? null : pa;
  }

  readLinear(linear: number, len: number, access: LinearAccess): Uint8Array | null {
    const out = new Uint8Array(len);
    let k = 0;
    while (k < len) {
      const lin = (linear + k) >>> 0;
      const pa = this.walk(lin, access.write, access.user, false, false);
      if (pa < 0) return null;
      const n = Math.min(len - k, 0x1000 - (lin & 0xfff));
      if (pa + n > this.memSize) return null;
      out.set(this.u8.subarray(pa, pa + n), k);
      k += n;
    }
    return out;
  }

  writeLinear(linear: number, data: Uint8Array, access: LinearAccess): boolean {
    const pas: [number, number, number][] = [];
    let k = 0;
    while (k < data.length) {
      const lin = (linear + k) >>> 0;
      const pa = this.walk(lin, true, access.user, false, false);
      if (pa < 0) return false;
      const n = Math.min(data.length - k, 0x1000 - (lin & 0xfff));
      if (pa + n > this.memSize) return false;
      pas.push([pa, k, n]);
      k += n;
    }
    for (const [pa, off, n] of pas) this.mem.writeBytes(pa, data.subarray(off, off + n));
    return true;
  }

}
