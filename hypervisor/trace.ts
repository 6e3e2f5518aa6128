// Decoding hypercall arguments for `--trace hypercalls` (xentrace-style lines):
// sub-operations, shutdown reasons, VM assists and domain ids by name, counts
// in decimal, page-table entries as `mfn 0x… P|RW|US`, update_va_mapping
// flush flags, 64-bit timeouts in nanoseconds; anything else in hex.
import {
  CALLBACKOP, CALLBACKTYPE, CONSOLEIO, DOMID, EVTCHNOP, GNTMAP, GNTST, GNTTABOP, HYPERVISOR as H, MMUEXT, PAGE, SCHEDOP, SHUTDOWN, UVMF, VCPUOP, VIRQ,
  VMASST, VMASST_TYPE, XENMEM, XENVER,
} from './public/xen.js';
import { gnttab_copy, gnttab_map_grant_ref, gnttab_unmap_grant_ref } from './public/structs.js';

/** What the trace may read of the guest: its memory through its own page tables (never throws). */
export interface TraceMemory { read(va: number, len: number): Uint8Array | null }

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
/** A domain id inside a structure: DOMID_SELF or d3. */
const dname = (d: number): string => DOMID_NAMES.get(d & 0xffff) ?? `d${d & 0xffff}`;

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

const VIRQS = invert(VIRQ);
const GNTSTS = invert(GNTST);
/** A grant operation's status by its GNTST_ name. */
const gntst = (n: number) => (n === 0 ? 'okay' : GNTSTS.get(n) ?? String(n));
const MMUEXTS = invert(MMUEXT);
const CALLBACKTYPES = new Map<number, string>([[CALLBACKTYPE.event, 'event'], [CALLBACKTYPE.failsafe, 'failsafe'], [CALLBACKTYPE.syscall, 'syscall'], [CALLBACKTYPE.sysenter, 'sysenter'], [CALLBACKTYPE.nmi, 'nmi']]);
const RESERVATIONS: number[] = [XENMEM.increase_reservation, XENMEM.decrease_reservation, XENMEM.populate_physmap];

/**
 * The structure a pointer argument names, read back after the call (so a field the
 * hypervisor filled in, such as a new port, shows too): "{virq TIMER, vcpu 0 -> port 3}".
 * Undefined when the call has no structure worth showing or the memory cannot be read.
 */
export function formatStruct(nr: number, args: number[], mem: TraceMemory, ok = true): string | undefined {
  /** A field the hypervisor fills in: shown only when the call succeeded. */
  const out = (text: string) => (ok ? ` -> ${text}` : '');
  const at = (va: number, len: number) => {
    const b = mem.read(va >>> 0, len);
    return b ? new DataView(b.buffer, b.byteOffset, b.byteLength) : undefined;
  };
  const u64 = (v: DataView, o: number) => v.getUint32(o, true) + v.getUint32(o + 4, true) * 2 ** 32;
  const [cmd, arg] = args;
  switch (nr) {
    case H.console_io: {
      if (cmd !== CONSOLEIO.write || args[1] === 0) return undefined;
      const b = mem.read(args[2] >>> 0, Math.min(args[1], 40));
      return b ? JSON.stringify(new TextDecoder().decode(b)) + (args[1] > 40 ? '...' : '') : undefined;
    }
    case H.event_channel_op: {
      const v = at(arg, 12);
      if (!v) return undefined;
      const w = (o: number) => v.getUint32(o, true), h = (o: number) => v.getUint16(o, true);
      switch (cmd) {
        case EVTCHNOP.alloc_unbound: return `{dom ${dname(h(0))}, remote ${dname(h(2))}${out(`port ${w(4)}`)}}`;
        case EVTCHNOP.bind_interdomain: return `{remote ${dname(h(0))} port ${w(4)}${out(`port ${w(8)}`)}}`;
        case EVTCHNOP.bind_virq: return `{virq ${VIRQS.get(w(0)) ?? w(0)}, vcpu ${w(4)}${out(`port ${w(8)}`)}}`;
        case EVTCHNOP.bind_ipi: return `{vcpu ${w(0)}${out(`port ${w(4)}`)}}`;
        case EVTCHNOP.close: case EVTCHNOP.send: case EVTCHNOP.unmask: return `{port ${w(0)}}`;
        case EVTCHNOP.status: return `{dom ${dname(h(0))}, port ${w(4)}}`;
        case EVTCHNOP.bind_vcpu: return `{port ${w(0)}, vcpu ${w(4)}}`;
        default: return undefined;
      }
    }
    case H.sched_op: {
      if (cmd === SCHEDOP.shutdown || cmd === SCHEDOP.shutdown_code) {
        const v = at(arg, 4);
        return v && `{${REASONS.get(v.getUint32(0, true)) ?? v.getUint32(0, true)}}`;
      }
      if (cmd === SCHEDOP.poll) {
        const v = at(arg, 16);
        if (!v) return undefined;
        const n = v.getUint32(4, true);
        const ports = at(v.getUint32(0, true), Math.min(n, 4) * 4);
        const list = ports ? Array.from({ length: Math.min(n, 4) }, (_, i) => ports.getUint32(i * 4, true)).join(', ') + (n > 4 ? ', ...' : '') : '?';
        return `{ports [${list}], timeout ${u64(v, 8)}ns}`;
      }
      if (cmd === SCHEDOP.remote_shutdown) {
        const v = at(arg, 8);
        return v && `{dom ${dname(v.getUint16(0, true))}, ${REASONS.get(v.getUint32(4, true)) ?? v.getUint32(4, true)}}`;
      }
      if (cmd === SCHEDOP.watchdog) {
        const v = at(arg, 8);
        return v && `{id ${v.getUint32(0, true)}, timeout ${v.getUint32(4, true)}s}`;
      }
      return undefined;
    }
    case H.vcpu_op: {
      if (cmd === VCPUOP.set_singleshot_timer) { const v = at(args[2], 12); return v && `{timeout ${u64(v, 0)}ns, flags ${v.getUint32(8, true)}}`; }
      if (cmd === VCPUOP.set_periodic_timer) { const v = at(args[2], 8); return v && `{period ${u64(v, 0)}ns}`; }
      return undefined;
    }
    case H.memory_op: {
      const c = cmd & 63;
      if (RESERVATIONS.includes(c)) {
        const v = at(arg, 20);
        return v && `{nr_extents ${v.getUint32(4, true)}, order ${v.getUint32(8, true)}, ${dname(v.getUint16(16, true))}}`;
      }
      if (c === XENMEM.current_reservation || c === XENMEM.maximum_reservation) { const v = at(arg, 2); return v && `{${dname(v.getUint16(0, true))}}`; }
      return undefined;
    }
    case H.grant_table_op: {
      if (args[2] === 0) return undefined;
      const first = args[2] > 1 ? `first of ${args[2]}: ` : '';
      switch (cmd) {
        case GNTTABOP.map_grant_ref: {
          const v = at(arg, gnttab_map_grant_ref.size);
          if (!v) return undefined;
          const f = v.getUint32(gnttab_map_grant_ref.offsetOf('flags'), true);
          const flags = Object.entries(GNTMAP).filter(([, bit]) => f & bit).map(([n]) => n).join('|') || '0';
          const m = (f: string) => gnttab_map_grant_ref.offsetOf(f);
          return `{${first}ref ${v.getUint32(m('ref'), true)} of ${dname(v.getUint16(m('dom'), true))}, host ${hex(v.getUint32(m('host_addr'), true))}, ${flags}` +
            `${out(v.getInt16(m('status'), true) === 0 ? `okay, handle ${v.getUint32(m('handle'), true)}` : gntst(v.getInt16(m('status'), true)))}}`;
        }
        case GNTTABOP.unmap_grant_ref: {
          const v = at(arg, gnttab_unmap_grant_ref.size), u = (f: string) => gnttab_unmap_grant_ref.offsetOf(f);
          return v && `{${first}handle ${v.getUint32(u('handle'), true)}, host ${hex(v.getUint32(u('host_addr'), true))}${out(gntst(v.getInt16(u('status'), true)))}}`;
        }
        case GNTTABOP.setup_table: { const v = at(arg, 12); return v && `{${dname(v.getUint16(0, true))}, ${v.getUint32(4, true)} frames${out(gntst(v.getInt16(8, true)))}}`; }
        case GNTTABOP.query_size: { const v = at(arg, 12); return v && `{${dname(v.getUint16(0, true))}${out(`${v.getUint32(4, true)} of ${v.getUint32(8, true)} frames`)}}`; }
        case GNTTABOP.copy: {
          const v = at(arg, gnttab_copy.size);
          if (!v) return undefined;
          const end = (o: number, gref: boolean) => `${gref ? 'ref' : 'frame'} ${gref ? v.getUint32(o, true) : hex(v.getUint32(o, true))} of ${dname(v.getUint16(o + 4, true))}+${v.getUint16(o + 6, true)}`;
          const flags = v.getUint16(18, true);
          return `{${first}${end(0, (flags & 1) !== 0)} to ${end(8, (flags & 2) !== 0)}, ${v.getUint16(16, true)} bytes${out(gntst(v.getInt16(20, true)))}}`;
        }
        default: return undefined;
      }
    }
    case H.mmuext_op: {
      const v = at(cmd, 12);
      if (!v || (args[1] & ~PREEMPTED) === 0) return undefined;
      const op = v.getUint32(0, true);
      return `{${(args[1] & ~PREEMPTED) > 1 ? 'first: ' : ''}${MMUEXTS.get(op) ?? op} ${hex(v.getUint32(4, true))}}`;
    }
    case H.mmu_update: {
      const v = at(cmd, 16);
      if (!v || (args[1] & ~PREEMPTED) === 0) return undefined;
      const ptr = v.getUint32(0, true);
      const kind = ['pt', 'm2p', 'pt-preserve-ad', '?'][ptr & 3];
      return `{${(args[1] & ~PREEMPTED) > 1 ? 'first: ' : ''}${kind} ${hex(ptr & ~3)} = ${(ptr & 3) === 1 ? hex(v.getUint32(8, true)) : formatPte(v.getUint32(8, true))}}`;
    }
    case H.callback_op: {
      if (cmd !== CALLBACKOP.register) return undefined;
      const v = at(arg, 12);
      return v && `{${CALLBACKTYPES.get(v.getUint16(0, true)) ?? v.getUint16(0, true)}, ${hex(v.getUint32(4, true))}:${hex(v.getUint32(8, true))}${v.getUint16(2, true) & 1 ? ', mask_events' : ''}}`;
    }
    default:
      return undefined;
  }
}

/** The arguments, and when `mem` is given the structure behind a pointer argument after them. */
export function formatCall(nr: number, args: number[], mem?: TraceMemory, result = 0): string {
  const plain = formatArgs(nr, args);
  const struct = mem ? formatStruct(nr, args, mem, result >= 0) : undefined;
  return struct ? `${plain} ${struct}` : plain;
}

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
