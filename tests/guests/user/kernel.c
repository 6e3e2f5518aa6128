/* Ring 3: the kernel sets a kernel stack (stack_switch), a DPL-3 trap gate
 * for int $0x80, and drops to ring 3 with the iret hypercall; the user
 * program's system calls bounce onto the kernel stack with SS:ESP saved. */
#include "xenlab-guest.h"

extern char hypervisor_callback[], failsafe_callback[], page_fault_entry[], int80_entry[], user_main[];
extern void enter_user(void *eip, void *esp);
static char kstack[8192] __attribute__((aligned(16)));
static char ustack[8192] __attribute__((aligned(16)));
volatile unsigned long user_result, user_esp;
static int calls;

void do_page_fault(unsigned long code) { (void)code; }
void do_hypervisor_callback(void) {}
static void show(const char *name, long v) { puts_(name); puts_("="); putdec(v); puts_("\n"); }

long do_int80(long eax)
{
	unsigned long *frame = (unsigned long *)(kstack + sizeof kstack) - 5; /* eip, cs, eflags, esp, ss */
	calls++;
	if (eax == 7) {
		show("frame_cs", frame[1] & 0xffff);
		show("frame_ss", frame[4]);
		show("frame_esp_in_ustack", frame[3] > (unsigned long)ustack && frame[3] <= (unsigned long)ustack + sizeof ustack);
		unsigned long cs;
		__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
		show("handler_cs", cs);
		return 42;
	}
	show("user_result", user_result);
	show("user_esp_ok", user_esp == frame[3]);
	show("calls", calls);
	poweroff();
	return 0;
}

void start_kernel(start_info_t *si)
{
	(void)si;
	trap_info_t traps[] = { { 0x80, 3, FLAT_KERNEL_CS, (unsigned long)int80_entry }, { 0, 0, 0, 0 } };
	show("set_trap_table", hypercall1(__HYPERVISOR_set_trap_table, traps));
	show("stack_switch", hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, kstack + sizeof kstack));
	enter_user(user_main, ustack + sizeof ustack);
	puts_("returned from user mode?\n");
}
