// Wrong solution (uses-library): the kernel calls the Mini-OS library's gettimeofday instead of writing its own.
import "minios/bootstrap";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { printk } from "minios/console";
import { map_shared_info } from "minios/hypervisor";
import { gettimeofday, type timeval } from "minios/time";
import { SCHEDOP_shutdown, SHUTDOWN_crash, SHUTDOWN_poweroff, type sched_shutdown_t, type start_info_t } from "xen/public";

const CALLS = 8;

function shutdown(reason: u32): void {
  const s = stack_struct<sched_shutdown_t>();
  s.reason = reason;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, s);
}

export function start_kernel(si: Ptr<start_info_t>): void {
  const rc = map_shared_info(si);
  if (rc != 0) {
    printk("map_shared_info failed: %d\n", rc);
    shutdown(SHUTDOWN_crash);
    return;
  }
  printk("gettimeofday: %d readings\n", CALLS);
  const tv = stack_struct<timeval>();
  for (let i = 0; i < CALLS; i++) {
    gettimeofday(tv);
    printk("time %u.%06u\n", tv.tv_sec, tv.tv_usec);
  }
  shutdown(SHUTDOWN_poweroff);
}
