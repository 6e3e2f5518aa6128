// More per-hypercall argument checks, each against what Xen 4.17 returns:
// update_va_mapping(_otherdomain) and flush masks, MMU_MACHPHYS_UPDATE,
// event-channel VCPU binding and other domains' channels, the periodic
// timer, grants to oneself. (sched_op, traps, xen_version and the toolstack
// hypercalls: sched-traps-args.test.ts.)
import { describe, expect, it } from 'vitest';
import { DOMID, EVTCHNOP, HYPERVISOR as H, MMU, MMUEXT, UVMF, VCPUOP, VIRQ } from '../public/xen.js';
import { makeDomains, call, put, get32, SCRATCH, SPARE_VA, spareFrame } from '../testing/harness.js';
import { SI } from '../shared_info.js';
import { auditMemory } from '../audit.js';
import { HYPERVISOR_VIRT_START } from '../layout.js';

const EPERM = -1, ENOENT = -2, ESRCH = -3, EFAULT = -14, EINVAL = -22;

describe('update_va_mapping and update_va_mapping_otherdomain', () => {
  it('update_va_mapping refuses the hypervisor area, high bits, a va with no L1 and a foreign frame', () => {
    const { hv, doms: [d, other] } = makeDomains(2);
    const mine = spareFrame(d);
    expect(call(hv, d, H.update_va_mapping, HYPERVISOR_VIRT_START, (mine << 12) | 7, 0, 0)).toBe(EINVAL);
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (mine << 12) | 7, 1, 0)).toBe(EINVAL); // no PAE: bits 32-63 must be 0
    expect(call(hv, d, H.update_va_mapping, 0x40000000, (mine << 12) | 7, 0, 0)).toBe(EINVAL); // no L1 covers it
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (spareFrame(other) << 12) | 7, 0, 0)).toBe(EPERM);
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (mine << 12) | 7, 0, UVMF.INVLPG)).toBe(0);
    hv.mem.write32(mine * 4096, 0xfeedf00d);
    expect(get32(d, SPARE_VA)).toBe(0xfeedf00d);
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, 0, 0, UVMF.TLB_FLUSH)).toBe(0);
    expect(d.guest.read32(SPARE_VA)).toBeNull();
    // A VCPU mask pointer in the flags must be readable (-EFAULT after the update, as Xen); UVMF_ALL needs none.
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (mine << 12) | 7, 0, UVMF.INVLPG | 0xfbfff000)).toBe(EFAULT);
    expect(get32(d, SPARE_VA)).toBe(0xfeedf00d);
    put(d, SCRATCH, [1]);
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (mine << 12) | 7, 0, UVMF.TLB_FLUSH | SCRATCH)).toBe(0);
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (mine << 12) | 7, 0, UVMF.TLB_FLUSH | UVMF.ALL)).toBe(0);
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (mine << 12) | 7, 0, UVMF.NONE | 0xfbfff000)).toBe(0); // no flush, no mask read
    // mmuext_op's _MULTI flushes read their mask from arg2.
    const ext = (cmd: number, arg1: number, arg2: number) => { put(d, SCRATCH + 32, [cmd, arg1, arg2]); return call(hv, d, H.mmuext_op, SCRATCH + 32, 1, 0, DOMID.SELF); };
    expect(ext(MMUEXT.TLB_FLUSH_MULTI, 0, 0xfbfff000)).toBe(EFAULT);
    expect(ext(MMUEXT.INVLPG_MULTI, SPARE_VA, 0xfbfff000)).toBe(EFAULT);
    expect(ext(MMUEXT.INVLPG_MULTI, SPARE_VA, SCRATCH)).toBe(0);
    expect(ext(MMUEXT.TLB_FLUSH_ALL, 0, 0xfbfff000)).toBe(0);
    expect(auditMemory(hv)).toEqual([]);
  });

  it('otherdomain: DOMID_SELF is update_va_mapping; a foreign owner needs privilege a domU lacks', () => {
    const { hv, doms: [d, other] } = makeDomains(2);
    const mine = spareFrame(d);
    const theirs = spareFrame(other);
    const uvmOther = (frame: number, domid: number) => call(hv, d, H.update_va_mapping_otherdomain, SPARE_VA, (frame << 12) | 7, 0, 0, domid);
    expect(uvmOther(theirs, other.domid)).toBe(EPERM); // another guest's frame
    expect(uvmOther(theirs, 0)).toBe(EPERM); // Dom0
    expect(uvmOther(theirs, DOMID.IO)).toBe(EPERM);
    expect(uvmOther(theirs, DOMID.XEN)).toBe(ESRCH);
    expect(uvmOther(mine, d.domid)).toBe(ESRCH); // "cannot specify itself as foreign domain"
    expect(uvmOther(theirs, 0x1234)).toBe(ESRCH); // no such domain
    expect(uvmOther(theirs, DOMID.SELF)).toBe(EPERM); // the frame is not ours
    expect(uvmOther(mine, DOMID.SELF)).toBe(0);
    hv.mem.write32(mine * 4096 + 8, 0x600dcafe);
    expect(get32(d, SPARE_VA + 8)).toBe(0x600dcafe);
    expect(hv.frames.refCount[theirs]).toBe(0); // nothing of the other domain was taken
    expect(auditMemory(hv)).toEqual([]);
  });
});

describe('event channels and VCPUs', () => {
  it('bind_virq: a global VIRQ only on VCPU 0 (-EINVAL), a per-VCPU one on a missing VCPU -ENOENT', () => {
    const { hv, doms: [a] } = makeDomains(1);
    const bindVirq = (virq: number, vcpu: number) => { put(a, SCRATCH, [virq, vcpu, 0]); return call(hv, a, H.event_channel_op, EVTCHNOP.bind_virq, SCRATCH); };
    expect(bindVirq(VIRQ.CONSOLE, 1)).toBe(EINVAL);
    expect(bindVirq(VIRQ.DOM_EXC, 3)).toBe(EINVAL);
    expect(bindVirq(VIRQ.TIMER, 1)).toBe(ENOENT);
    expect(bindVirq(VIRQ.DEBUG, 2)).toBe(ENOENT);
    expect(bindVirq(VIRQ.CONSOLE, 0)).toBe(0);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_virq, 0xfc000000)).toBe(EFAULT);
  });

  it('bind_vcpu moves global VIRQs and interdomain/unbound ports, not VIRQ_TIMER, VIRQ_DEBUG or IPIs', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    const bind = (op: number, words: number[], outAt: number) => {
      put(a, SCRATCH, words);
      expect(call(hv, a, H.event_channel_op, op, SCRATCH)).toBe(0);
      return get32(a, SCRATCH + outAt);
    };
    const timer = bind(EVTCHNOP.bind_virq, [VIRQ.TIMER, 0, 0], 8);
    const debug = bind(EVTCHNOP.bind_virq, [VIRQ.DEBUG, 0, 0], 8);
    const console = bind(EVTCHNOP.bind_virq, [VIRQ.CONSOLE, 0, 0], 8);
    const ipi = bind(EVTCHNOP.bind_ipi, [0, 0], 4);
    const unbound = bind(EVTCHNOP.alloc_unbound, [DOMID.SELF | (b.domid << 16), 0], 4);
    const bindVcpu = (port: number, vcpu = 0) => { put(a, SCRATCH, [port, vcpu]); return call(hv, a, H.event_channel_op, EVTCHNOP.bind_vcpu, SCRATCH); };
    expect([timer, debug, ipi].map((p) => bindVcpu(p))).toEqual([EINVAL, EINVAL, EINVAL]);
    expect([console, unbound].map((p) => bindVcpu(p))).toEqual([0, 0]);
    expect(bindVcpu(4000)).toBe(EINVAL); // never allocated
    expect(bindVcpu(0)).toBe(EINVAL); // reserved
    expect(bindVcpu(4000, 1)).toBe(ENOENT); // the VCPU is checked first, as in Xen
  });
});

describe('event channels of other domains', () => {
  it('status for another domain: -EPERM if it exists, -ESRCH if not (Xen looks it up first); alloc_unbound the same', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    const op = (cmd: number, words: number[]) => { put(a, SCRATCH, words); return call(hv, a, H.event_channel_op, cmd, SCRATCH); };
    expect(op(EVTCHNOP.alloc_unbound, [b.domid | (a.domid << 16), 0])).toBe(EPERM);
    expect(op(EVTCHNOP.alloc_unbound, [0x2345 | (a.domid << 16), 0])).toBe(ESRCH);
    expect(op(EVTCHNOP.alloc_unbound, [a.domid | (0x2345 << 16), 0])).toBe(0); // the remote end is only checked at bind time
    expect(op(EVTCHNOP.status, [b.domid, 1])).toBe(EPERM);
    expect(op(EVTCHNOP.status, [0x2345, 1])).toBe(ESRCH);
    expect(op(EVTCHNOP.status, [a.domid, 0])).toBe(0); // port 0 is reserved: closed
    expect(op(EVTCHNOP.status, [DOMID.SELF, 4000])).toBe(EINVAL);
    expect(op(EVTCHNOP.bind_interdomain, [0x2345, 1])).toBe(ESRCH);
  });
});

describe('VCPUOP periodic timer', () => {
  it('raises VIRQ_TIMER every period on the virtual clock until stopped', () => {
    const { hv, doms: [a] } = makeDomains(1);
    put(a, SCRATCH, [VIRQ.TIMER, 0, 0]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_virq, SCRATCH)).toBe(0);
    const port = get32(a, SCRATCH + 8);
    const si = a.sharedInfoMfn * 4096;
    const pending = () => (hv.mem.read32(si + SI.evtchnPending) >>> port) & 1;
    const clear = () => hv.mem.write32(si + SI.evtchnPending, 0);
    const firesUpTo = (instructions: number) => { hv.clock.instructions = instructions; for (const t of hv.timers.due(instructions)) t.fire(); };
    // The default 10 ms timer started with the bind; replace it with 3 ms.
    expect(hv.timers.nextDeadline()).toBe(10_000_000);
    put(a, SCRATCH, [3_000_000, 0]);
    expect(call(hv, a, H.vcpu_op, VCPUOP.set_periodic_timer, 0, SCRATCH)).toBe(0);
    expect(call(hv, a, H.vcpu_op, VCPUOP.set_periodic_timer, 1, SCRATCH)).toBe(ENOENT);
    expect(call(hv, a, H.vcpu_op, VCPUOP.set_periodic_timer, 0, 0xfc000000)).toBe(EFAULT);
    put(a, SCRATCH + 64, [0, 0x40000001]); // over 2^62 ns
    expect(call(hv, a, H.vcpu_op, VCPUOP.set_periodic_timer, 0, SCRATCH + 64)).toBe(EINVAL);
    const seen: number[] = [];
    for (let ms = 1; ms <= 10; ms++) {
      firesUpTo(ms * 1_000_000);
      if (pending()) { seen.push(ms); clear(); }
    }
    expect(seen).toEqual([3, 6, 9]);
    expect(hv.timers.nextDeadline()).toBe(12_000_000);
    expect(call(hv, a, H.vcpu_op, VCPUOP.stop_periodic_timer, 0, 0)).toBe(0);
    expect(hv.timers.nextDeadline()).toBeUndefined();
    firesUpTo(20_000_000);
    expect(pending()).toBe(0);
  });
});

describe('mmu_update MMU_MACHPHYS_UPDATE', () => {
  it('sets the M2P entry of an own frame, seen through the read-only table at 0xFC000000; refuses others', () => {
    const { hv, doms: [d, other] } = makeDomains(2);
    const mfn = spareFrame(d);
    // What the guest reads at 0xFC000000 + mfn * 4, through its own page tables (present, read-only).
    const m2p = (frame: number) => {
      const va = 0xfc000000 + frame * 4;
      const pte = hv.mem.read32(hv.mm.l1eAddress(d, va));
      expect(pte & 3).toBe(1);
      return hv.mem.read32((pte & ~0xfff) + (va & 0xfff));
    };
    const req = (ptr: number, val: number) => { put(d, SCRATCH, [ptr, 0, val, 0]); return call(hv, d, H.mmu_update, SCRATCH, 1, SCRATCH + 64, DOMID.SELF); };
    expect(req((mfn << 12) | MMU.MACHPHYS_UPDATE, 0x1234)).toBe(0);
    expect(m2p(mfn)).toBe(0x1234);
    expect(get32(d, SCRATCH + 64)).toBe(1);
    const theirs = spareFrame(other);
    const before = m2p(theirs);
    expect(req((theirs << 12) | MMU.MACHPHYS_UPDATE, 7)).toBe(EPERM);
    expect(m2p(theirs)).toBe(before);
    expect(get32(d, SCRATCH + 64)).toBe(0); // none done
    expect(req((hv.frames.nrFrames << 12) | MMU.MACHPHYS_UPDATE, 7)).toBe(EINVAL);
    expect(req(hv.m2pL1Mfn << 12 | MMU.MACHPHYS_UPDATE, 7)).toBe(EPERM); // a frame of Xen's
    expect(call(hv, d, H.mmu_update, SCRATCH, 1, 0, other.domid)).toBe(EPERM); // no foreign page-table owner for a domU
    expect(auditMemory(hv)).toEqual([]);
  });
});

describe('grants to oneself', () => {
  it('a domain maps its own grant (as Xen allows), sees the frame through it, and is destroyed cleanly while it is mapped', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const free0 = hv.frames.freeFrames();
    const gt = hv.grants.frames(d.domid)[0] * 4096;
    const frame = d.p2m[1500];
    hv.mem.write32(gt + 8 * 8 + 4, frame); hv.mem.write16(gt + 8 * 8 + 2, d.domid); hv.mem.write16(gt + 8 * 8, 1);
    hv.mem.write32(frame * 4096, 0x5e1f5e1f);
    put(d, SCRATCH, [SPARE_VA, 0, 2, 8, DOMID.SELF, 0, 0, 0]);
    expect(call(hv, d, H.grant_table_op, 0, SCRATCH, 1)).toBe(0); // GNTTABOP_map_grant_ref
    expect((get32(d, SCRATCH + 16) >> 16)).toBe(0); // status okay
    put(d, SCRATCH, [SPARE_VA + 0x1000, 0, 2 | 4, 8, d.domid, 0, 0, 0]); // by its own id, read-only
    expect(call(hv, d, H.grant_table_op, 0, SCRATCH, 1)).toBe(0);
    expect((get32(d, SCRATCH + 16) >> 16)).toBe(0);
    expect(get32(d, SPARE_VA)).toBe(0x5e1f5e1f);
    expect(get32(d, SPARE_VA + 0x1000)).toBe(0x5e1f5e1f);
    expect(d.guest.write32(SPARE_VA + 0x1000, 1)).toBe(false);
    expect(hv.grants.entry(d.domid, 8)!.flags & 0x18).toBe(0x18); // GTF_reading|GTF_writing
    expect(auditMemory(hv)).toEqual([]);
    hv.destroyDomain(d);
    expect(auditMemory(hv)).toEqual([]);
    expect(hv.frames.freeFrames()).toBe(free0 + 8 * 256 + 4); // its pages, shared_info, the grant frame, two per-domain frames
  });
});
