// Wrong solution (wrong-text): prints the book's greeting, not the one the task asks for
import "minios/bootstrap";
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff, SHUTDOWN_crash, sched_shutdown_t } from "xen/public";

export function start_kernel(start_info: VoidPtr): void {
  const msg = "Hello World!\n";
  HYPERVISOR_console_io(CONSOLEIO_write, msg.length, msg);
  const shutdown = stack_struct<sched_shutdown_t>();
  shutdown.reason = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, shutdown);
}
