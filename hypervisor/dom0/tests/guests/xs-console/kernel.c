/* A gcc-built PV guest that talks to Dom0 the way Mini-OS does: XenStore
 * requests on the xenstore_domain_interface ring (write, read back, a
 * missing key, a directory, a watch) and a console message longer than the
 * console ring, each ring found through start_info and the M2P table. */
#include "../xenbus.h"
#include <xen/io/console.h>

static struct xencons_interface *cons;
static evtchn_port_t cons_port;

static void check(const char *what, int type)
{
	puts_(what); puts_(": type="); putdec(type); puts_(" reply="); puts_(reply); puts_("\n");
}

static void cons_write(const char *s, unsigned len)
{
	for (unsigned done = 0; done < len; ) {
		int tries = 0;
		while (cons->out_prod - cons->out_cons >= sizeof cons->out) { notify(cons_port); yield(); if (++tries > 1000) { puts_("console stuck\n"); return; } }
		cons->out[MASK_XENCONS_IDX(cons->out_prod, cons->out)] = s[done++];
		mb();
		cons->out_prod++;
	}
	notify(cons_port);
}

void start_kernel(start_info_t *si)
{
	xs_init(si);
	cons = mfn_to_virt(si->console.domU.mfn);
	cons_port = si->console.domU.evtchn;
	check("write", xs_talk(XS_WRITE, "data/greeting", "hello from a C guest", 20));
	check("read", xs_talk(XS_READ, "data/greeting", 0, 0));
	check("missing", xs_talk(XS_READ, "data/missing", 0, 0));
	xs_talk(XS_WRITE, "data/dir/a", "1", 1);
	xs_talk(XS_WRITE, "data/dir/b", "2", 1);
	check("directory", xs_talk(XS_DIRECTORY, "data/dir", 0, 0));
	check("name", xs_talk(XS_READ, "name", 0, 0));
	check("denied", xs_talk(XS_WRITE, "name", "evil", 4));
	xs_talk(XS_WATCH, "data/watched", "tok", 4);
	check("watched-write", xs_talk(XS_WRITE, "data/watched/x", "1", 1));
	puts_("events="); putdec(events); puts_(" last="); puts_(last_event); puts_("\n");
	static char line[] = "console line 000 of a message longer than the ring\n";
	for (int i = 0; i < 100; i++) {
		line[13] = '0' + i / 100; line[14] = '0' + i / 10 % 10; line[15] = '0' + i % 10;
		cons_write(line, sizeof line - 1);
	}
	puts_("done\n");
	poweroff();
}
