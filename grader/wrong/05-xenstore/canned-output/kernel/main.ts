// Exercise 05, a typical wrong solution (canned-output): prints what a working client prints, without asking xenstored.
import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type sched_shutdown_t, type start_info_t } from "xen/public";

export function start_kernel(si: Ptr<start_info_t>): void {
  printk("xenstore: client up\n");
  printk("question: xen-page-2695\n");
  printk("items: 3: console,vbd,vkbd\n");
  printk("missing: ENOENT\n");
  printk("secret: EACCES\n");
  printk("counter: 946\n");
  printk("watch: data/xenlab/doorbell (token bell)\n");
  printk("doorbell: ding-event-757\n");
  printk("xenstore: done\n");
  const s = stack_struct<sched_shutdown_t>();
  s.reason = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, s);
}
