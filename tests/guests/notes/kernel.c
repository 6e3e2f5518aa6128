#include "xenlab-guest.h"

void start_kernel(start_info_t *si)
{
	puts_("hello from notes at "); puthex((unsigned long)start_kernel);
	puts_(" si="); puthex((unsigned long)si);
	puts_("\n");
	poweroff();
}
