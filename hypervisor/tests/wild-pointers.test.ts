// Every pointer argument of every hypercall sub-operation, given addresses a
// guest may not use (the read-only M2P and Xen's area above 0xFC000000, an
// unmapped page, a range that wraps past 4 GiB): -EFAULT as Xen's
// copy_from_guest/copy_to_guest give, nothing changed, the domain alive.
import { describe, expect, it } from 'vitest';
import {
  CALLBACKOP, CONSOLEIO, DOMID, EVTCHNOP, GNTTABOP, HYPERVISOR as H, SCHEDOP, VCPUOP, XENMEM, XENVER,
} from '../public/xen.js';
import { makeDomains, call } from '../testing/harness.js';
import { auditMemory } from '../audit.js';

const EFAULT = -14;
const WILD = [0xfc000000, 0xfc3ffffc, 0xfc400000, 0xfffff000, 0xfffffffe, 0x00c00000];
const P = -1; // where the wild pointer goes

/** [label, hypercall, arguments with P for the pointer]. */
const CASES: [string, number, number[]][] = [
  ['set_trap_table', H.set_trap_table, [P]],
  ['mmu_update', H.mmu_update, [P, 1, 0, DOMID.SELF]],
  ['mmuext_op', H.mmuext_op, [P, 1, 0, DOMID.SELF]],
  ['set_gdt', H.set_gdt, [P, 1]],
  ['multicall', H.multicall, [P, 1]],
  ['console_io write', H.console_io, [CONSOLEIO.write, 8, P]],
  ['event_channel_op_compat', H.event_channel_op_compat, [P]],
  ...(['alloc_unbound', 'bind_interdomain', 'bind_virq', 'bind_ipi', 'close', 'send', 'status', 'unmask', 'bind_vcpu'] as const)
    .map((op): [string, number, number[]] => [`event_channel_op ${op}`, H.event_channel_op, [EVTCHNOP[op], P]]),
  ...(['increase_reservation', 'decrease_reservation', 'populate_physmap', 'current_reservation', 'maximum_reservation', 'machphys_mapping'] as const)
    .map((op): [string, number, number[]] => [`memory_op ${op}`, H.memory_op, [XENMEM[op], P]]),
  ...(['setup_table', 'query_size', 'map_grant_ref', 'unmap_grant_ref', 'copy'] as const)
    .map((op): [string, number, number[]] => [`grant_table_op ${op}`, H.grant_table_op, [GNTTABOP[op], P, 1]]),
  ...(['extraversion', 'compile_info', 'capabilities', 'changeset', 'platform_parameters', 'get_features', 'guest_handle'] as const)
    .map((op): [string, number, number[]] => [`xen_version ${op}`, H.xen_version, [XENVER[op], P]]),
  ...(['shutdown', 'poll', 'remote_shutdown', 'shutdown_code', 'watchdog'] as const)
    .map((op): [string, number, number[]] => [`sched_op ${op}`, H.sched_op, [SCHEDOP[op], P]]),
  ['vcpu_op set_singleshot_timer', H.vcpu_op, [VCPUOP.set_singleshot_timer, 0, P]],
  ['vcpu_op set_periodic_timer', H.vcpu_op, [VCPUOP.set_periodic_timer, 0, P]],
  ['callback_op register', H.callback_op, [CALLBACKOP.register, P]],
  ['callback_op unregister', H.callback_op, [CALLBACKOP.unregister, P]],
  ['domctl', H.domctl, [P]],
  ['sysctl', H.sysctl, [P]],
  ['platform_op', H.platform_op, [P]],
];

describe('wild pointers', () => {
  it(`${CASES.length} pointer arguments x ${WILD.length} addresses: -EFAULT, nothing changed`, () => {
    const { hv, doms: [d, other] } = makeDomains(2);
    const before = { pages: d.totPages, ports: hv.events.table(d.domid)!.ports.length, traps: JSON.stringify(d.traps) };
    const wrong: string[] = [];
    for (const [label, nr, args] of CASES) {
      for (const wild of WILD) {
        const r = call(hv, d, nr, ...args.map((a) => (a === P ? wild : a)));
        if (r !== EFAULT) wrong.push(`${label} at 0x${wild.toString(16)}: ${r}`);
      }
    }
    expect(wrong).toEqual([]);
    expect([d.state, other.state]).toEqual(['running', 'running']);
    expect({ pages: d.totPages, ports: hv.events.table(d.domid)!.ports.length, traps: JSON.stringify(d.traps) }).toEqual(before);
    expect(auditMemory(hv)).toEqual([]);
  });
});
