// The hypercall table: every handler group, registered by Xen number.
import { registerHypercalls } from './hypercall.js';
import { HYPERVISOR as H } from './public/xen.js';
import { doConsoleIo } from './console.js';
import { doXenVersion } from './version.js';
import { doSchedOp, doSchedOpCompat } from './schedule.js';
import { HYPERCALLS_MM } from './mm_hypercalls.js';
import { HYPERCALLS_TRAPS } from './traps.js';
import { HYPERCALLS_EVENTS } from './event_channel.js';
import { HYPERCALLS_GRANTS } from './grant_table.js';
import { HYPERCALLS_TIME } from './timer_ops.js';
import { HYPERCALLS_DESCRIPTORS } from './descriptor.js';
import { HYPERCALLS_PRIVILEGED } from './privileged.js';

let installed = false;

export function installHypercalls(): void {
  if (installed) return;
  installed = true;
  registerHypercalls({
    [H.console_io]: { arity: 3, fn: (hv, d, a) => doConsoleIo(hv, d, a[0], a[1], a[2]) },
    [H.xen_version]: { arity: 2, fn: (hv, d, a) => doXenVersion(hv, d, a[0], a[1]) },
    [H.sched_op]: { arity: 2, fn: (hv, d, a) => doSchedOp(hv, d, a[0], a[1]) },
    [H.sched_op_compat]: { arity: 2, fn: (hv, d, a) => doSchedOpCompat(hv, d, a[0], a[1]) },
  });
  for (const group of [HYPERCALLS_MM, HYPERCALLS_TRAPS, HYPERCALLS_EVENTS, HYPERCALLS_GRANTS, HYPERCALLS_TIME, HYPERCALLS_DESCRIPTORS, HYPERCALLS_PRIVILEGED]) registerHypercalls(group);
}
