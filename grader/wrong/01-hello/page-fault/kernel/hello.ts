// Wrong solution (page-fault): prints, then reads through a pointer to memory the domain does not have
import "minios/bootstrap";
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff, SHUTDOWN_crash, sched_shutdown_t } from "xen/public";

export function start_kernel(start_info: VoidPtr): void {
  const msg = "Hello world\n";
  HYPERVISOR_console_io(CONSOLEIO_write, msg.length, msg);
  const nowhere = ptr<u32>(0x3ff00000);
  const shutdown = stack_struct<sched_shutdown_t>();
  shutdown.reason = nowhere[0];
  HYPERVISOR_sched_op(SCHEDOP_shutdown, shutdown);
}
