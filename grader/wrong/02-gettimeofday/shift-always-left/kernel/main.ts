// Exercise 02: the kernel that exercises your gettimeofday (you need not change this file).
// It maps the shared info page, then reads the time of day CALLS times, printing each reading as
// "time SECONDS.MICROSECONDS", and powers off.
import "minios/bootstrap";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { printk } from "minios/console";
import { SCHEDOP_shutdown, SHUTDOWN_crash, SHUTDOWN_poweroff, type sched_shutdown_t, type start_info_t } from "xen/public";
import { gettimeofday, map_shared_info, type timeval } from "./gettimeofday";

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
