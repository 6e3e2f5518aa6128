/* A CPU-bound guest: counts forever (or, with "yield" on the command line, yields each round). */
#include "xenlab-guest.h"

volatile unsigned long counter;

void start_kernel(start_info_t *si)
{
	int yield = si->cmd_line[0] == 'y';
	for (;;) {
		counter++;
		if (yield) HYPERVISOR_sched_op(SCHEDOP_yield, 0);
	}
}
