// Exercise 03: the kernel both domains boot (you need not change this file).
// The grader starts it twice: domain "granter" with the command line "granter" and domain "mapper" with "mapper".
// Each brings up events, time, memory, the grant table and XenStore, then plays its part (kernel/share.ts) and
// powers off; a part that fails crashes its domain (SHUTDOWN_crash) after saying why.
import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { init_events } from "minios/events";
import { init_time } from "minios/time";
import { init_mm } from "minios/mm";
import { init_xenbus } from "minios/xenbus";
import { strncmp } from "minios/string";
import { SCHEDOP_shutdown, SHUTDOWN_crash, SHUTDOWN_poweroff, type sched_shutdown_t, type start_info_t } from "xen/public";
import { init_grant_table } from "./grant";
import { granter, mapper } from "./share";

function shutdown(reason: u32): void {
  const s = stack_struct<sched_shutdown_t>();
  s.reason = reason;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, s);
}

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  init_time();
  init_mm(si);
  local_irq_enable();
  if (init_xenbus(si) != 0 || init_grant_table() != 0) {
    printk("no XenStore or grant table\n");
    shutdown(SHUTDOWN_crash);
    return;
  }
  const cmdline = ptr<u8>(si.cmd_line);
  let ok = false;
  if (strncmp(cmdline, "granter", 7) == 0) ok = granter();
  else if (strncmp(cmdline, "mapper", 6) == 0) ok = mapper();
  else printk("unknown role \"%s\": boot me with the command line granter or mapper\n", cmdline);
  shutdown(ok ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}
