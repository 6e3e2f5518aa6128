// `--trace hypercalls`: the decoding of arguments, and a whole run's trace of
// the events guest (book chapters 3-7) on the virtual clock.
import { describe, expect, it } from 'vitest';
import { DOMID, HYPERVISOR as H, SCHEDOP, UVMF, VMASST, VMASST_TYPE, XENMEM } from '../public/xen.js';
import { formatArgs, formatPte, formatUvmf } from '../trace.js';
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
    expect(at(/event_channel_op\(bind_virq, 0x[0-9a-f]+\) = -EEXIST /)).toBeGreaterThan(at(/event_channel_op\(bind_virq, 0x[0-9a-f]+\) = 0 /));
    expect(at(/mmu_update\(0x[0-9a-f]+, 1, 0x[0-9a-f]+, DOMID_SELF\) = -EINVAL /)).toBeGreaterThan(0);
    expect(at(/set_timer_op\(\d+ns\) = 0 /)).toBeGreaterThan(0);
    // Time advances with the virtual clock: a block for a 1 ms timer moves the stamp by about 1 ms.
    const stamps = calls.map((l) => Number(/^\[(\d+\.\d+)\]/.exec(l)![1]));
    expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
    const block = calls.findIndex((l) => /sched_op\(block, 0\)/.test(l));
    expect(stamps[block + 1] - stamps[block]).toBeCloseTo(0.001, 4);
    expect(lines[lines.length - 2]).toMatch(/\] d1 shutdown: poweroff$/);
  });
});
