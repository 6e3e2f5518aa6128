/* Hello world in the book's chapter-2 style, plus the start_info fields the
 * test checks from outside. */
#include "xenlab-guest.h"

void start_kernel(start_info_t *si)
{
	puts_("Hello world!\n");
	puts_("magic="); puts_(si->magic);
	puts_(" nr_pages="); puthex(si->nr_pages);
	puts_(" shared_info="); puthex(si->shared_info);
	puts_(" pt_base="); puthex(si->pt_base);
	puts_(" nr_pt_frames="); puthex(si->nr_pt_frames);
	puts_(" mfn_list="); puthex(si->mfn_list);
	puts_(" store_mfn="); puthex(si->store_mfn);
	puts_(" console_mfn="); puthex(si->console.domU.mfn);
	puts_(" si="); puthex((unsigned long)si);
	puts_("\ncmdline="); puts_((const char *)si->cmd_line);
	puts_("\nversion="); putdec(HYPERVISOR_xen_version(XENVER_version, 0));
	puts_("\n");
	poweroff();
	puts_("still running after poweroff!\n");
}
