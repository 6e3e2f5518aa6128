// Memory hypercalls: mmu_update, update_va_mapping, mmuext_op, memory_op,
// vm_assist and update_va_mapping_otherdomain (privileged only).
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { Continuation, type HypercallEntry, type HypercallResult } from './hypercall.js';
import { PageType } from './frames.js';
import { DOMID, HYPERVISOR as H, MMU, MMUEXT, UVMF, VMASST, VMASST_TYPE, XENMEM, XEN_ERRNO } from './public/xen.js';
import { HYPERVISOR_VIRT_START, RO_MPT_VIRT_END, RO_MPT_VIRT_START } from './layout.js';

const { EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } = XEN_ERRNO;
const PREEMPTED = 0x80000000; // MMU_UPDATE_PREEMPTED marks a continuation
const COUNT_MASK = 0x7fffffff;
/** Requests handled per exit before the call continues itself (Xen preempts long batches too). */
export const MM_BATCH = 1024;

function foreignOk(dom: Domain, foreigndom: number): boolean {
  return foreigndom === DOMID.SELF || foreigndom === dom.domid;
}

function writeDone(dom: Domain, ptr: number, done: number): boolean {
  return ptr === 0 || dom.guest.write32(ptr, done);
}

function doMmuUpdate(hv: Hypervisor, dom: Domain, reqs: number, count: number, donePtr: number, foreigndom: number): HypercallResult {
  // A continuation carries the count done so far in the guest's done word, as in Xen.
  const before = count & PREEMPTED && donePtr ? dom.guest.read32(donePtr) ?? 0 : 0;
  count &= COUNT_MASK;
  if (!foreignOk(dom, foreigndom)) return -EPERM;
  const total = count;
  count = Math.min(count, MM_BATCH);
  let done = 0;
  let rc = 0;
  for (; done < count; done++) {
    const b = dom.guest.read((reqs + done * 16) >>> 0, 16);
    if (!b) { rc = -EFAULT; break; }
    const v = new DataView(b.buffer);
    const lo = v.getUint32(0, true), hi = v.getUint32(4, true), val = v.getUint32(8, true), valHi = v.getUint32(12, true);
    if (hi !== 0 || valHi !== 0) { rc = -EINVAL; break; } // beyond 4 GiB: impossible without PAE
    const cmd = lo & 3, ptr = lo & ~3;
    if (cmd === MMU.NORMAL_PT_UPDATE || cmd === MMU.PT_UPDATE_PRESERVE_AD) {
      rc = hv.mm.updateEntry(dom, ptr >>> 0, val);
    } else if (cmd === MMU.MACHPHYS_UPDATE) {
      const mfn = ptr >>> 12;
      if (!hv.frames.valid(mfn)) rc = -EINVAL;
      else if (hv.frames.owner[mfn] !== dom.domid) rc = -EPERM;
      else hv.frames.setM2p(mfn, val);
    } else {
      rc = -ENOSYS;
    }
    if (rc < 0) break;
  }
  if (!writeDone(dom, donePtr, before + done)) return -EFAULT;
  if (rc === 0 && total > count) return new Continuation([reqs + count * 16, (total - count) | PREEMPTED, donePtr, foreigndom]);
  return rc;
}

/** A VCPU bitmap the guest passes for a multi-VCPU flush: one word (one VCPU), which must be readable. */
function vcpuMaskOk(dom: Domain, ptr: number): boolean { return dom.guest.read32(ptr >>> 0) !== null; }

/** update_va_mapping's flush: the type in the low bits, then UVMF_LOCAL, UVMF_ALL or a pointer to a VCPU mask. */
function flush(hv: Hypervisor, dom: Domain, flags: number, va: number): number {
  const type = flags & UVMF.FLUSHTYPE_MASK;
  if (type === UVMF.NONE) return 0;
  const scope = (flags & ~UVMF.FLUSHTYPE_MASK) >>> 0;
  if (scope !== UVMF.LOCAL && scope !== UVMF.ALL && !vcpuMaskOk(dom, scope)) return -EFAULT; // as Xen, after the update
  if (hv.current !== dom) return 0;
  if (type === UVMF.TLB_FLUSH) hv.cpu.flushTlb(); else hv.cpu.invlpg(va);
  return 0;
}

function doUpdateVaMapping(hv: Hypervisor, dom: Domain, va: number, lo: number, hi: number, flags: number): number {
  if (va >= HYPERVISOR_VIRT_START) return -EINVAL;
  if (hi !== 0) return -EINVAL;
  const pa = hv.mm.l1eAddress(dom, va);
  if (pa < 0) return -EINVAL;
  if (hv.frames.type[pa >>> 12] !== PageType.L1 || hv.frames.typeCount[pa >>> 12] === 0) return -EINVAL;
  const rc = hv.mm.updateEntry(dom, pa, lo);
  if (rc < 0) return rc;
  return flush(hv, dom, flags, va);
}

/**
 * update_va_mapping_otherdomain maps a frame owned by `domid` into the caller's own page
 * tables. As Xen's get_pg_owner: DOMID_SELF is plain update_va_mapping; naming oneself,
 * DOMID_XEN or a domain that does not exist is -ESRCH; any other owner (DOMID_IO, Dom0,
 * another guest) needs privilege that no domU has: -EPERM.
 */
function doUpdateVaMappingOtherdomain(hv: Hypervisor, dom: Domain, va: number, lo: number, hi: number, flags: number, domid: number): number {
  const id = domid & 0xffff;
  if (id === DOMID.SELF) return doUpdateVaMapping(hv, dom, va, lo, hi, flags);
  if (id === dom.domid || id === DOMID.XEN) return -ESRCH;
  if (id === DOMID.IO || id === 0 || hv.domain(id)) return -EPERM;
  return -ESRCH;
}

function doMmuextOp(hv: Hypervisor, dom: Domain, ops: number, count: number, donePtr: number, foreigndom: number): HypercallResult {
  // A continuation carries the count done so far in the guest's done word, as in Xen.
  const before = count & PREEMPTED && donePtr ? dom.guest.read32(donePtr) ?? 0 : 0;
  count &= COUNT_MASK;
  if (!foreignOk(dom, foreigndom)) return -EPERM;
  const total = count;
  count = Math.min(count, MM_BATCH);
  const mm = hv.mm, f = hv.frames;
  let done = 0;
  let rc = 0;
  for (; done < count; done++) {
    const b = dom.guest.read((ops + done * 12) >>> 0, 12);
    if (!b) { rc = -EFAULT; break; }
    const v = new DataView(b.buffer);
    const cmd = v.getUint32(0, true), arg1 = v.getUint32(4, true), arg2 = v.getUint32(8, true);
    switch (cmd) {
      case MMUEXT.PIN_L1_TABLE:
      case MMUEXT.PIN_L2_TABLE: {
        if (!f.valid(arg1)) { rc = -EINVAL; break; }
        if (f.owner[arg1] !== dom.domid) { rc = -EPERM; break; }
        if (f.pinned[arg1]) { rc = -EINVAL; break; }
        rc = mm.getPageAndType(dom, arg1, cmd === MMUEXT.PIN_L1_TABLE ? PageType.L1 : PageType.L2);
        if (rc === 0) f.pinned[arg1] = 1;
        break;
      }
      case MMUEXT.PIN_L3_TABLE:
      case MMUEXT.PIN_L4_TABLE:
        rc = -EINVAL; // no such levels without PAE
        break;
      case MMUEXT.UNPIN_TABLE:
        if (!f.valid(arg1) || f.owner[arg1] !== dom.domid || !f.pinned[arg1]) { rc = -EINVAL; break; }
        f.pinned[arg1] = 0;
        mm.putPageAndType(arg1);
        break;
      case MMUEXT.NEW_BASEPTR:
        rc = mm.newBaseptr(dom, arg1);
        break;
      case MMUEXT.TLB_FLUSH_LOCAL:
      case MMUEXT.TLB_FLUSH_MULTI:
      case MMUEXT.TLB_FLUSH_ALL:
      case MMUEXT.INVLPG_LOCAL:
      case MMUEXT.INVLPG_MULTI:
      case MMUEXT.INVLPG_ALL: {
        // The _MULTI forms pass a pointer to a VCPU mask in arg2.
        const multi = cmd === MMUEXT.TLB_FLUSH_MULTI || cmd === MMUEXT.INVLPG_MULTI;
        if (multi && !vcpuMaskOk(dom, arg2)) { rc = -EFAULT; break; }
        if (hv.current !== dom) break;
        if (cmd === MMUEXT.TLB_FLUSH_LOCAL || cmd === MMUEXT.TLB_FLUSH_MULTI || cmd === MMUEXT.TLB_FLUSH_ALL) hv.cpu.flushTlb();
        else hv.cpu.invlpg(arg1);
        break;
      }
      case MMUEXT.FLUSH_CACHE:
      case MMUEXT.FLUSH_CACHE_GLOBAL:
        break;
      case MMUEXT.SET_LDT:
        rc = arg2 === 0 ? 0 : -EINVAL; // local descriptor tables are not supported
        break;
      case MMUEXT.CLEAR_PAGE:
      case MMUEXT.COPY_PAGE: {
        const src = arg2;
        rc = mm.getPageAndType(dom, arg1, PageType.Writable);
        if (rc < 0) break;
        if (cmd === MMUEXT.CLEAR_PAGE) {
          hv.mem.fill(arg1 * 4096, 4096, 0);
        } else if (!f.valid(src) || f.owner[src] !== dom.domid) {
          rc = -EINVAL;
        } else {
          hv.mem.writeBytes(arg1 * 4096, hv.mem.readBytes(src * 4096, 4096));
        }
        mm.putPageAndType(arg1);
        break;
      }
      default:
        rc = -ENOSYS;
    }
    if (rc < 0) break;
  }
  if (!writeDone(dom, donePtr, before + done)) return -EFAULT;
  if (rc === 0 && total > count) return new Continuation([ops + count * 12, (total - count) | PREEMPTED, donePtr, foreigndom]);
  return rc;
}

// ---------------------------------------------------------------- memory_op
const MEMOP_EXTENT_SHIFT = 6;
const MEMOP_CMD_MASK = (1 << MEMOP_EXTENT_SHIFT) - 1;

function reservation(hv: Hypervisor, dom: Domain, cmd: number, start: number, arg: number): HypercallResult {
  const b = dom.guest.read(arg, 20);
  if (!b) return -EFAULT;
  const v = new DataView(b.buffer);
  const extents = v.getUint32(0, true), nr = v.getUint32(4, true), order = v.getUint32(8, true), domid = v.getUint16(16, true);
  if (domid !== DOMID.SELF && domid !== dom.domid) return -EPERM;
  if (order !== 0) return -EINVAL; // single pages only
  const f = hv.frames;
  let done = start;
  const stop = Math.min(nr, start + MM_BATCH);
  for (; done < stop; done++) {
    const slot = (extents + done * 4) >>> 0;
    if (cmd === XENMEM.decrease_reservation) {
      const mfn = dom.guest.read32(slot);
      if (mfn === null) return done || -EFAULT;
      // Only a frame nothing maps or types can go back (Xen frees it when the last reference drops).
      if (!f.valid(mfn) || f.owner[mfn] !== dom.domid || f.refCount[mfn] || f.typeCount[mfn] || mfn === dom.sharedInfoMfn) return done;
      f.free(mfn);
      dom.totPages--;
    } else {
      const gpfn = cmd === XENMEM.populate_physmap ? dom.guest.read32(slot) : 0;
      if (gpfn === null) return done || -EFAULT;
      if (dom.totPages >= dom.maxPages) return done;
      const mfn = f.alloc(dom.domid);
      if (mfn < 0) return done;
      if (!dom.guest.write32(slot, mfn)) { f.free(mfn); return done || -EFAULT; }
      if (cmd === XENMEM.populate_physmap) f.setM2p(mfn, gpfn);
      dom.totPages++;
    }
  }
  if (done === stop && stop < nr) return new Continuation([cmd | (done << MEMOP_EXTENT_SHIFT), arg]);
  return done;
}

function doMemoryOp(hv: Hypervisor, dom: Domain, op: number, arg: number): HypercallResult {
  const cmd = op & MEMOP_CMD_MASK;
  const start = op >>> MEMOP_EXTENT_SHIFT;
  if (start && cmd !== XENMEM.increase_reservation && cmd !== XENMEM.decrease_reservation && cmd !== XENMEM.populate_physmap) return -ENOSYS;
  switch (cmd) {
    case XENMEM.increase_reservation:
    case XENMEM.decrease_reservation:
    case XENMEM.populate_physmap:
      return reservation(hv, dom, cmd, start, arg);
    case XENMEM.maximum_ram_page:
      return hv.frames.nrFrames - 1;
    case XENMEM.current_reservation:
    case XENMEM.maximum_reservation: {
      const b = dom.guest.read(arg, 2);
      if (!b) return -EFAULT;
      const domid = b[0] | (b[1] << 8);
      const target = domid === DOMID.SELF ? dom : hv.domain(domid);
      if (!target) return -ESRCH;
      if (target !== dom) return -EPERM;
      return cmd === XENMEM.current_reservation ? dom.totPages : dom.maxPages;
    }
    case XENMEM.maximum_gpfn:
      return dom.maxPages - 1;
    case XENMEM.machphys_mapping: {
      const out = new DataView(new ArrayBuffer(12));
      out.setUint32(0, RO_MPT_VIRT_START, true);
      out.setUint32(4, RO_MPT_VIRT_END, true);
      out.setUint32(8, hv.frames.nrFrames - 1, true);
      return dom.guest.write(arg, new Uint8Array(out.buffer)) ? 0 : -EFAULT;
    }
    default:
      return -ENOSYS;
  }
}

/** VM assists this hypervisor accepts; writable_pagetables is refused since page-table writes are not emulated. */
const VMASST_SUPPORTED = (1 << VMASST_TYPE['4gb_segments']) | (1 << VMASST_TYPE['4gb_segments_notify']) |
  (1 << VMASST_TYPE.pae_extended_cr3) | (1 << VMASST_TYPE.runstate_update_flag);

function doVmAssist(dom: Domain, cmd: number, type: number): number {
  if (cmd !== VMASST.CMD_enable && cmd !== VMASST.CMD_disable) return -ENOSYS;
  if (type > 31 || !(VMASST_SUPPORTED & (1 << type))) return -EINVAL;
  if (cmd === VMASST.CMD_enable) dom.vmAssist |= 1 << type; else dom.vmAssist &= ~(1 << type);
  return 0;
}

export const HYPERCALLS_MM: Record<number, HypercallEntry> = {
  [H.mmu_update]: { arity: 4, fn: (hv, d, a) => doMmuUpdate(hv, d, a[0], a[1], a[2], a[3]) },
  [H.update_va_mapping]: { arity: 4, fn: (hv, d, a) => doUpdateVaMapping(hv, d, a[0], a[1], a[2], a[3]) },
  [H.update_va_mapping_otherdomain]: { arity: 5, fn: (hv, d, a) => doUpdateVaMappingOtherdomain(hv, d, a[0], a[1], a[2], a[3], a[4]) },
  [H.mmuext_op]: { arity: 4, fn: (hv, d, a) => doMmuextOp(hv, d, a[0], a[1], a[2], a[3]) },
  [H.memory_op]: { arity: 2, fn: (hv, d, a) => doMemoryOp(hv, d, a[0], a[1]) },
  [H.vm_assist]: { arity: 2, fn: (_hv, d, a) => doVmAssist(d, a[0], a[1]) },
};
