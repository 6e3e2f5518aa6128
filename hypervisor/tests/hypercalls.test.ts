// Per-hypercall behaviour with good and bad arguments (driven the way
// `int $0x82` drives them), time scaling, traces, and Dom0's host port.
import { describe, expect, it } from 'vitest';
import {
  CALLBACKOP, CALLBACKTYPE, DOMID, EVTCHNOP, EVTCHNSTAT, GNTTABOP, HYPERVISOR as H, MMUEXT, VCPUOP, VMASST, VMASST_TYPE, XENMEM,
} from '../public/xen.js';
import { timeScale, scaleDelta } from '../time.js';
import { makeDomains, call, callStep, put, get32, SCRATCH, SPARE_VA, spareFrame } from '../testing/harness.js';
import { Hypervisor } from '../hypervisor.js';
import { buildGuest } from '../../tests/guests/build.js';
import { SI } from '../shared_info.js';
import { auditMemory } from '../audit.js';

const EPERM = -1, ENOENT = -2, ESRCH = -3, EFAULT = -14, EEXIST = -17, EINVAL = -22, ENOSYS = -38, ETIME = -62;

describe('time scale (vcpu_time_info.tsc_to_system_mul / tsc_shift)', () => {
  for (const hz of [2e9, 3e9, 3.7e9, 1e9, 5e8, 33e6, 2.5e9, 1.6e9]) {
    it(`${hz / 1e6} MHz`, () => {
      const s = timeScale(hz);
      expect(s.mul).toBeGreaterThanOrEqual(2 ** 31);
      expect(s.mul).toBeLessThan(2 ** 32);
      if (hz > 2e9) expect(s.shift).toBeLessThan(0); // the negative shift of fast TSCs
      if (hz <= 1e9) expect(s.shift).toBeGreaterThan(0);
      for (const ticks of [1n, 1000n, 123456789n, 10n ** 12n]) {
        const exact = (ticks * 1_000_000_000n) / BigInt(hz);
        const got = scaleDelta(ticks, s);
        expect(Number(exact - got)).toBeGreaterThanOrEqual(-1);
        expect(Number(exact - got)).toBeLessThanOrEqual(Number(exact / 1_000_000n) + 2); // within 1 ppm
      }
    });
  }

  it('is published under an even version, with wc_* set, for a 3 GHz TSC', () => {
    const hv = new Hypervisor({ clock: { tscHz: 3e9 }, wallclock: { sec: 42, nsec: 7 } });
    const d = hv.createDomain({ kernel: buildGuest('hello'), memoryMiB: 8 });
    const base = d.sharedInfoMfn * 4096;
    hv.run({ budget: 1000 });
    expect(hv.mem.read32(base + SI.time(0)) % 2).toBe(0);
    expect(hv.mem.read8(base + SI.time(0) + 28)).toBe(0xff); // tsc_shift = -1
    expect(hv.mem.read32(base + SI.wcSec)).toBe(42);
    expect(hv.mem.read32(base + SI.wcNsec)).toBe(7);
  });
});

describe('traps and callbacks', () => {
  it('set_trap_table, stack_switch, set_callbacks, callback_op, fpu_taskswitch', () => {
    const { hv, doms: [d] } = makeDomains(1);
    put(d, SCRATCH, [14 | (0 << 8) | (0xe019 << 16), 0x1234, 0x80 | (3 << 8) | (0xe018 << 16), 0x5678, 0, 0]);
    expect(call(hv, d, H.set_trap_table, SCRATCH)).toBe(0);
    expect(d.traps.table[14]).toEqual({ flags: 0, cs: 0xe019, address: 0x1234 });
    expect(d.traps.table[0x80]).toEqual({ flags: 3, cs: 0xe019, address: 0x5678 }); // ring-0 selector fixed to ring 1
    expect(call(hv, d, H.set_trap_table, 0)).toBe(0);
    expect(d.traps.table[14]).toBeUndefined();
    expect(call(hv, d, H.set_trap_table, 0x00c00000)).toBe(EFAULT);
    expect(call(hv, d, H.stack_switch, 0xe021, 0x8000)).toBe(0);
    expect(call(hv, d, H.stack_switch, 0xe033, 0x8000)).toBe(EPERM);
    expect(call(hv, d, H.set_callbacks, 0xe019, 0x100, 0xe019, 0x200)).toBe(0);
    expect([d.traps.eventEip, d.traps.failsafeEip]).toEqual([0x100, 0x200]);
    put(d, SCRATCH, [CALLBACKTYPE.event, 0xe019, 0x300]);
    expect(call(hv, d, H.callback_op, CALLBACKOP.register, SCRATCH)).toBe(0);
    expect(d.traps.eventEip).toBe(0x300);
    put(d, SCRATCH, [CALLBACKTYPE.syscall, 0xe019, 0x300]);
    expect(call(hv, d, H.callback_op, CALLBACKOP.register, SCRATCH)).toBe(EINVAL);
    expect(call(hv, d, H.callback_op, CALLBACKOP.register, 0xfc000000)).toBe(EFAULT);
    expect(call(hv, d, H.callback_op, 7, SCRATCH)).toBe(ENOSYS);
    expect(call(hv, d, H.fpu_taskswitch, 1)).toBe(0);
    expect(d.traps.fpuTs).toBe(true);
  });

  it('multicall runs each entry and stores each result', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const e = (op: number, ...args: number[]) => [op, 0xdead, ...[...args, 0, 0, 0, 0, 0, 0].slice(0, 6)];
    put(d, SCRATCH, [...e(H.xen_version, 0, 0), ...e(99), ...e(H.multicall, 0, 0), ...e(H.console_io, 0, 2, SCRATCH + 4096)]);
    put(d, SCRATCH + 4096, [0x0a6968]);
    expect(call(hv, d, H.multicall, SCRATCH, 4)).toBe(0);
    expect([get32(d, SCRATCH + 4), get32(d, SCRATCH + 36) | 0, get32(d, SCRATCH + 68) | 0, get32(d, SCRATCH + 100)]).toEqual([0x40011, ENOSYS, EINVAL, 0]);
    expect(d.consoleOutput).toBe('hi');
    expect(call(hv, d, H.multicall, 0xfc000000, 1)).toBe(EFAULT);
  });

  it('the iret hypercall restores eax, eip, cs, eflags and the upcall mask', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const sp = SCRATCH + 0x8000;
    d.ctx.regs[4] = sp;
    put(d, sp, [0x11, 0x2000, 0xe019, 0x202]);
    expect(callStep(hv, d, H.iret)).toBe(0);
    expect([d.ctx.regs[0], d.ctx.eip, d.ctx.segs[1].selector, d.ctx.regs[4]]).toEqual([0x11, 0x2000, 0xe019, sp + 16]);
    expect(hv.mem.read8(d.sharedInfoMfn * 4096 + SI.upcallMask(0))).toBe(0);
    d.ctx.regs[4] = sp;
    put(d, sp, [0, 0x2000, 0xe00b, 0]);
    callStep(hv, d, H.iret);
    expect(d.state).toBe('crashed');
    expect(d.crash?.reason).toMatch(/bad code selector/);
  });
});

describe('event channels', () => {
  it('status, unmask, bind_vcpu, bad ports and domains', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    put(a, SCRATCH, [0, 0, 0]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_virq, SCRATCH)).toBe(0);
    const port = get32(a, SCRATCH + 8);
    put(a, SCRATCH, [DOMID.SELF, port]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.status, SCRATCH)).toBe(0);
    expect([get32(a, SCRATCH + 8), get32(a, SCRATCH + 16)]).toEqual([EVTCHNSTAT.virq, 0]);
    put(a, SCRATCH, [b.domid, 1]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.status, SCRATCH)).toBe(EPERM);
    put(a, SCRATCH, [24, 0]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_virq, SCRATCH)).toBe(EINVAL);
    put(a, SCRATCH, [1, 1]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_virq, SCRATCH)).toBe(ENOENT);
    put(a, SCRATCH, [0, 0]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_virq, SCRATCH)).toBe(EEXIST);
    put(a, SCRATCH, [0x7000, 1]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_interdomain, SCRATCH)).toBe(ESRCH);
    put(a, SCRATCH, [port, 1]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_vcpu, SCRATCH)).toBe(ENOENT);
    // Masked pending event: unmask raises the upcall.
    const si = a.sharedInfoMfn * 4096;
    hv.mem.write32(si + SI.evtchnMask, 1 << port);
    hv.events.sendVirq(a, 0);
    expect(hv.mem.read8(si + SI.upcallPending(0))).toBe(0);
    put(a, SCRATCH, [port]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.unmask, SCRATCH)).toBe(0);
    expect(hv.mem.read8(si + SI.upcallPending(0))).toBe(1);
    put(a, SCRATCH, [5000]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.unmask, SCRATCH)).toBe(EINVAL);
    expect(call(hv, a, H.event_channel_op, 77, SCRATCH)).toBe(ENOSYS);
    // The compat form takes { cmd, args }.
    put(a, SCRATCH, [EVTCHNOP.bind_ipi, 0]);
    expect(call(hv, a, H.event_channel_op_compat, SCRATCH)).toBe(0);
    expect(get32(a, SCRATCH + 8)).toBeGreaterThan(0);
  });

  it('vcpu_op and set_timer_op timers raise VIRQ_TIMER on the virtual clock', () => {
    const { hv, doms: [a] } = makeDomains(1);
    put(a, SCRATCH, [0, 0, 0]);
    call(hv, a, H.event_channel_op, EVTCHNOP.bind_virq, SCRATCH);
    const port = get32(a, SCRATCH + 8);
    expect(call(hv, a, H.vcpu_op, VCPUOP.stop_periodic_timer, 0, 0)).toBe(0);
    expect(call(hv, a, H.vcpu_op, VCPUOP.is_up, 0, 0)).toBe(1);
    expect(call(hv, a, H.vcpu_op, VCPUOP.is_up, 1, 0)).toBe(ENOENT);
    put(a, SCRATCH, [100, 0]);
    expect(call(hv, a, H.vcpu_op, VCPUOP.set_periodic_timer, 0, SCRATCH)).toBe(EINVAL); // under 1 ms
    hv.clock.instructions = 5_000_000; // 5 ms
    put(a, SCRATCH, [1_000_000, 0, 1]);
    expect(call(hv, a, H.vcpu_op, VCPUOP.set_singleshot_timer, 0, SCRATCH)).toBe(ETIME);
    expect(call(hv, a, H.vcpu_op, VCPUOP.set_singleshot_timer, 0, 0xfc000000)).toBe(EFAULT);
    expect(call(hv, a, H.set_timer_op, 7_000_000, 0)).toBe(0);
    expect(hv.timers.nextDeadline()).toBe(7_000_000);
    const si = a.sharedInfoMfn * 4096;
    for (const t of hv.timers.due(7_000_000)) t.fire();
    expect(hv.mem.read32(si + SI.evtchnPending) & (1 << port)).not.toBe(0);
    expect(call(hv, a, H.vcpu_op, 99, 0, 0)).toBe(ENOSYS);
  });
});

describe('memory', () => {
  it('memory_op reservations, limits and queries', () => {
    const { hv, doms: [d, other] } = makeDomains(2);
    put(d, SCRATCH, [DOMID.SELF]);
    expect(call(hv, d, H.memory_op, XENMEM.current_reservation, SCRATCH)).toBe(8 * 256);
    expect(call(hv, d, H.memory_op, XENMEM.maximum_reservation, SCRATCH)).toBe(8 * 256);
    put(d, SCRATCH, [other.domid]);
    expect(call(hv, d, H.memory_op, XENMEM.current_reservation, SCRATCH)).toBe(EPERM);
    expect(call(hv, d, H.memory_op, XENMEM.maximum_ram_page, 0)).toBe(hv.frames.nrFrames - 1);
    // Balloon out two spare frames, then back in (up to the maximum only).
    put(d, SCRATCH + 512, [spareFrame(d, 0), spareFrame(d, 1), d.p2m[0]]);
    put(d, SCRATCH, [SCRATCH + 512, 3, 0, 0, DOMID.SELF]);
    expect(call(hv, d, H.memory_op, XENMEM.decrease_reservation, SCRATCH)).toBe(2); // p2m[0] is mapped: stops there
    expect(d.totPages).toBe(8 * 256 - 2);
    put(d, SCRATCH, [SCRATCH + 512, 5, 0, 0, DOMID.SELF]);
    expect(call(hv, d, H.memory_op, XENMEM.increase_reservation, SCRATCH)).toBe(2);
    expect(hv.frames.owner[get32(d, SCRATCH + 512)]).toBe(d.domid);
    put(d, SCRATCH, [SCRATCH + 512, 1, 1, 0, DOMID.SELF]);
    expect(call(hv, d, H.memory_op, XENMEM.increase_reservation, SCRATCH)).toBe(EINVAL);
    put(d, SCRATCH, [SCRATCH + 512, 1, 0, 0, other.domid]);
    expect(call(hv, d, H.memory_op, XENMEM.increase_reservation, SCRATCH)).toBe(EPERM);
    expect(call(hv, d, H.memory_op, XENMEM.machphys_mapping, SCRATCH)).toBe(0);
    expect([get32(d, SCRATCH), get32(d, SCRATCH + 4)]).toEqual([0xfc000000, 0xfc400000]);
    expect(call(hv, d, H.memory_op, 99, SCRATCH)).toBe(ENOSYS);
    expect(auditMemory(hv)).toEqual([]);
  });

  it('builds, pins and switches to a new page-table tree', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const [l2, l1] = [spareFrame(d, 0), spareFrame(d, 1)];
    const oldL1 = hv.mm.l1eAddress(d, 0) >>> 12;
    // Copy the old L1 (its frames are ours), point the new L2 at it, pin both, switch.
    for (let i = 0; i < 1024; i++) hv.mem.write32(l1 * 4096 + i * 4, hv.mem.read32(oldL1 * 4096 + i * 4));
    hv.mem.write32(l2 * 4096, (l1 << 12) | 0x67);
    put(d, SCRATCH, [MMUEXT.PIN_L1_TABLE, l1, 0, MMUEXT.PIN_L2_TABLE, l2, 0, MMUEXT.NEW_BASEPTR, l2, 0]);
    expect(call(hv, d, H.mmuext_op, SCRATCH, 3, SCRATCH + 100, DOMID.SELF)).toBe(0);
    expect(get32(d, SCRATCH + 100)).toBe(3);
    expect(d.ctx.cr3).toBe(l2 * 4096);
    expect(get32(d, 0)).toBe(hv.mem.read32(d.p2m[0] * 4096));
    expect(hv.mem.read32(l2 * 4096 + 1008 * 4) >>> 12).toBe(hv.m2pL1Mfn); // Xen's slots installed
    put(d, SCRATCH, [MMUEXT.UNPIN_TABLE, l1, 0]);
    expect(call(hv, d, H.mmuext_op, SCRATCH, 1, 0, DOMID.SELF)).toBe(0);
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (l1 << 12) | 7, 0, 0)).toBe(EINVAL); // still an L1 (the L2 uses it)
    expect(auditMemory(hv)).toEqual([]);
  });

  it('vm_assist and mmu_update/mmuext_op argument checks', () => {
    const { hv, doms: [d] } = makeDomains(1);
    expect(call(hv, d, H.vm_assist, VMASST.CMD_enable, VMASST_TYPE['4gb_segments'])).toBe(0);
    expect(call(hv, d, H.vm_assist, VMASST.CMD_enable, VMASST_TYPE.writable_pagetables)).toBe(EINVAL);
    expect(call(hv, d, H.vm_assist, 5, 0)).toBe(ENOSYS);
    expect(call(hv, d, H.mmu_update, 0xfc000000, 1, 0, DOMID.SELF)).toBe(EFAULT);
    put(d, SCRATCH, [3, 0, 0, 0]);
    expect(call(hv, d, H.mmu_update, SCRATCH, 1, 0, DOMID.SELF)).toBe(ENOSYS);
    put(d, SCRATCH, [MMUEXT.PIN_L3_TABLE, spareFrame(d), 0]);
    expect(call(hv, d, H.mmuext_op, SCRATCH, 1, 0, DOMID.SELF)).toBe(EINVAL);
    expect(call(hv, d, H.mmuext_op, SCRATCH, 1, 0xfc000000, DOMID.SELF)).toBe(EFAULT);
  });

  it('continues a long mmu_update batch across exits and counts every request', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const pte = hv.mm.l1eAddress(d, SPARE_VA);
    const reqs: number[] = [];
    for (let i = 0; i < 1500; i++) reqs.push(pte, 0, (d.p2m[1000 + (i % 3)] << 12) | 7, 0);
    put(d, SCRATCH, reqs);
    expect(callStep(hv, d, H.mmu_update, SCRATCH, 1500, SCRATCH + 0x10000, DOMID.SELF)).toBe('continue');
    expect(call(hv, d, H.mmu_update, SCRATCH, 1500, SCRATCH + 0x10000, DOMID.SELF)).toBe(0);
    expect(get32(d, SCRATCH + 0x10000)).toBe(1500);
    expect(auditMemory(hv)).toEqual([]);
  });
});

describe('grant tables: setup and query', () => {
  it('setup_table returns frames; query_size reports them', () => {
    const { hv, doms: [d, e] } = makeDomains(2);
    put(d, SCRATCH, [DOMID.SELF, 4, 0, SCRATCH + 256]);
    expect(call(hv, d, H.grant_table_op, GNTTABOP.setup_table, SCRATCH, 1)).toBe(0);
    expect(get32(d, SCRATCH + 8) & 0xffff).toBe(0);
    expect(get32(d, SCRATCH + 256)).toBe(hv.grants.frames(d.domid)[0]);
    expect(hv.grants.frames(d.domid)).toHaveLength(4);
    put(d, SCRATCH, [DOMID.SELF, 33, 0, SCRATCH + 256]);
    call(hv, d, H.grant_table_op, GNTTABOP.setup_table, SCRATCH, 1);
    expect((get32(d, SCRATCH + 8) << 16) >> 16).toBe(-1);
    put(d, SCRATCH, [e.domid, 1, 0, SCRATCH + 256]);
    call(hv, d, H.grant_table_op, GNTTABOP.setup_table, SCRATCH, 1);
    expect((get32(d, SCRATCH + 8) << 16) >> 16).toBe(-8);
    put(d, SCRATCH, [DOMID.SELF, 0, 0, 0]);
    expect(call(hv, d, H.grant_table_op, GNTTABOP.query_size, SCRATCH, 1)).toBe(0);
    expect([get32(d, SCRATCH + 4), get32(d, SCRATCH + 8)]).toEqual([4, 32]);
    expect(call(hv, d, H.grant_table_op, GNTTABOP.setup_table, 0xfc000000, 1)).toBe(EFAULT);
    expect(call(hv, d, H.grant_table_op, 99, SCRATCH, 1)).toBe(ENOSYS);
  });
});

describe('Dom0 host port', () => {
  it('gives new domains XenStore and console rings, reads frames, binds and notifies, maps grants', () => {
    const hv = new Hypervisor({ hostMemoryMiB: 64 });
    const events: number[] = [];
    hv.attachDom0({ onEvent: (p) => events.push(p) });
    const d = hv.createDomain({ kernel: buildGuest('hello'), memoryMiB: 8 });
    expect(d.storeEvtchn).toBeGreaterThan(0);
    expect(d.consoleEvtchn).toBeGreaterThan(0);
    const si = new DataView(d.guest.read(d.startInfoVa, 64)!.buffer);
    expect(si.getUint32(44, true)).toBe(d.storeMfn);
    expect(si.getUint32(48, true)).toBe(d.storeEvtchn);
    expect(si.getUint32(52, true)).toBe(d.consoleMfn);
    expect(si.getUint32(56, true)).toBe(d.consoleEvtchn);
    const port = hv.port(d.domid);
    port.writeFrame(d.storeMfn, 10, new Uint8Array([1, 2, 3]));
    expect([...port.readFrame(d.storeMfn, 10, 3)]).toEqual([1, 2, 3]);
    expect(port.readFrame(hv.m2pL1Mfn, 0, 4)).toHaveLength(0); // not the guest's
    expect(port.readFrame(d.storeMfn, 4090, 100)).toHaveLength(0);
    const local = port.bindInterdomain(d.storeEvtchn);
    expect(local).toBeGreaterThan(0);
    expect(events).toEqual([local]); // Xen marks the new local end pending
    expect(port.bindInterdomain(d.storeEvtchn)).toBe(EINVAL); // already bound
    port.notify(local);
    const pending = hv.mem.read32(d.sharedInfoMfn * 4096 + SI.evtchnPending);
    expect(pending & (1 << d.storeEvtchn)).not.toBe(0);
    // The guest notifies Dom0 over the same channel.
    put(d, SCRATCH, [d.storeEvtchn]);
    expect(call(hv, d, H.event_channel_op, EVTCHNOP.send, SCRATCH)).toBe(0);
    expect(events).toEqual([local, local]);
    // Grant 1 is the XenStore ring (the toolstack's reserved entry).
    const m = port.mapGrant(1, true);
    if (typeof m === 'number') throw new Error(`mapGrant failed: ${m}`);
    m.write(0, new Uint8Array([9]));
    expect(port.readFrame(d.storeMfn, 0, 1)[0]).toBe(9);
    expect(hv.grants.entry(d.domid, 1)!.flags & 0x18).toBe(0x18);
    m.unmap();
    expect(hv.grants.entry(d.domid, 1)!.flags & 0x18).toBe(0);
    expect(port.mapGrant(500, false)).toBe(EPERM);
    expect(port.mapGrant(999999, false)).toBe(EINVAL);
    port.unbind(local);
    expect(hv.events.table(d.domid)!.get(d.storeEvtchn)).toEqual({ kind: 'unbound', remoteDom: 0 });
  });
});

describe('--trace hypercalls', () => {
  it('prints one xentrace-style line per hypercall with decoded arguments and result', () => {
    const lines: string[] = [];
    const hv = new Hypervisor({ onTrace: (l) => lines.push(l) });
    hv.createDomain({ kernel: buildGuest('hello'), memoryMiB: 8 });
    hv.run({ budget: 1_000_000 });
    expect(lines[0]).toMatch(/^\[\d+\.\d{6}\] d1v0 console_io\(write, 13, 0x[0-9a-f]+ "Hello world!\\n"\) = 0 \[eip 0x000022[0-9a-f]{2}\]$/);
    expect(lines.some((l) => /xen_version\(version, 0\) = 262161/.test(l))).toBe(true);
    expect(lines.some((l) => /sched_op\(shutdown, 0x[0-9a-f]+ \{poweroff\}\) = 0/.test(l))).toBe(true);
    expect(lines.some((l) => /d1 shutdown: poweroff/.test(l))).toBe(true);
  });
});

describe('set_gdt and update_descriptor', () => {
  it('installs checked descriptor pages, keeps them read-only, and refuses dangerous descriptors', async () => {
    const { loadGuestSelector } = await import('../traps.js');
    const { hv, doms: [d] } = makeDomains(1);
    const f = spareFrame(d);
    // Entry 1: flat ring-1 data up to the M2P top; entry 2: a DPL-0 code segment (fixed to DPL 1).
    hv.mem.write32(f * 4096 + 8, 0x0000c3ff); hv.mem.write32(f * 4096 + 12, 0x00cfb300);
    hv.mem.write32(f * 4096 + 16, 0x0000c3ff); hv.mem.write32(f * 4096 + 20, 0x00cf9b00);
    put(d, SCRATCH, [f]);
    expect(call(hv, d, H.set_gdt, SCRATCH, 3)).toBe(0);
    expect(loadGuestSelector(hv, d, 0x09, false)).toMatchObject({ base: 0, limit: 0xfc3fffff, access: 0xb3 });
    expect(hv.mem.read32(f * 4096 + 20)).toBe(0x00cfbb00);
    expect(loadGuestSelector(hv, d, 0xe019, true)).toMatchObject({ selector: 0xe019 }); // reserved entries still there
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (f << 12) | 7, 0, 0)).toBe(EINVAL);
    // update_descriptor: checked writes into the GDT page; a segment reaching 0xFC400000 or a gate is refused.
    expect(call(hv, d, H.update_descriptor, f * 4096 + 24, 0, 0x0000ffff, 0x00cff300)).toBe(EINVAL);
    expect(call(hv, d, H.update_descriptor, f * 4096 + 24, 0, 0x00000000, 0x0000ec00)).toBe(EINVAL);
    expect(call(hv, d, H.update_descriptor, f * 4096 + 24, 0, 0x0000c3ff, 0x00cff300)).toBe(0);
    expect(loadGuestSelector(hv, d, 0x1b, false)).toMatchObject({ access: 0xf3 });
    expect(call(hv, d, H.update_descriptor, f * 4096 + 25, 0, 0, 0)).toBe(EINVAL);
    expect(call(hv, d, H.update_descriptor, hv.m2pL1Mfn * 4096, 0, 0, 0)).toBe(EPERM);
    // A page with a bad descriptor cannot become a GDT page; too many entries are refused.
    const g = spareFrame(d, 1);
    hv.mem.write32(g * 4096 + 8, 0xffff); hv.mem.write32(g * 4096 + 12, 0x00cff300);
    put(d, SCRATCH, [g]);
    expect(call(hv, d, H.set_gdt, SCRATCH, 2)).toBe(EINVAL);
    expect(call(hv, d, H.set_gdt, SCRATCH, 7169)).toBe(EINVAL);
    expect(call(hv, d, H.set_gdt, 0xfc000000, 2)).toBe(EFAULT);
    // Replacing the GDT releases the old page: it can be mapped writable again.
    expect(call(hv, d, H.set_gdt, SCRATCH, 0)).toBe(0);
    expect(call(hv, d, H.update_va_mapping, SPARE_VA, (f << 12) | 7, 0, 0)).toBe(0);
    expect(auditMemory(hv)).toEqual([]);
  });
});

describe('grant copy, poll, and destroying a granter', () => {
  it('GNTTABOP_copy between a grant and an own frame, with its refusals', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    const gt = hv.grants.frames(b.domid)[0] * 4096;
    const grant = (ref: number, flags: number, frame: number) => {
      hv.mem.write32(gt + ref * 8 + 4, frame); hv.mem.write16(gt + ref * 8 + 2, a.domid); hv.mem.write16(gt + ref * 8, flags);
    };
    const src = b.p2m[1500];
    hv.mem.writeBytes(src * 4096 + 100, new TextEncoder().encode('granted bytes'));
    grant(8, 1, src);
    grant(9, 1 | 4, src);
    const mine = spareFrame(a);
    const copy = (sref: number, sdom: number, soff: number, dref: number, ddom: number, doff: number, len: number, flags: number) => {
      put(a, SCRATCH, [sref, sdom | (soff << 16), dref, ddom | (doff << 16), len | (flags << 16), 0]);
      expect(call(hv, a, H.grant_table_op, GNTTABOP.copy, SCRATCH, 1)).toBe(0);
      return (get32(a, SCRATCH + 20) << 16) >> 16;
    };
    expect(copy(8, b.domid, 100, mine, DOMID.SELF, 0, 13, 1)).toBe(0);
    expect(new TextDecoder().decode(hv.mem.readBytes(mine * 4096, 13))).toBe('granted bytes');
    expect(copy(mine, DOMID.SELF, 0, 9, b.domid, 0, 4, 2)).toBe(-8); // read-only grant as destination
    expect(copy(mine, DOMID.SELF, 0, 8, b.domid, 200, 4, 2)).toBe(0);
    expect(hv.mem.read32(src * 4096 + 200)).toBe(hv.mem.read32(mine * 4096));
    expect(copy(8, b.domid, 4000, mine, DOMID.SELF, 0, 200, 1)).toBe(-10); // crosses the page
    expect(copy(b.p2m[3], b.domid, 0, mine, DOMID.SELF, 0, 4, 0)).toBe(-8); // a frame, not a grant, of another domain
    expect(hv.grants.entry(b.domid, 8)!.flags).toBe(1); // no reading/writing left behind
    expect(auditMemory(hv)).toEqual([]);
  });

  it('SCHEDOP_poll returns at once for a pending port and blocks otherwise', () => {
    const { hv, doms: [a] } = makeDomains(1);
    put(a, SCRATCH, [0]);
    call(hv, a, H.event_channel_op, EVTCHNOP.bind_ipi, SCRATCH);
    const port = get32(a, SCRATCH + 4);
    put(a, SCRATCH + 64, [port]);
    put(a, SCRATCH, [SCRATCH + 64, 1, 0, 0]);
    expect(call(hv, a, H.sched_op, 3, SCRATCH)).toBe(0);
    expect(a.state).toBe('blocked');
    hv.wake(a);
    put(a, SCRATCH + 128, [port]);
    expect(call(hv, a, H.event_channel_op, EVTCHNOP.send, SCRATCH + 128)).toBe(0);
    expect(call(hv, a, H.sched_op, 3, SCRATCH)).toBe(0);
    expect(a.state).toBe('running');
    put(a, SCRATCH, [SCRATCH + 64, 129, 0, 0]);
    expect(call(hv, a, H.sched_op, 3, SCRATCH)).toBe(EINVAL);
    put(a, SCRATCH, [0xfc000000, 1, 0, 0]);
    expect(call(hv, a, H.sched_op, 3, SCRATCH)).toBe(EFAULT);
  });

  it('a destroyed granter leaves mapped frames alive until the mapper unmaps them', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    const gt = hv.grants.frames(b.domid)[0] * 4096;
    const frame = b.p2m[1500];
    hv.mem.write32(gt + 8 * 8 + 4, frame); hv.mem.write16(gt + 8 * 8 + 2, a.domid); hv.mem.write16(gt + 8 * 8, 1);
    put(a, SCRATCH, [SPARE_VA, 0, 2, 8, b.domid, 0, 0, 0]);
    expect(call(hv, a, H.grant_table_op, GNTTABOP.map_grant_ref, SCRATCH, 1)).toBe(0);
    const handle = get32(a, SCRATCH + 20);
    const free0 = hv.frames.freeFrames();
    hv.destroyDomain(b);
    expect(hv.frames.owner[frame]).not.toBe(-1); // still allocated
    expect(hv.frames.freeFrames()).toBe(free0 + 8 * 256 + 1 + 1 - 1 + 2); // b's pages, shared_info, grant frame, per-domain frames, less the orphan
    expect(auditMemory(hv)).toEqual([]);
    put(a, SCRATCH, [SPARE_VA, 0, 0, 0, handle, 0]);
    expect(call(hv, a, H.grant_table_op, GNTTABOP.unmap_grant_ref, SCRATCH, 1)).toBe(0);
    expect(hv.frames.owner[frame]).toBe(-1);
    expect(auditMemory(hv)).toEqual([]);
  });
});
