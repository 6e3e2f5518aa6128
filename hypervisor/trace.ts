// Decoding hypercall arguments for `--trace hypercalls` (xentrace-style lines).
import { CONSOLEIO, HYPERVISOR as H, SCHEDOP, XENVER, EVTCHNOP, GNTTABOP, MMUEXT, VCPUOP, XENMEM } from './public/xen.js';

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
  [H.memory_op]: invert(XENMEM),
};
void MMUEXT;

/** "write, 13, 0x2000": the first argument named when it is a sub-operation, the rest in hex. */
export function formatArgs(nr: number, args: number[]): string {
  const sub = SUBOPS[nr];
  return args.map((a, i) => {
    if (i === 0 && sub?.has(a)) return sub.get(a)!;
    if (nr === H.console_io && i === 1) return String(a);
    return a < 16 ? String(a) : hex(a);
  }).join(', ');
}
