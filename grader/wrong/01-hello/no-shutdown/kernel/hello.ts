// Wrong solution (no-shutdown): prints and then returns from start_kernel, so the bootstrap spins until the budget runs out
import "minios/bootstrap";
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff, SHUTDOWN_crash, sched_shutdown_t } from "xen/public";

export function start_kernel(start_info: VoidPtr): void {
  const msg = "Hello world\n";
  HYPERVISOR_console_io(CONSOLEIO_write, msg.length, msg);
}
