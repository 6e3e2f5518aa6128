// Decoding hypercall arguments for `--trace hypercalls` (xentrace-style lines):
// sub-operations, shutdown reasons, VM assists and domain ids by name, counts
// in decimal, page-table entries as `mfn 0x… P|RW|US`, update_va_mapping
// flush flags, 64-bit timeouts in nanoseconds; anything else in hex.
import {
  CALLBACKOP, CONSOLEIO, DOMID, EVTCHNOP, GNTTABOP, HYPERVISOR as H, PAGE, SCHEDOP, SHUTDOWN, UVMF, VCPUOP, VMASST, VMASST_TYPE, XENMEM, XENVER,
} from './public/xen.js';

const hex = (n: number) => '0x' + (n >>> 0).toString(16);
const invert = (o: Record<string, number>) => new Map(Object.entries(o).map(([k, v]) => [v, k]));
const SUBOPS: Record<number, Map<number, string>> = {
  [H.console_io]: invert(CONSOLEIO),
  [H.sched_op]: invert(SCHEDOP),
  [H.sched_op_compat]: invert(SCHEDOP),
  [H.xen_version]: invert(XENVER),
  [H.event_channel_op]: invert(EVTCHNOP),
  [H.grant_table_op]: invert(GNTTABOP),
  [H.vcpu_op]: invert(VCPUOP),
  [H.callback_op]: invert(CALLBACKOP),
  [H.vm_assist]: invert(VMASST),
};
const REASONS = invert(SHUTDOWN);
const ASSISTS = invert(VMASST_TYPE);
const XENMEM_NAMES = invert(XENMEM);
const DOMID_NAMES = new Map<number, string>([[DOMID.SELF, 'DOMID_SELF'], [DOMID.IO, 'DOMID_IO'], [DOMID.XEN, 'DOMID_XEN'], [DOMID.COW, 'DOMID_COW'], [DOMID.INVALID, 'DOMID_INVALID'], [DOMID.IDLE, 'DOMID_IDLE']]);
const PTE_FLAGS: [number, string][] = [[PAGE.PRESENT, 'P'], [PAGE.RW, 'RW'], [PAGE.USER, 'US'], [PAGE.PWT, 'PWT'], [PAGE.PCD, 'PCD'], [PAGE.ACCESSED, 'A'], [PAGE.DIRTY, 'D'], [PAGE.PSE, 'PSE'], [PAGE.GLOBAL, 'G']];
const PREEMPTED = 0x80000000;

/** Positions (0-based) that hold a count, printed in decimal. */
const COUNTS: Record<number, number[]> = {
  [H.console_io]: [1], [H.mmu_update]: [1], [H.mmuext_op]: [1], [H.multicall]: [1], [H.set_gdt]: [1],
  [H.grant_table_op]: [2], [H.vcpu_op]: [1],
};

export function formatDomid(d: number): string { return DOMID_NAMES.get(d & 0xffff) ?? String(d & 0xffff); }

/** "mfn 0x2043 P|RW|US" (0 for an empty entry). */
export function formatPte(lo: number): string {
  if (lo === 0) return '0';
  const flags = PTE_FLAGS.filter(([bit]) => lo & bit).map(([, n]) => n);
  return `mfn ${hex(lo >>> 12)} ${flags.join('|') || 'not-present'}`;
}

/** UVMF_* of update_va_mapping: the flush type, then LOCAL, ALL or a VCPU-mask pointer. */
export function formatUvmf(flags: number): string {
  const type = ['NONE', 'TLB_FLUSH', 'INVLPG', 'FLUSHTYPE?'][flags & UVMF.FLUSHTYPE_MASK];
  const scope = flags & ~UVMF.FLUSHTYPE_MASK;
  return scope === 0 ? type : scope === UVMF.ALL ? `${type}|ALL` : `${type}|mask@${hex(scope)}`;
}

const countArg = (a: number) => (a & PREEMPTED ? `${a & ~PREEMPTED}|PREEMPTED` : String(a));
const ns = (lo: number, hi: number) => `${(lo >>> 0) + (hi >>> 0) * 2 ** 32}ns`;

/** "write, 13, 0x2000": the arguments of one hypercall as the trace shows them. */
export function formatArgs(nr: number, args: number[]): string {
  switch (nr) {
    case H.update_va_mapping:
    case H.update_va_mapping_otherdomain: {
      const [va, lo, hi, flags, domid] = args;
      const out = [hex(va), hi ? `${hex(hi)}:${hex(lo)}` : formatPte(lo), formatUvmf(flags)];
      if (nr === H.update_va_mapping_otherdomain) out.push(formatDomid(domid));
      return out.join(', ');
    }
    case H.mmu_update:
    case H.mmuext_op:
      return [hex(args[0]), countArg(args[1]), hex(args[2]), formatDomid(args[3])].join(', ');
    case H.set_timer_op:
      return ns(args[0], args[1]) + (args[0] === 0 && args[1] === 0 ? ' (stop)' : '');
    case H.memory_op: {
      // The upper bits carry a continuation's start extent.
      const cmd = args[0] & 63, start = args[0] >>> 6;
      return [(XENMEM_NAMES.get(cmd) ?? String(cmd)) + (start ? `+${start}` : ''), hex(args[1])].join(', ');
    }
    case H.vm_assist:
      return [SUBOPS[nr].get(args[0]) ?? String(args[0]), ASSISTS.get(args[1]) ?? String(args[1])].join(', ');
    case H.sched_op_compat:
      if (args[0] === SCHEDOP.shutdown) return `shutdown, ${REASONS.get(args[1]) ?? args[1]}`;
      break;
  }
  const sub = SUBOPS[nr];
  const counts = COUNTS[nr] ?? [];
  return args.map((a, i) => {
    if (i === 0 && sub?.has(a)) return sub.get(a)!;
    if (counts.includes(i)) return countArg(a);
    return a < 16 ? String(a) : hex(a);
  }).join(', ');
}
