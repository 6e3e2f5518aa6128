// A malicious guest tries to escape: map foreign frames, make its page
// tables writable, forge grants, pass hypervisor addresses, flood events.
// Every attempt must fail with Xen's error, leave the audit clean, and leave
// the other domain untouched.
import { describe, expect, it } from 'vitest';
import { HYPERVISOR as H, MMUEXT, DOMID, GNTTABOP, GNTMAP, GNTST, GTF, EVTCHNOP, XENMEM, CONSOLEIO, XENVER } from '../public/xen.js';
import { auditMemory } from '../audit.js';
import { makeDomains, call, put, get32, SCRATCH, SPARE_VA, spareFrame } from '../testing/harness.js';

const EPERM = -1, EFAULT = -14, EINVAL = -22;
const P = 1, RW = 2, US = 4;

describe('a malicious guest', () => {
  it('cannot map a frame of another domain or of the hypervisor', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    const foreign = b.p2m[0];
    expect(call(hv, a, H.update_va_mapping, SPARE_VA, (foreign << 12) | P | RW | US, 0, 2)).toBe(EPERM);
    expect(call(hv, a, H.update_va_mapping, SPARE_VA, (foreign << 12) | P | US, 0, 2)).toBe(EPERM);
    expect(call(hv, a, H.update_va_mapping, SPARE_VA, (hv.m2pL1Mfn << 12) | P, 0, 2)).toBe(EPERM);
    expect(call(hv, a, H.update_va_mapping, SPARE_VA, (hv.frames.nrFrames << 12) | P, 0, 2)).toBe(EINVAL);
    // The same through mmu_update on its own L1, and through a crafted L1 it then tries to use.
    const l1 = hv.mm.l1eAddress(a, SPARE_VA);
    put(a, SCRATCH, [l1, 0, (foreign << 12) | P | RW, 0]);
    expect(call(hv, a, H.mmu_update, SCRATCH, 1, SCRATCH + 64, DOMID.SELF)).toBe(EPERM);
    expect(get32(a, SCRATCH + 64)).toBe(0);
    const crafted = spareFrame(a);
    hv.mem.write32(crafted * 4096, (foreign << 12) | P | RW);
    put(a, SCRATCH, [MMUEXT.PIN_L1_TABLE, crafted, 0]);
    expect(call(hv, a, H.mmuext_op, SCRATCH, 1, 0, DOMID.SELF)).toBe(EPERM);
    const l2 = a.ctx.cr3;
    put(a, SCRATCH, [l2 + 4 * 100, 0, (crafted << 12) | P | RW | US, 0]);
    expect(call(hv, a, H.mmu_update, SCRATCH, 1, 0, DOMID.SELF)).toBe(EPERM);
    // Foreign domains in mmu_update / mmuext_op need privilege.
    expect(call(hv, a, H.mmu_update, SCRATCH, 1, 0, b.domid)).toBe(EPERM);
    expect(call(hv, a, H.update_va_mapping_otherdomain, SPARE_VA, 0, 0, 0, b.domid)).toBe(EPERM);
    expect(auditMemory(hv)).toEqual([]);
  });

  it('cannot make a page table writable, or type a writable page as a page table', () => {
    const { hv, doms: [a] } = makeDomains(1);
    const l2 = a.ctx.cr3 >>> 12;
    const l1 = hv.mm.l1eAddress(a, 0) >>> 12;
    for (const f of [l2, l1]) {
      expect(call(hv, a, H.update_va_mapping, SPARE_VA, (f << 12) | P | RW, 0, 2)).toBe(EINVAL);
      expect(call(hv, a, H.update_va_mapping, SPARE_VA, (f << 12) | P, 0, 2)).toBe(0); // read-only is fine
    }
    // A frame mapped writable (the kernel's first page) cannot become an L1 or L2.
    const writable = a.p2m[0];
    put(a, SCRATCH, [MMUEXT.PIN_L1_TABLE, writable, 0, MMUEXT.PIN_L2_TABLE, writable, 0]);
    expect(call(hv, a, H.mmuext_op, SCRATCH, 1, 0, DOMID.SELF)).toBe(EINVAL);
    expect(call(hv, a, H.mmuext_op, SCRATCH + 12, 1, 0, DOMID.SELF)).toBe(EINVAL);
    expect(call(hv, a, H.mmuext_op, SCRATCH + 12, 1, 0, DOMID.SELF)).toBe(EINVAL);
    put(a, SCRATCH, [MMUEXT.NEW_BASEPTR, writable, 0]);
    expect(call(hv, a, H.mmuext_op, SCRATCH, 1, 0, DOMID.SELF)).toBe(EINVAL);
    // A self-referencing L2 entry (a linear page table) and superpages are refused.
    put(a, SCRATCH, [(l2 << 12) + 4 * 200, 0, (l2 << 12) | P, 0, (l2 << 12) + 4 * 201, 0, P | 0x80, 0]);
    expect(call(hv, a, H.mmu_update, SCRATCH, 1, 0, DOMID.SELF)).toBe(EINVAL);
    expect(call(hv, a, H.mmu_update, SCRATCH + 16, 1, 0, DOMID.SELF)).toBe(EINVAL);
    // Unpinning the live L2 keeps it typed (CR3 still references it).
    put(a, SCRATCH, [MMUEXT.UNPIN_TABLE, l2, 0]);
    expect(call(hv, a, H.mmuext_op, SCRATCH, 1, 0, DOMID.SELF)).toBe(0);
    expect(call(hv, a, H.update_va_mapping, SPARE_VA, (l2 << 12) | P | RW, 0, 2)).toBe(EINVAL);
    expect(auditMemory(hv)).toEqual([]);
  });

  it('cannot touch the hypervisor area', () => {
    const { hv, doms: [a] } = makeDomains(1);
    for (const va of [0xfc000000, 0xfc400000, 0xfffff000, 0xfbfffffe]) {
      expect(call(hv, a, H.console_io, CONSOLEIO.write, 8, va)).toBe(EFAULT);
      expect(call(hv, a, H.xen_version, XENVER.extraversion, va)).toBe(EFAULT);
      expect(call(hv, a, H.set_trap_table, va)).toBe(EFAULT);
    }
    expect(call(hv, a, H.update_va_mapping, 0xfc000000, 0, 0, 0)).toBe(EINVAL);
    expect(call(hv, a, H.update_va_mapping, 0xfc400000, (a.p2m[0] << 12) | P | RW, 0, 0)).toBe(EINVAL);
    const l2 = a.ctx.cr3;
    for (const slot of [1008, 1009, 1023]) {
      put(a, SCRATCH, [l2 + slot * 4, 0, 0, 0]);
      expect(call(hv, a, H.mmu_update, SCRATCH, 1, 0, DOMID.SELF)).toBe(EINVAL);
    }
    // M2P updates only for its own frames.
    put(a, SCRATCH, [(hv.m2pL1Mfn << 12) | 1, 0, 5, 0]);
    expect(call(hv, a, H.mmu_update, SCRATCH, 1, 0, DOMID.SELF)).toBe(EPERM);
    expect(auditMemory(hv)).toEqual([]);
  });

  it('cannot forge or abuse grants', () => {
    const { hv, doms: [a, b, c] } = makeDomains(3);
    const gt = (d: typeof a) => hv.grants.frames(d.domid)[0] * 4096;
    const entry = (d: typeof a, ref: number, flags: number, domid: number, frame: number) => {
      hv.mem.write32(gt(d) + ref * 8 + 4, frame);
      hv.mem.write16(gt(d) + ref * 8 + 2, domid);
      hv.mem.write16(gt(d) + ref * 8, flags);
    };
    const map = (ref: number, dom: number, flags: number = GNTMAP.host_map) => {
      put(a, SCRATCH, [SPARE_VA, 0, flags, ref, dom, 0, 0, 0]);
      expect(call(hv, a, H.grant_table_op, GNTTABOP.map_grant_ref, SCRATCH, 1)).toBe(0);
      return (get32(a, SCRATCH + 16) >> 16) << 16 >> 16;
    };
    entry(b, 10, GTF.permit_access, c.domid, b.p2m[5]); // granted to c, not a
    expect(map(10, b.domid)).toBe(GNTST.permission_denied);
    entry(b, 11, GTF.permit_access, a.domid, c.p2m[5]); // b "grants" c's frame
    expect(map(11, b.domid)).toBe(GNTST.bad_page);
    entry(b, 12, GTF.permit_access, a.domid, hv.m2pL1Mfn); // or the hypervisor's
    expect(map(12, b.domid)).toBe(GNTST.bad_page);
    entry(b, 13, GTF.permit_access | GTF.readonly, a.domid, b.p2m[5]);
    expect(map(13, b.domid)).toBe(GNTST.permission_denied);
    expect(map(13, b.domid, GNTMAP.host_map | GNTMAP.readonly)).toBe(GNTST.okay);
    expect(map(99999, b.domid)).toBe(GNTST.bad_gntref);
    expect(map(13, 0x7000)).toBe(GNTST.bad_domain);
    // A grant of b's L1 page table, writable: refused even though b granted it.
    const bl1 = hv.mm.l1eAddress(b, 0) >>> 12;
    entry(b, 14, GTF.permit_access, a.domid, bl1);
    expect(map(14, b.domid)).toBe(GNTST.bad_page);
    // Unmapping a handle it does not have.
    put(a, SCRATCH, [0, 0, 0, 0, 77, 0]);
    expect(call(hv, a, H.grant_table_op, GNTTABOP.unmap_grant_ref, SCRATCH, 1)).toBe(0);
    expect((get32(a, SCRATCH + 20) << 16) >> 16).toBe(GNTST.bad_handle);
    // A granted, mapped frame cannot be given back by its owner.
    put(b, SCRATCH + 512, [b.p2m[5]]);
    put(b, SCRATCH, [SCRATCH + 512, 1, 0, 0, DOMID.SELF]);
    expect(call(hv, b, H.memory_op, XENMEM.decrease_reservation, SCRATCH)).toBe(0);
    expect(auditMemory(hv)).toEqual([]);
  });

  it('survives an event flood and bad ports', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    put(a, SCRATCH, [0]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_ipi, SCRATCH)).toBe(0);
    const ipi = get32(a, SCRATCH + 4);
    put(a, SCRATCH, [DOMID.SELF | (b.domid << 16)]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.alloc_unbound, SCRATCH)).toBe(0);
    const unbound = get32(a, SCRATCH + 4);
    for (let i = 0; i < 20000; i++) {
      put(a, SCRATCH, [[ipi, unbound, 0, 1023, 5000, 0xffffffff][i % 6]]);
      const r = call(hv, a, H.event_channel_op, EVTCHNOP.send, SCRATCH);
      expect(r === 0 || r === EINVAL).toBe(true);
    }
    // Allocating every port ends in -ENOSPC, not unbounded growth.
    let last = 0;
    for (let i = 0; i < 1100 && last >= 0; i++) {
      put(a, SCRATCH, [DOMID.SELF | (b.domid << 16)]);
      last = call(hv, a, H.event_channel_op, EVTCHNOP.alloc_unbound, SCRATCH);
    }
    expect(last).toBe(-28);
    expect(hv.events.table(a.domid)!.ports.length).toBe(1024);
    // b binding to a's unbound port it was offered works; to the IPI port it fails.
    put(b, SCRATCH, [a.domid, unbound]);
    expect(call(hv, b, H.event_channel_op, EVTCHNOP.bind_interdomain, SCRATCH)).toBe(0);
    put(b, SCRATCH, [a.domid, ipi]);
    expect(call(hv, b, H.event_channel_op, EVTCHNOP.bind_interdomain, SCRATCH)).toBe(EINVAL);
    expect(b.alive && a.alive).toBe(true);
  });

  it('crashes only itself', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    a.ctx.eip = 0x00c00000; // jump into unmapped memory
    const r = hv.run({ budget: 5_000_000 });
    expect(a.state).toBe('crashed');
    expect(a.crash?.reason).toMatch(/page fault/);
    expect(b.state).toBe('shutdown');
    expect(b.consoleOutput.startsWith('Hello world!')).toBe(true);
    expect(r.outcome).toBe('crashed');
  });
});
