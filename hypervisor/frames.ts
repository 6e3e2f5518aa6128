// Machine frames: who owns each 4 KiB frame of host memory, its page type
// and counts (the state Xen keeps in struct page_info), and the
// machine-to-phys table (M2P) that guests read at 0xFC000000.
import type { PhysicalMemory } from '../machine/index.js';
import { DOMID } from './public/xen.js';

/** Page types (Xen's PGT_*): a frame has at most one type while its type count is non-zero. */
export const enum PageType { None = 0, Writable = 1, L1 = 2, L2 = 3, SegDesc = 4 }
export const PAGE_TYPE_NAMES = ['none', 'writable', 'l1_page_table', 'l2_page_table', 'seg_desc_page'];

export const FREE = -1;
/** M2P value for frames that belong to no guest pfn (Xen's INVALID_M2P_ENTRY). */
export const INVALID_M2P = 0xffffffff;

export class FrameTable {
  readonly nrFrames: number;
  /** Owning domid, DOMID_XEN for the hypervisor, FREE when unallocated. */
  readonly owner: Int32Array;
  readonly type: Uint8Array;
  readonly typeCount: Uint32Array;
  /** General references: mappings by page tables, grant maps, pins. */
  readonly refCount: Uint32Array;
  readonly pinned: Uint8Array;
  private freeStack: number[] = [];
  private nextFresh = 1; // frame 0 is never handed out: an MFN of 0 is almost always a bug
  /** Fresh frames are [nextFresh, freshTop): alloc() takes them from the bottom, allocMany() from the top. */
  private freshTop: number;
  /** Byte address of the M2P table in machine memory (set by the hypervisor at boot). */
  m2pBase = 0;

  constructor(readonly mem: PhysicalMemory) {
    this.nrFrames = mem.size >>> 12;
    this.freshTop = this.nrFrames;
    this.owner = new Int32Array(this.nrFrames).fill(FREE);
    this.owner[0] = DOMID.XEN;
    this.type = new Uint8Array(this.nrFrames);
    this.typeCount = new Uint32Array(this.nrFrames);
    this.refCount = new Uint32Array(this.nrFrames);
    this.pinned = new Uint8Array(this.nrFrames);
  }

  freeFrames(): number { return this.freshTop - this.nextFresh + this.freeStack.length; }

  /** A zeroed frame for `owner`, or -1 when host memory is exhausted. */
  alloc(owner: number): number {
    let mfn = -1;
    while (this.freeStack.length) {
      const m = this.freeStack.pop()!;
      if (this.owner[m] === FREE) { mfn = m; break; }
    }
    // A frame never handed out before is still zero from the memory's creation: not writing it saves the host
    // from committing every page of a domain's memory at build time (most of a short run's cost).
    const reused = mfn >= 0;
    if (mfn < 0) {
      if (this.nextFresh >= this.freshTop) return -1;
      mfn = this.nextFresh++;
    }
    this.take(mfn, owner, reused);
    return mfn;
  }

  /**
   * `n` zeroed frames for `owner` (a domain's memory), or undefined (nothing taken) when host memory is short.
   * Frames freed earlier come first, then fresh frames from the top of memory downwards, so that a domain's frames
   * lie away from the low frames that equal its pfns; the caller decides which pfn gets which frame.
   */
  allocMany(owner: number, n: number): number[] | undefined {
    if (this.freeFrames() < n) return undefined;
    const out: number[] = [];
    while (out.length < n && this.freeStack.length) {
      const m = this.freeStack.pop()!;
      if (this.owner[m] === FREE) { this.take(m, owner, true); out.push(m); }
    }
    while (out.length < n) {
      if (this.freshTop <= this.nextFresh) { for (const m of out) this.free(m); return undefined; }
      const m = --this.freshTop;
      this.take(m, owner, false);
      out.push(m);
    }
    return out;
  }

  private take(mfn: number, owner: number, reused: boolean): void {
    this.owner[mfn] = owner;
    this.type[mfn] = PageType.None;
    this.typeCount[mfn] = 0;
    this.refCount[mfn] = 0;
    this.pinned[mfn] = 0;
    if (reused) this.mem.fill(mfn << 12, 4096, 0);
    this.setM2p(mfn, INVALID_M2P);
  }

  free(mfn: number): void {
    if (mfn <= 0 || mfn >= this.nrFrames || this.owner[mfn] === FREE) return;
    this.owner[mfn] = FREE;
    this.type[mfn] = PageType.None;
    this.typeCount[mfn] = 0;
    this.refCount[mfn] = 0;
    this.pinned[mfn] = 0;
    this.setM2p(mfn, INVALID_M2P);
    this.freeStack.push(mfn);
  }

  valid(mfn: number): boolean { return Number.isInteger(mfn) && mfn > 0 && mfn < this.nrFrames; }

  setM2p(mfn: number, pfn: number): void {
    if (this.m2pBase === 0 || mfn >= this.nrFrames) return;
    this.mem.i32[(this.m2pBase >>> 2) + mfn] = pfn | 0;
  }

  m2p(mfn: number): number {
    if (this.m2pBase === 0 || mfn >= this.nrFrames) return INVALID_M2P;
    return this.mem.i32[(this.m2pBase >>> 2) + mfn] >>> 0;
  }
}
