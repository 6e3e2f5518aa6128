// Exercise 01: the simplest Xen kernel.
//
// The kit's bootstrap ("minios/bootstrap") is already linked in: Xen enters its _start in ring 1 with ESI pointing at
// start_info; _start loads the boot stack and calls start_kernel(start_info) below. If start_kernel returns, the
// bootstrap spins for ever (and the grader reports that the instruction budget ran out).
//
// Read exercises/01-hello/README.md first. Then fill in the two TODOs. Check your work with:
//   npm run --silent xenlab -- grade 01
import "minios/bootstrap"; // keep this line: it provides _start, the boot stack and the hypercall page
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff, sched_shutdown_t } from "xen/public";

export function start_kernel(start_info: VoidPtr): void {
  // TODO 1: print the line "Hello world" (with its newline) on Xen's emergency console.
  //         HYPERVISOR_console_io(CONSOLEIO_write, count, text) writes `count` bytes of `text`;
  //         a string literal's .length is its number of characters.

  // TODO 2: power the domain off. HYPERVISOR_sched_op(SCHEDOP_shutdown, arg) takes a pointer to a sched_shutdown_t
  //         whose `reason` field says why (not the reason itself); a clean stop is SHUTDOWN_poweroff.
  //         stack_struct<sched_shutdown_t>() gives you a zeroed one on the stack.
}
