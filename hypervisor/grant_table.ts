// Grant tables, version 1: each domain publishes grant_entry_v1 records
// (flags, domid, frame) in frames it shares with Xen; another domain maps or
// copies a granted frame by reference. While a grant is mapped its entry
// carries GTF_reading/GTF_writing, as Xen keeps them, and the frame holds
// a reference so it cannot be freed or retyped underneath the mapping.
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { Continuation, type HypercallEntry, type HypercallResult } from './hypercall.js';
import { PageType } from './frames.js';
import { DOMID, GNTCOPY, GNTMAP, GNTST, GNTTABOP, GTF, HYPERVISOR as H, PAGE, XEN_ERRNO } from './public/xen.js';
import { gnttab_copy, gnttab_map_grant_ref, gnttab_query_size, gnttab_setup_table, gnttab_unmap_grant_ref } from './public/structs.js';
import { HYPERVISOR_VIRT_START } from './layout.js';

const { EFAULT, ENOSYS } = XEN_ERRNO;
/** Grant-table frames a domain may have (Xen's default max_grant_frames). */
export const MAX_GRANT_FRAMES = 32;
const ENTRIES_PER_FRAME = 512;
/** Operations handled per exit before the call continues itself. */
const GRANT_BATCH = 512;

export interface GrantMap {
  /** Domain that granted the frame. */
  granter: number;
  ref: number;
  frame: number;
  writable: boolean;
  /** Virtual address of the mapping in the mapper, or 0 for a host-side (Dom0) mapping. */
  hostAddr: number;
}

interface DomainGrants { frames: number[]; maptrack: (GrantMap | undefined)[] }

export class GrantTables {
  private byDomain = new Map<number, DomainGrants>();
  constructor(readonly hv: Hypervisor) {}

  initDomain(dom: Domain): void {
    this.byDomain.set(dom.domid, { frames: [], maptrack: [] });
    this.grow(dom, 1);
  }

  /** Dom0 (host side) maps grants too; it has a maptrack but no table of its own here. */
  registerHostDomain(domid: number): void { this.byDomain.set(domid, { frames: [], maptrack: [] }); }

  private grow(dom: Domain, nrFrames: number): boolean {
    const g = this.byDomain.get(dom.domid)!;
    while (g.frames.length < nrFrames) {
      const mfn = this.hv.frames.alloc(dom.domid);
      if (mfn < 0) return false;
      this.hv.frames.refCount[mfn] = 1; // held by Xen while the table exists
      g.frames.push(mfn);
    }
    return true;
  }

  /** Releases everything a dying domain mapped, and its table frames. */
  destroyDomain(dom: Domain): void {
    const g = this.byDomain.get(dom.domid);
    if (!g) return;
    g.maptrack.forEach((m, handle) => { if (m) this.release(dom.domid, handle); });
    for (const mfn of g.frames) { this.hv.frames.refCount[mfn] = 0; this.hv.frames.free(mfn); }
    this.byDomain.delete(dom.domid);
  }

  frames(domid: number): number[] { return this.byDomain.get(domid)?.frames ?? []; }

  /** Reads grant entry `ref` of `domid`: flags, domid, frame; undefined when out of range. */
  entry(domid: number, ref: number): { flags: number; domid: number; frame: number; pa: number } | undefined {
    const g = this.byDomain.get(domid);
    if (!g || !Number.isInteger(ref) || ref < 0 || ref >= g.frames.length * ENTRIES_PER_FRAME) return undefined;
    const pa = g.frames[Math.floor(ref / ENTRIES_PER_FRAME)] * 4096 + (ref % ENTRIES_PER_FRAME) * 8;
    const mem = this.hv.mem;
    return { flags: mem.read16(pa), domid: mem.read16(pa + 2), frame: mem.read32(pa + 4), pa };
  }

  /**
   * Checks and takes grant `ref` of `granter` for `mapper`: a GNTST_* status,
   * or the frame with GTF_reading/GTF_writing set.
   */
  acquire(mapper: number, granter: number, ref: number, writable: boolean): number | { frame: number } {
    if (!this.byDomain.has(granter)) return GNTST.bad_domain; // a domain may map its own grants, as in Xen
    const e = this.entry(granter, ref);
    if (!e) return GNTST.bad_gntref;
    if ((e.flags & GTF.type_mask) !== GTF.permit_access || e.domid !== mapper) return GNTST.permission_denied;
    if (writable && (e.flags & GTF.readonly)) return GNTST.permission_denied;
    const f = this.hv.frames;
    if (!f.valid(e.frame) || f.owner[e.frame] !== granter) return GNTST.bad_page;
    if (writable) {
      // A writable mapping needs the frame typed writable: never a page table or descriptor page.
      if (f.typeCount[e.frame] && f.type[e.frame] !== PageType.Writable) return GNTST.bad_page;
      f.type[e.frame] = PageType.Writable;
      f.typeCount[e.frame]++;
    }
    f.refCount[e.frame]++;
    this.hv.mem.write16(e.pa, e.flags | (writable ? GTF.writing | GTF.reading : GTF.reading));
    return { frame: e.frame };
  }

  /** Adds a mapping to `mapper`'s maptrack and returns its handle. */
  track(mapper: number, m: GrantMap): number {
    const g = this.byDomain.get(mapper)!;
    let h = g.maptrack.findIndex((x) => x === undefined);
    if (h < 0) { h = g.maptrack.length; g.maptrack.push(undefined); }
    g.maptrack[h] = m;
    return h;
  }

  mapping(mapper: number, handle: number): GrantMap | undefined {
    return Number.isInteger(handle) ? this.byDomain.get(mapper)?.maptrack[handle] : undefined;
  }

  private orphans = new Set<number>();

  /** A frame of a destroyed domain that someone still maps: owned by Xen until the last mapping goes. */
  orphan(mfn: number): void {
    const f = this.hv.frames;
    // Only the remaining grant mappings hold it now: the owner's own page tables are gone.
    let refs = 0, writers = 0;
    for (const [, g] of this.byDomain) for (const m of g.maptrack) if (m && m.frame === mfn) { refs++; if (m.writable) writers++; }
    f.owner[mfn] = DOMID.XEN;
    f.refCount[mfn] = refs;
    f.typeCount[mfn] = writers;
    f.type[mfn] = writers ? PageType.Writable : PageType.None;
    f.pinned[mfn] = 0;
    this.orphans.add(mfn);
  }

  /** Frames `mapper` currently has mapped through grants. */
  mappedFrames(mapper: number): Set<number> {
    return new Set((this.byDomain.get(mapper)?.maptrack ?? []).filter((m): m is GrantMap => !!m).map((m) => m.frame));
  }

  /** Drops mapping `handle` of `mapper`: references, and the GTF bits once nothing maps the grant. */
  release(mapper: number, handle: number): void {
    const g = this.byDomain.get(mapper);
    const m = g?.maptrack[handle];
    if (!g || !m) return;
    g.maptrack[handle] = undefined;
    const f = this.hv.frames;
    if (f.refCount[m.frame] > 0) f.refCount[m.frame]--;
    if (m.writable && f.typeCount[m.frame] > 0 && --f.typeCount[m.frame] === 0) f.type[m.frame] = PageType.None;
    if (this.orphans.has(m.frame) && f.refCount[m.frame] === 0) {
      this.orphans.delete(m.frame);
      f.free(m.frame);
    }
    const e = this.entry(m.granter, m.ref);
    if (!e) return;
    let reading = false, writing = false;
    for (const [, other] of this.byDomain) {
      for (const x of other.maptrack) {
        if (x && x.granter === m.granter && x.ref === m.ref) { reading = true; writing ||= x.writable; }
      }
    }
    let flags = e.flags & ~(GTF.reading | GTF.writing);
    if (reading) flags |= GTF.reading;
    if (writing) flags |= GTF.writing;
    this.hv.mem.write16(e.pa, flags);
  }

  // ---------------------------------------------------------------- hypercall operations
  private setupTable(dom: Domain, at: number): number {
    const b = dom.guest.read(at, gnttab_setup_table.size);
    if (!b) return -EFAULT;
    const v = new DataView(b.buffer);
    const domid = v.getUint16(0, true), nr = v.getUint32(4, true), list = v.getUint32(12, true);
    let status: number = GNTST.okay;
    if (domid !== DOMID.SELF && domid !== dom.domid) status = GNTST.permission_denied;
    else if (nr > MAX_GRANT_FRAMES) status = GNTST.general_error;
    else if (!this.grow(dom, nr)) status = GNTST.general_error;
    else {
      const frames = this.frames(dom.domid);
      for (let i = 0; i < nr; i++) if (!dom.guest.write32((list + i * 4) >>> 0, frames[i])) return -EFAULT;
    }
    return this.writeStatus(dom, at + 8, status);
  }

  private querySize(dom: Domain, at: number): number {
    const b = dom.guest.read(at, gnttab_query_size.size);
    if (!b) return -EFAULT;
    const domid = new DataView(b.buffer).getUint16(0, true);
    const out = new DataView(new ArrayBuffer(10));
    if (domid !== DOMID.SELF && domid !== dom.domid) {
      out.setInt16(8, GNTST.permission_denied, true);
    } else {
      out.setUint32(0, this.frames(dom.domid).length, true);
      out.setUint32(4, MAX_GRANT_FRAMES, true);
    }
    return dom.guest.write(at + 4, new Uint8Array(out.buffer)) ? 0 : -EFAULT;
  }

  private writeStatus(dom: Domain, pa: number, status: number): number {
    return dom.guest.write(pa >>> 0, new Uint8Array([status & 0xff, (status >> 8) & 0xff])) ? 0 : -EFAULT;
  }

  private mapGrantRef(dom: Domain, at: number): number {
    const b = dom.guest.read(at, gnttab_map_grant_ref.size);
    if (!b) return -EFAULT;
    const v = new DataView(b.buffer);
    const hostAddr = v.getUint32(0, true), hostHi = v.getUint32(4, true), flags = v.getUint32(8, true);
    const ref = v.getUint32(12, true), granter = v.getUint16(16, true);
    const fail = (s: number) => this.writeStatus(dom, at + 18, s);
    if (!(flags & GNTMAP.host_map) || (flags & GNTMAP.contains_pte)) return fail(GNTST.general_error);
    if (hostHi !== 0 || hostAddr % 4096 !== 0 || hostAddr === 0 || hostAddr >= HYPERVISOR_VIRT_START) return fail(GNTST.bad_virt_addr);
    const pte = this.hv.mm.l1eAddress(dom, hostAddr);
    if (pte < 0) return fail(GNTST.bad_virt_addr);
    const writable = (flags & GNTMAP.readonly) === 0;
    const got = this.acquire(dom.domid, granter === DOMID.SELF ? dom.domid : granter, ref, writable);
    if (typeof got === 'number') return fail(got);
    // Replace the PTE: drop the old entry's references, install the foreign frame (its refs were taken above).
    const old = this.hv.mem.read32(pte);
    this.hv.mem.write32(pte, (got.frame << 12) | PAGE.PRESENT | PAGE.USER | PAGE.ACCESSED | (writable ? PAGE.RW | PAGE.DIRTY : 0));
    this.hv.mm.putL1e(old);
    if (this.hv.current === dom) this.hv.cpu.invlpg(hostAddr);
    const handle = this.track(dom.domid, { granter, ref, frame: got.frame, writable, hostAddr });
    const out = new DataView(new ArrayBuffer(14));
    out.setInt16(0, GNTST.okay, true);
    out.setUint32(2, handle, true);
    out.setUint32(6, 0, true); // dev_bus_addr: no device mapping
    return dom.guest.write(at + 18, new Uint8Array(out.buffer)) ? 0 : -EFAULT;
  }

  private unmapGrantRef(dom: Domain, at: number): number {
    const b = dom.guest.read(at, gnttab_unmap_grant_ref.size);
    if (!b) return -EFAULT;
    const v = new DataView(b.buffer);
    const hostAddr = v.getUint32(0, true), handle = v.getUint32(16, true);
    const m = this.mapping(dom.domid, handle);
    if (!m) return this.writeStatus(dom, at + 20, GNTST.bad_handle);
    if (hostAddr !== 0 && hostAddr !== m.hostAddr) return this.writeStatus(dom, at + 20, GNTST.general_error);
    const pte = m.hostAddr ? this.hv.mm.l1eAddress(dom, m.hostAddr) : -1;
    if (pte >= 0 && (this.hv.mem.read32(pte) >>> 12) === m.frame && (this.hv.mem.read32(pte) & PAGE.PRESENT)) {
      this.hv.mem.write32(pte, 0);
      if (this.hv.current === dom) this.hv.cpu.invlpg(m.hostAddr);
    }
    this.release(dom.domid, handle);
    return this.writeStatus(dom, at + 20, GNTST.okay);
  }

  private copy(dom: Domain, at: number): number {
    const b = dom.guest.read(at, gnttab_copy.size);
    if (!b) return -EFAULT;
    const v = new DataView(b.buffer);
    const len = v.getUint16(16, true), flags = v.getUint16(18, true);
    const side = (base: number, isRef: boolean, write: boolean): number | { pa: number; release?: () => void } => {
      const idOrRef = v.getUint32(base, true), domid = v.getUint16(base + 4, true), offset = v.getUint16(base + 6, true);
      if (offset + len > 4096) return GNTST.bad_copy_arg;
      const owner = domid === DOMID.SELF ? dom.domid : domid;
      if (!isRef) {
        if (owner !== dom.domid) return GNTST.permission_denied;
        const f = this.hv.frames;
        if (!f.valid(idOrRef) || f.owner[idOrRef] !== dom.domid) return GNTST.bad_page;
        if (write && f.typeCount[idOrRef] && f.type[idOrRef] !== PageType.Writable) return GNTST.bad_page;
        return { pa: idOrRef * 4096 + offset };
      }
      const got = this.acquire(dom.domid, owner, idOrRef, write);
      if (typeof got === 'number') return got;
      const handle = this.track(dom.domid, { granter: owner, ref: idOrRef, frame: got.frame, writable: write, hostAddr: 0 });
      return { pa: got.frame * 4096 + offset, release: () => this.release(dom.domid, handle) };
    };
    const src = side(0, (flags & GNTCOPY.source_gref) !== 0, false);
    if (typeof src === 'number') return this.writeStatus(dom, at + 20, src);
    const dst = side(8, (flags & GNTCOPY.dest_gref) !== 0, true);
    if (typeof dst === 'number') { src.release?.(); return this.writeStatus(dom, at + 20, dst); }
    this.hv.mem.writeBytes(dst.pa, this.hv.mem.readBytes(src.pa, len));
    src.release?.();
    dst.release?.();
    return this.writeStatus(dom, at + 20, GNTST.okay);
  }

  op(dom: Domain, cmd: number, uop: number, count: number): HypercallResult {
    const ops: Record<number, [number, (d: Domain, at: number) => number]> = {
      [GNTTABOP.setup_table]: [gnttab_setup_table.size, (d, at) => this.setupTable(d, at)],
      [GNTTABOP.query_size]: [gnttab_query_size.size, (d, at) => this.querySize(d, at)],
      [GNTTABOP.map_grant_ref]: [gnttab_map_grant_ref.size, (d, at) => this.mapGrantRef(d, at)],
      [GNTTABOP.unmap_grant_ref]: [gnttab_unmap_grant_ref.size, (d, at) => this.unmapGrantRef(d, at)],
      [GNTTABOP.copy]: [gnttab_copy.size, (d, at) => this.copy(d, at)],
    };
    const handler = ops[cmd];
    if (!handler) return -ENOSYS;
    const stop = Math.min(count, GRANT_BATCH);
    for (let i = 0; i < stop; i++) {
      const rc = handler[1](dom, (uop + i * handler[0]) >>> 0);
      if (rc < 0) return rc;
      if (!dom.alive) return 0;
    }
    return count > stop ? new Continuation([cmd, (uop + stop * handler[0]) >>> 0, count - stop]) : 0;
  }
}

export const HYPERCALLS_GRANTS: Record<number, HypercallEntry> = {
  [H.grant_table_op]: { arity: 3, fn: (hv, d, a) => hv.grants.op(d, a[0], a[1], a[2]) },
};
