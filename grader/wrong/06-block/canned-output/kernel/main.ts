// Exercise 06, a typical wrong solution: main.ts prints what a working run prints, and never touches the disk.
import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type sched_shutdown_t, type start_info_t } from "xen/public";

export function start_kernel(si: Ptr<start_info_t>): void {
  printk("main: disk of 2048 sectors of 512 bytes\n");
  printk("main: copying 20 sectors from sector 5 to sector 400\n");
  printk("main: flush 0\n");
  printk("main: verify: the copy reads back the same\n");
  printk("main: shutdown 0\n");
  printk("main: done\n");
  const s = stack_struct<sched_shutdown_t>();
  s.reason = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, s);
}
