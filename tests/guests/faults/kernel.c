/* Provokes the fault named on the command line; with no trap table the
 * hypervisor must crash this domain (and only it) with a report. */
#include "xenlab-guest.h"

static int streq(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return *a == *b; }

void start_kernel(start_info_t *si)
{
	const char *what = (const char *)si->cmd_line;
	puts_("faulting: "); puts_(what); puts_("\n");
	if (streq(what, "pagefault")) *(volatile unsigned int *)0x00c00010 = 0x1234;
	else if (streq(what, "hvarea")) (void)*(volatile unsigned int *)0xfc400000;
	else if (streq(what, "m2pwrite")) *(volatile unsigned int *)0xfc000000 = 1;
	else if (streq(what, "int80")) __asm__ __volatile__("int $0x80");
	else if (streq(what, "ud2")) __asm__ __volatile__("ud2");
	else if (streq(what, "divide")) { volatile int z = 0; putdec(10 / z); }
	else if (streq(what, "cli")) __asm__ __volatile__("cli");
	else if (streq(what, "ptwrite")) *(volatile unsigned int *)si->pt_base = 0;
	else if (streq(what, "m2pread")) { puts_("m2p[mfn_list[0]]="); puthex(((unsigned long *)0xfc000000)[((unsigned long *)si->mfn_list)[0]]); puts_("\n"); poweroff(); }
	puts_("no fault happened\n");
	poweroff();
}
