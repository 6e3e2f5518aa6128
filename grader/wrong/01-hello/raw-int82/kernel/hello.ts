// Wrong solution (raw-int82): traps straight into Xen with int 0x82 instead of calling through the hypercall page
import "minios/bootstrap";
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff, SHUTDOWN_crash, sched_shutdown_t } from "xen/public";

// console_io(CONSOLEIO_write, count, text) with the trap instruction written by hand.
function raw_console_write(count: u32, text: CharPtr): i32 {
  "naked";
  asm`
    push ebx
    mov eax, 18
    mov ebx, 0
    mov ecx, [esp + 8]
    mov edx, [esp + 12]
    int 0x82
    pop ebx
    ret
  `;
}

export function start_kernel(start_info: VoidPtr): void {
  const msg = "Hello world\n";
  raw_console_write(msg.length, msg);
  const shutdown = stack_struct<sched_shutdown_t>();
  shutdown.reason = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, shutdown);
}
