/* A gcc-built PV guest that talks to Dom0 the way Mini-OS does: XenStore
 * requests on the xenstore_domain_interface ring (write, read back, a
 * missing key, a directory, a watch) and a console message longer than the
 * console ring, each ring found through start_info and the M2P table. */
#include "xenlab-guest.h"
#include <xen/io/xs_wire.h>
#include <xen/io/console.h>

#define mb() __sync_synchronize()
#define M2P ((unsigned long *)0xFC000000)

static struct xenstore_domain_interface *xs;
static struct xencons_interface *cons;
static evtchn_port_t store_port, cons_port;
static char reply[XENSTORE_PAYLOAD_MAX + 1];
static unsigned events;
static char last_event[256];

static void notify(evtchn_port_t p) { evtchn_send_t s = { .port = p }; hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &s); }
static void yield(void) { HYPERVISOR_sched_op(SCHEDOP_yield, 0); }
static void *mfn_to_virt(unsigned long mfn) { return (void *)(M2P[mfn] << 12); }

static int xs_put(const void *data, unsigned len)
{
	const char *d = data;
	for (unsigned done = 0; done < len; ) {
		int tries = 0;
		while (xs->req_prod - xs->req_cons >= XENSTORE_RING_SIZE) { notify(store_port); yield(); if (++tries > 1000) return -1; }
		xs->req[MASK_XENSTORE_IDX(xs->req_prod)] = d[done++];
		mb();
		xs->req_prod++;
	}
	return 0;
}

static int xs_get(void *out, unsigned len)
{
	char *o = out;
	for (unsigned done = 0; done < len; ) {
		int tries = 0;
		while (xs->rsp_prod == xs->rsp_cons) { notify(store_port); yield(); if (++tries > 1000) return -1; }
		mb();
		o[done++] = xs->rsp[MASK_XENSTORE_IDX(xs->rsp_cons)];
		mb();
		xs->rsp_cons++;
	}
	notify(store_port);
	return 0;
}

/* One request; returns the reply type (watch events met on the way are counted) or -1. */
static int xs_talk(uint32_t type, const char *a, const char *b, unsigned blen)
{
	static uint32_t req_id = 1;
	struct xsd_sockmsg m = { .type = type, .req_id = req_id++, .tx_id = 0, .len = strlen_(a) + 1 + blen };
	if (xs_put(&m, sizeof m) || xs_put(a, strlen_(a) + 1) || (blen && xs_put(b, blen))) return -1;
	notify(store_port);
	for (;;) {
		struct xsd_sockmsg r;
		if (xs_get(&r, sizeof r) || r.len > XENSTORE_PAYLOAD_MAX || xs_get(reply, r.len)) return -1;
		reply[r.len] = 0;
		if (r.type == XS_WATCH_EVENT) {
			events++;
			for (unsigned i = 0; i < r.len && i < sizeof last_event - 1; i++) last_event[i] = reply[i] ? reply[i] : '|';
			last_event[r.len < sizeof last_event - 1 ? r.len : sizeof last_event - 1] = 0;
			continue;
		}
		if (r.req_id != m.req_id) return -1;
		for (unsigned i = 0; i + 1 < r.len; i++) if (!reply[i]) reply[i] = '|';
		return r.type;
	}
}

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
	xs = mfn_to_virt(si->store_mfn);
	cons = mfn_to_virt(si->console.domU.mfn);
	store_port = si->store_evtchn;
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
