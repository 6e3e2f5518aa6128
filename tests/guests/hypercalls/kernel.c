/* Calls hypercalls with good and bad arguments from real guest code and
 * prints each result, one "name=value" per line. */
#include "xenlab-guest.h"

static char buf[1024];
static void show(const char *name, long v) { puts_(name); puts_("="); putdec(v); puts_("\n"); }

static long raw_hypercall(unsigned long nr)
{
	long ret;
	__asm__ __volatile__("int $0x82" : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}

void start_kernel(start_info_t *si)
{
	show("console_bad_ptr", HYPERVISOR_console_io(CONSOLEIO_write, 4, (const char *)0xfc000000));
	show("console_unmapped", HYPERVISOR_console_io(CONSOLEIO_write, 4, (const char *)0x00800000));
	show("console_read", HYPERVISOR_console_io(CONSOLEIO_read, sizeof buf, buf));
	show("console_bad_cmd", HYPERVISOR_console_io(7, 1, buf));
	show("version", HYPERVISOR_xen_version(XENVER_version, 0));
	show("extraversion", HYPERVISOR_xen_version(XENVER_extraversion, buf));
	puts_("extraversion_text="); puts_(buf); puts_("\n");
	show("capabilities", HYPERVISOR_xen_version(XENVER_capabilities, buf));
	puts_("capabilities_text="); puts_(buf); puts_("\n");
	show("extraversion_ro", HYPERVISOR_xen_version(XENVER_extraversion, (void *)si->pt_base));
	show("pagesize", HYPERVISOR_xen_version(XENVER_pagesize, 0));
	xen_platform_parameters_t pp;
	show("platform", HYPERVISOR_xen_version(XENVER_platform_parameters, &pp));
	show("virt_start", (long)(pp.virt_start >> 12));
	xen_feature_info_t fi = { .submap_idx = 0, .submap = 0xdead };
	show("features", HYPERVISOR_xen_version(XENVER_get_features, &fi));
	show("features_submap", fi.submap);
	fi.submap_idx = 5;
	show("features_bad_idx", HYPERVISOR_xen_version(XENVER_get_features, &fi));
	show("version_bad_cmd", HYPERVISOR_xen_version(99, buf));
	show("sched_yield", HYPERVISOR_sched_op(SCHEDOP_yield, 0));
	show("sched_bad_cmd", HYPERVISOR_sched_op(99, 0));
	show("sched_shutdown_bad_ptr", HYPERVISOR_sched_op(SCHEDOP_shutdown, (void *)0xfbfffffe));
	show("unused_11", hypercall1(11, 0));
	show("raw_60", raw_hypercall(60));
	show("raw_huge", raw_hypercall(0x80000000));
	poweroff();
}
