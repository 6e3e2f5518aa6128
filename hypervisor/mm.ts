// The PV MMU (non-PAE, 2-level): page references and types as Xen keeps
// them, so that a guest can never map a frame it does not own, never map
// one of its page tables (or descriptor pages) writable, and never point an
// L2 at anything but a validated L1. Every change to a page table goes
// through here: validation takes references for the new entry, then the
// old entry's references are dropped.
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { PageType } from './frames.js';
import { PAGE, XEN_ERRNO } from './public/xen.js';
import { FIRST_HYPERVISOR_L2_SLOT } from './layout.js';
import { installHypervisorSlots } from './domain_build.js';
import { validateDescriptorPage } from './descriptor.js';

const { EINVAL, EPERM } = XEN_ERRNO;

/** L1 flags a guest may use (no PAT/PSE bit games beyond what the CPU needs). */
const L1_DISALLOWED = 0;
/** L2 entries may not be superpages. */
const L2_DISALLOWED = PAGE.PSE;

export class Mm {
  constructor(readonly hv: Hypervisor) {}

  private get f() { return this.hv.frames; }

  /** A general reference on a frame the domain owns. */
  getPage(dom: Domain, mfn: number): number {
    if (!this.f.valid(mfn)) return -EINVAL;
    if (this.f.owner[mfn] !== dom.domid) return -EPERM;
    this.f.refCount[mfn]++;
    return 0;
  }

  putPage(mfn: number): void {
    if (this.f.valid(mfn) && this.f.refCount[mfn] > 0) this.f.refCount[mfn]--;
  }

  /** A type reference: the first one gives the frame its type (validating page tables). */
  getPageType(dom: Domain, mfn: number, type: PageType): number {
    const f = this.f;
    if (f.typeCount[mfn] > 0) {
      if (f.type[mfn] !== type) return -EINVAL;
      f.typeCount[mfn]++;
      return 0;
    }
    if (type === PageType.L1 || type === PageType.L2) {
      const rc = type === PageType.L1 ? this.validateL1(dom, mfn) : this.validateL2(dom, mfn);
      if (rc < 0) return rc;
    }
    if (type === PageType.SegDesc && !validateDescriptorPage(this.hv, mfn)) return -EINVAL;
    f.type[mfn] = type;
    f.typeCount[mfn] = 1;
    return 0;
  }

  putPageType(mfn: number): void {
    const f = this.f;
    if (!f.valid(mfn) || f.typeCount[mfn] === 0) return;
    if (--f.typeCount[mfn] > 0) return;
    const type = f.type[mfn];
    f.type[mfn] = PageType.None;
    if (type === PageType.L1) for (let i = 0; i < 1024; i++) this.putL1e(this.read(mfn, i));
    if (type === PageType.L2) for (let i = 0; i < FIRST_HYPERVISOR_L2_SLOT; i++) this.putL2e(this.read(mfn, i));
  }

  getPageAndType(dom: Domain, mfn: number, type: PageType): number {
    const rc = this.getPage(dom, mfn);
    if (rc < 0) return rc;
    const rt = this.getPageType(dom, mfn, type);
    if (rt < 0) { this.putPage(mfn); return rt; }
    return 0;
  }

  putPageAndType(mfn: number): void { this.putPageType(mfn); this.putPage(mfn); }

  private read(mfn: number, i: number): number { return this.hv.mem.i32[(mfn << 10) + i] >>> 0; }

  // ---------------------------------------------------------------- entries
  getL1e(dom: Domain, pte: number): number {
    if (!(pte & PAGE.PRESENT)) return 0;
    if (pte & L1_DISALLOWED) return -EINVAL;
    const mfn = pte >>> 12;
    return pte & PAGE.RW ? this.getPageAndType(dom, mfn, PageType.Writable) : this.getPage(dom, mfn);
  }

  putL1e(pte: number): void {
    if (!(pte & PAGE.PRESENT)) return;
    const mfn = pte >>> 12;
    if (pte & PAGE.RW) this.putPageAndType(mfn); else this.putPage(mfn);
  }

  getL2e(dom: Domain, pde: number): number {
    if (!(pde & PAGE.PRESENT)) return 0;
    if (pde & L2_DISALLOWED) return -EINVAL;
    return this.getPageAndType(dom, pde >>> 12, PageType.L1);
  }

  putL2e(pde: number): void {
    if (pde & PAGE.PRESENT) this.putPageAndType(pde >>> 12);
  }

  private validateL1(dom: Domain, mfn: number): number {
    for (let i = 0; i < 1024; i++) {
      const rc = this.getL1e(dom, this.read(mfn, i));
      if (rc < 0) {
        for (let j = 0; j < i; j++) this.putL1e(this.read(mfn, j));
        return rc;
      }
    }
    return 0;
  }

  private validateL2(dom: Domain, mfn: number): number {
    for (let i = 0; i < FIRST_HYPERVISOR_L2_SLOT; i++) {
      const pde = this.read(mfn, i);
      // A self-reference (linear page table) or any other L2 would be typed L1 here: refused.
      const rc = (pde >>> 12) === mfn && (pde & PAGE.PRESENT) ? -EINVAL : this.getL2e(dom, pde);
      if (rc < 0) {
        for (let j = 0; j < i; j++) this.putL2e(this.read(mfn, j));
        return rc;
      }
    }
    installHypervisorSlots(this.hv, dom, mfn);
    return 0;
  }

  /**
   * mod_l1_entry / mod_l2_entry: writes `val` at machine address `pa` after
   * validating it against the type of the frame that holds it.
   */
  updateEntry(dom: Domain, pa: number, val: number): number {
    const mfn = Math.floor(pa / 4096);
    if (!this.f.valid(mfn) || pa % 4 !== 0) return -EINVAL;
    if (this.f.owner[mfn] !== dom.domid) return -EPERM;
    const i = (pa & 0xfff) >>> 2;
    const old = this.read(mfn, i);
    const mem = this.hv.mem;
    switch (this.f.typeCount[mfn] ? this.f.type[mfn] : PageType.None) {
      case PageType.L1: {
        const rc = this.getL1e(dom, val);
        if (rc < 0) return rc;
        mem.write32(pa, val);
        this.putL1e(old);
        return 0;
      }
      case PageType.L2: {
        if (i >= FIRST_HYPERVISOR_L2_SLOT) return -EINVAL;
        if ((val & PAGE.PRESENT) && (val >>> 12) === mfn) return -EINVAL;
        const rc = this.getL2e(dom, val);
        if (rc < 0) return rc;
        mem.write32(pa, val);
        this.putL2e(old);
        if (this.hv.current === dom) this.hv.cpu.flushTlb();
        return 0;
      }
      case PageType.SegDesc:
        return -EINVAL;
      default: {
        // An ordinary page: a plain write, allowed while it can be typed writable.
        const rc = this.getPageType(dom, mfn, PageType.Writable);
        if (rc < 0) return rc;
        mem.write32(pa, val);
        this.putPageType(mfn);
        return 0;
      }
    }
  }

  /** Machine address of the L1 entry for `va` in the domain's current tables, or -1. */
  l1eAddress(dom: Domain, va: number): number {
    const l2 = (dom.ctx.cr3 >>> 12);
    const pde = this.read(l2, va >>> 22);
    if (!(pde & PAGE.PRESENT) || (pde & PAGE.PSE)) return -1;
    return (pde >>> 12) * 4096 + ((va >>> 12) & 0x3ff) * 4;
  }

  /** MMUEXT_NEW_BASEPTR: switch to another validated L2. */
  newBaseptr(dom: Domain, mfn: number): number {
    const rc = this.getPageAndType(dom, mfn, PageType.L2);
    if (rc < 0) return rc;
    const old = dom.ctx.cr3 >>> 12;
    this.hv.setCr3(dom, mfn * 4096);
    if (old) this.putPageAndType(old);
    return 0;
  }
}
