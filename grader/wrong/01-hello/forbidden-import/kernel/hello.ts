// Wrong solution (forbidden-import): tries to import the reference solution from outside its own folder
import "minios/bootstrap";
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff, SHUTDOWN_crash, sched_shutdown_t } from "xen/public";
import { start_kernel as reference } from "../../../../solutions/01-hello/kernel/hello.ts";

export function start_kernel(start_info: VoidPtr): void {
  reference(start_info);
}
