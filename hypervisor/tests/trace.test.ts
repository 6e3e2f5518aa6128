// `--trace hypercalls`: the decoding of arguments, and a whole run's trace of
// the events guest (book chapters 3-7) on the virtual clock.
import { describe, expect, it } from 'vitest';
import { CALLBACKOP, CALLBACKTYPE, CONSOLEIO, DOMID, EVTCHNOP, HYPERVISOR as H, MMUEXT, SCHEDOP, UVMF, VCPUOP, VMASST, VMASST_TYPE, XENMEM } from '../public/xen.js';
import { formatArgs, formatCall, formatPte, formatUvmf } from '../trace.js';
import { Hypervisor } from '../hypervisor.js';
import { buildGuest } from '../../tests/guests/build.js';

describe('hypercall argument decoding', () => {
  it('names sub-operations, domain ids, assists and shutdown reasons; counts in decimal', () => {
    expect(formatArgs(H.mmu_update, [0x91b8, 1500, 0x91b4, DOMID.SELF])).toBe('0x91b8, 1500, 0x91b4, DOMID_SELF');
    expect(formatArgs(H.mmuext_op, [0x9000, 0x80000010, 0, 3])).toBe('0x9000, 16|PREEMPTED, 0x0, 3');
    expect(formatArgs(H.memory_op, [XENMEM.decrease_reservation | (1024 << 6), 0x91a0])).toBe('decrease_reservation+1024, 0x91a0');
    expect(formatArgs(H.vm_assist, [VMASST.CMD_enable, VMASST_TYPE.writable_pagetables])).toBe('CMD_enable, writable_pagetables');
    expect(formatArgs(H.sched_op_compat, [SCHEDOP.shutdown, 3])).toBe('shutdown, crash');
    expect(formatArgs(H.set_timer_op, [0x2a, 1])).toBe('4294967338ns');
    expect(formatArgs(H.set_timer_op, [0, 0])).toBe('0ns (stop)');
    expect(formatArgs(H.grant_table_op, [0, 0x9000, 20])).toBe('map_grant_ref, 0x9000, 20');
    expect(formatArgs(H.multicall, [0x9000, 32])).toBe('0x9000, 32');
    expect(formatArgs(77, [1, 0x20])).toBe('1, 0x20');
  });

  it('shows page-table entries and flush flags of update_va_mapping', () => {
    expect(formatPte(0x02043067)).toBe('mfn 0x2043 P|RW|US|A|D');
    expect(formatPte(0)).toBe('0');
    expect(formatPte(0x5000)).toBe('mfn 0x5 not-present');
    expect(formatUvmf(UVMF.INVLPG | UVMF.ALL)).toBe('INVLPG|ALL');
    expect(formatUvmf(UVMF.TLB_FLUSH | 0x9000)).toBe('TLB_FLUSH|mask@0x9000');
    expect(formatArgs(H.update_va_mapping, [0x1000, 0x2043007, 0, UVMF.INVLPG])).toBe('0x1000, mfn 0x2043 P|RW|US, INVLPG');
    expect(formatArgs(H.update_va_mapping_otherdomain, [0x1000, 0x7, 1, 0, 5])).toBe('0x1000, 0x1:0x7, NONE, 5');
  });
});

describe('structures behind pointer arguments', () => {
  /** Guest memory for the decoder: words at 0x1000.., nothing elsewhere. */
  const mem = (words: number[]) => ({
    read: (va: number, len: number) => {
      const b = new Uint8Array(Math.max(words.length, 16) * 4);
      words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
      return va >= 0x1000 && va + len <= 0x1000 + b.length ? b.slice(va - 0x1000, va - 0x1000 + len) : null;
    },
  });
  it('shows inputs always and outputs only after success', () => {
    expect(formatCall(H.event_channel_op, [EVTCHNOP.alloc_unbound, 0x1000], mem([DOMID.SELF | (2 << 16), 5]))).toBe('alloc_unbound, 0x1000 {dom DOMID_SELF, remote d2 -> port 5}');
    expect(formatCall(H.event_channel_op, [EVTCHNOP.alloc_unbound, 0x1000], mem([DOMID.SELF | (2 << 16), 5]), -1)).toBe('alloc_unbound, 0x1000 {dom DOMID_SELF, remote d2}');
    expect(formatCall(H.event_channel_op, [EVTCHNOP.send, 0x2000], mem([3]))).toBe('send, 0x2000'); // unreadable
    expect(formatCall(H.sched_op, [SCHEDOP.poll, 0x1000], mem([0x1010, 2, 5_000_000, 0, 3, 7]))).toBe('poll, 0x1000 {ports [3, 7], timeout 5000000ns}');
    expect(formatCall(H.vcpu_op, [VCPUOP.set_periodic_timer, 0, 0x1000], mem([10_000_000, 0]))).toBe('set_periodic_timer, 0, 0x1000 {period 10000000ns}');
    expect(formatCall(H.memory_op, [XENMEM.decrease_reservation, 0x1000], mem([0x2000, 3, 0, 0, DOMID.SELF]))).toBe('decrease_reservation, 0x1000 {nr_extents 3, order 0, DOMID_SELF}');
    expect(formatCall(H.mmuext_op, [0x1000, 2, 0, DOMID.SELF], mem([MMUEXT.PIN_L1_TABLE, 0x2345, 0]))).toBe('0x1000, 2, 0x0, DOMID_SELF {first: PIN_L1_TABLE 0x2345}');
    expect(formatCall(H.mmu_update, [0x1000, 1, 0, DOMID.SELF], mem([0x00812345 & ~3, 0, 0x2043007, 0]))).toBe('0x1000, 1, 0x0, DOMID_SELF {pt 0x812344 = mfn 0x2043 P|RW|US}');
    expect(formatCall(H.callback_op, [CALLBACKOP.register, 0x1000], mem([CALLBACKTYPE.failsafe | (1 << 16), 0xe019, 0x3000]))).toBe('register, 0x1000 {failsafe, 0xe019:0x3000, mask_events}');
    expect(formatCall(H.console_io, [CONSOLEIO.write, 45, 0x1000], mem(Array(12).fill(0x41414141)))).toBe(`write, 45, 0x1000 "${'A'.repeat(40)}"...`);
  });

  it('decodes grant operations with their GNTST_ status', () => {
    const lines: string[] = [];
    const hv = new Hypervisor({ onTrace: (l) => lines.push(l) });
    const kernel = buildGuest('share');
    hv.createDomain({ kernel, cmdline: 'granter2', name: 'granter' });
    hv.createDomain({ kernel, cmdline: 'mapper 1', name: 'mapper' });
    hv.run({ budget: 200_000_000 });
    const grants = lines.filter((l) => /grant_table_op/.test(l)).map((l) => l.replace(/^\[[\d.]+\] /, '').replace(/ \[eip .*$/, ''));
    expect(grants).toContain('d1v0 grant_table_op(setup_table, 0x9fd8, 1 {DOMID_SELF, 1 frames -> okay}) = 0');
    expect(grants.some((l) => /^d2v0 grant_table_op\(map_grant_ref, 0x[0-9a-f]+, 1 \{ref 8 of d1, host 0x[0-9a-f]+, host_map -> okay, handle 0\}\) = 0$/.test(l))).toBe(true);
    expect(grants.some((l) => / -> permission_denied\}/.test(l))).toBe(true);
    expect(grants.some((l) => /unmap_grant_ref.* -> bad_handle\}/.test(l))).toBe(true);
  });
});

describe('a traced run', () => {
  it('prints every hypercall of the events guest, in order, with errors by name and times on the virtual clock', () => {
    const lines: string[] = [];
    const hv = new Hypervisor({ onTrace: (l) => lines.push(l) });
    const d = hv.createDomain({ kernel: buildGuest('events'), memoryMiB: 32 });
    hv.run({ budget: 50_000_000 });
    expect(d.shutdownReason).toBe('poweroff');
    const calls = lines.filter((l) => / d1v0 /.test(l));
    expect(calls).toHaveLength(d.hypercalls.length);
    const at = (re: RegExp) => calls.findIndex((l) => re.test(l));
    expect(at(/update_va_mapping\(0x[0-9a-f]+, mfn 0x[0-9a-f]+ P\|RW\|US, INVLPG\) = 0 /)).toBeGreaterThanOrEqual(0);
    expect(at(/set_trap_table\(0xfc000000\) = -EFAULT /)).toBeGreaterThan(at(/set_trap_table\(0x[0-9a-f]+\) = 0 /));
    // The structure behind the pointer; what Xen filled in only when the call succeeded.
    expect(at(/event_channel_op\(bind_virq, 0x[0-9a-f]+ \{virq TIMER, vcpu 0\}\) = -EEXIST /)).toBeGreaterThan(at(/event_channel_op\(bind_virq, 0x[0-9a-f]+ \{virq TIMER, vcpu 0 -> port \d+\}\) = 0 /));
    expect(at(/event_channel_op\(bind_virq, 0xfbfffff0\) = -EFAULT /)).toBeGreaterThan(0); // unreadable: no structure
    expect(at(/console_io\(write, 15, 0x[0-9a-f]+ "map_shared_info"\) = 0 /)).toBeGreaterThanOrEqual(0);
    expect(at(/mmu_update\(0x[0-9a-f]+, 1, 0x[0-9a-f]+, DOMID_SELF \{pt 0x[0-9a-f]+ = 0\}\) = -EINVAL /)).toBeGreaterThan(0);
    expect(at(/set_timer_op\(\d+ns\) = 0 /)).toBeGreaterThan(0);
    // Time advances with the virtual clock: a block for a 1 ms timer moves the stamp by about 1 ms.
    const stamps = calls.map((l) => Number(/^\[(\d+\.\d+)\]/.exec(l)![1]));
    expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
    const block = calls.findIndex((l) => /sched_op\(block, 0\)/.test(l));
    expect(stamps[block + 1] - stamps[block]).toBeCloseTo(0.001, 4);
    expect(lines[lines.length - 2]).toMatch(/\] d1 shutdown: poweroff$/);
  });
});
