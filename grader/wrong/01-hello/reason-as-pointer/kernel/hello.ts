// Wrong solution (reason-as-pointer): passes SHUTDOWN_poweroff itself as sched_op's argument, where Xen expects a
// pointer to a sched_shutdown_t (the old sched_op_compat took the reason as a value)
import "minios/bootstrap";
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff } from "xen/public";

export function start_kernel(start_info: VoidPtr): void {
  const msg = "Hello world\n";
  HYPERVISOR_console_io(CONSOLEIO_write, msg.length, msg);
  HYPERVISOR_sched_op(SCHEDOP_shutdown, ptr<u8>(SHUTDOWN_poweroff));
}
