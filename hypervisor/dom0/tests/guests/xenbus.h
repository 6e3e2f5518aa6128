/* XenStore over the shared ring, as Mini-OS's xenbus.c does it (polling,
 * no event callback): for the Dom0 end-to-end test guests. */
#ifndef DOM0_TEST_XENBUS_H
#define DOM0_TEST_XENBUS_H
#include "xenlab-guest.h"
#include <xen/io/xs_wire.h>

#define mb() __sync_synchronize()
#define M2P ((unsigned long *)0xFC000000)

static struct xenstore_domain_interface *xs;
static evtchn_port_t store_port;
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


static void xs_init(start_info_t *si) { xs = mfn_to_virt(si->store_mfn); store_port = si->store_evtchn; }

/* Read a node into `out` (NUL-terminated); returns 0 on success. */
static int xs_read(const char *path, char *out, unsigned max)
{
	if (xs_talk(XS_READ, path, 0, 0) != XS_READ) return -1;
	unsigned i = 0;
	for (; reply[i] && i + 1 < max; i++) out[i] = reply[i];
	out[i] = 0;
	return 0;
}

static int xs_write(const char *path, const char *value) { return xs_talk(XS_WRITE, path, value, strlen_(value)) == XS_WRITE ? 0 : -1; }
#endif
