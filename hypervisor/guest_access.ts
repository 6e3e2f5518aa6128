// copy_from_guest / copy_to_guest: every guest pointer is translated through
// the guest's own page tables (2-level, non-PAE) from its CR3, never assumed
// to be physical, and must lie below the hypervisor hole. A failed
// translation returns null/false so the hypercall can give -EFAULT.
import type { PhysicalMemory } from '../machine/index.js';
import { PAGE, X86_32 } from './public/xen.js';

const HV_START = X86_32.HYPERVISOR_VIRT_START_NONPAE;

/**
 * Translates `va` with the tables at `cr3`: the machine address, or -1.
 * Supervisor access (ring 1) unless `user`; writes need RW at both levels (CR0.WP is set).
 */
export function guestWalk(mem: PhysicalMemory, cr3: number, va: number, write: boolean, user: boolean): number {
  va >>>= 0;
  const l2pa = ((cr3 & ~0xfff) >>> 0) + ((va >>> 22) << 2);
  if (l2pa + 4 > mem.size) return -1;
  const pde = mem.i32[l2pa >>> 2];
  if (!(pde & PAGE.PRESENT)) return -1;
  if (write && !(pde & PAGE.RW)) return -1;
  if (user && !(pde & PAGE.USER)) return -1;
  if (pde & PAGE.PSE) {
    const pa = ((pde & 0xffc00000) >>> 0) + (va & 0x3fffff);
    return pa < mem.size ? pa : -1;
  }
  const l1pa = ((pde & 0xfffff000) >>> 0) + (((va >>> 12) & 0x3ff) << 2);
  if (l1pa + 4 > mem.size) return -1;
  const pte = mem.i32[l1pa >>> 2];
  if (!(pte & PAGE.PRESENT)) return -1;
  if (write && !(pte & PAGE.RW)) return -1;
  if (user && !(pte & PAGE.USER)) return -1;
  const pa = ((pte & 0xfffff000) >>> 0) + (va & 0xfff);
  return pa < mem.size ? pa : -1;
}

/** A view of one domain's virtual address space, as the hypervisor sees it during a hypercall. */
export class GuestMemory {
  constructor(readonly mem: PhysicalMemory, private readonly getCr3: () => number) {}

  /** Guest pointers must not reach the hypervisor area (Xen's access_ok). */
  accessOk(va: number, len: number): boolean {
    return Number.isInteger(va) && len >= 0 && va >= 0 && va + len <= HV_START;
  }

  read(va: number, len: number): Uint8Array | null {
    if (!this.accessOk(va, len)) return null;
    const out = new Uint8Array(len);
    const cr3 = this.getCr3();
    let k = 0;
    while (k < len) {
      const pa = guestWalk(this.mem, cr3, va + k, false, false);
      if (pa < 0) return null;
      const n = Math.min(len - k, 0x1000 - ((va + k) & 0xfff));
      out.set(this.mem.u8.subarray(pa, pa + n), k);
      k += n;
    }
    return out;
  }

  write(va: number, data: Uint8Array): boolean {
    if (!this.accessOk(va, data.length)) return false;
    const cr3 = this.getCr3();
    const parts: [number, number, number][] = [];
    let k = 0;
    while (k < data.length) {
      const pa = guestWalk(this.mem, cr3, va + k, true, false);
      if (pa < 0) return false;
      const n = Math.min(data.length - k, 0x1000 - ((va + k) & 0xfff));
      parts.push([pa, k, n]);
      k += n;
    }
    for (const [pa, off, n] of parts) this.mem.writeBytes(pa, data.subarray(off, off + n));
    return true;
  }

  read32(va: number): number | null {
    const b = this.read(va, 4);
    return b ? (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 : null;
  }

  write32(va: number, v: number): boolean {
    return this.write(va, new Uint8Array([v, v >>> 8, v >>> 16, v >>> 24]));
  }

  /** Little-endian struct access helpers over a buffer read with `read`. */
  static view(b: Uint8Array): DataView { return new DataView(b.buffer, b.byteOffset, b.byteLength); }
}
