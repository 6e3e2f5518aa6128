/* The guest the toolstack CLI tests run under `xenlab create`: says it is
 * ready on the console ring and in XenStore (data/echo = ready), then
 * sleeps in SCHEDOP_poll on its console and store channels and, on each
 * wake-up, echoes every console line back ("echo: LINE"), powers off on
 * "poweroff", faults on "crash", and acts on control/shutdown (watched), as
 * a PV kernel does for `xl shutdown`. Built with gcc -m32 against libxen-dev. */
#include "xenbus.h"
#include <xen/io/console.h>

static shared_info_t *shared = (shared_info_t *)shared_info_page;
static struct xencons_interface *cons;
static evtchn_port_t cons_port;

static inline long HYPERVISOR_update_va_mapping(unsigned long va, unsigned long pte, unsigned long flags)
{ return hypercall4(__HYPERVISOR_update_va_mapping, va, pte, 0, flags); }

static void cons_write(const char *s, unsigned len)
{
	for (unsigned done = 0; done < len; ) {
		while (cons->out_prod - cons->out_cons >= sizeof cons->out) { notify(cons_port); yield(); }
		cons->out[MASK_XENCONS_IDX(cons->out_prod, cons->out)] = s[done++];
		mb();
		cons->out_prod++;
	}
	notify(cons_port);
}
static void say(const char *s) { cons_write(s, strlen_(s)); }

static void clear_pending(evtchn_port_t p) { __sync_fetch_and_and(&shared->evtchn_pending[p / 32], ~(1UL << (p % 32))); }

static void sleep_on_events(void)
{
	evtchn_port_t ports[2] = { cons_port, store_port };
	struct sched_poll poll = { .nr_ports = 2, .timeout = 0 };
	set_xen_guest_handle(poll.ports, ports);
	HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
}

static void shutdown_as(const char *how)
{
	struct sched_shutdown s = { .reason = how[0] == 'r' ? SHUTDOWN_reboot : SHUTDOWN_poweroff };
	say("shutting down: "); say(how); say("\n");
	HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
}

/* Watch events waiting on the store ring: control/shutdown changed. */
static void poll_store(void)
{
	while (xs->rsp_prod - xs->rsp_cons >= sizeof(struct xsd_sockmsg)) {
		struct xsd_sockmsg r;
		if (xs_get(&r, sizeof r) || r.len > XENSTORE_PAYLOAD_MAX || xs_get(reply, r.len)) return;
		if (r.type != XS_WATCH_EVENT) continue;
		char how[32];
		if (xs_read("control/shutdown", how, sizeof how) == 0 && how[0]) shutdown_as(how);
	}
}

static void handle(const char *line)
{
	if (line[0] == 'p' && line[1] == 'o' && line[2] == 'w') { shutdown_as("poweroff"); return; }
	if (line[0] == 'c' && line[1] == 'r' && line[2] == 'a') { say("crashing\n"); *(volatile int *)0xFFFFF000 = 1; }
	say("echo: "); say(line); say("\n");
}

void start_kernel(start_info_t *si)
{
	HYPERVISOR_update_va_mapping((unsigned long)shared_info_page, si->shared_info | 7, UVMF_INVLPG);
	xs_init(si);
	cons = mfn_to_virt(si->console.domU.mfn);
	cons_port = si->console.domU.evtchn;
	xs_write("data/echo", "ready");
	xs_talk(XS_WATCH, "control/shutdown", "ctl", 4);
	say("echo guest ready\n");
	static char line[128];
	unsigned n = 0;
	for (;;) {
		clear_pending(cons_port);
		clear_pending(store_port);
		poll_store();
		int took = 0;
		while (cons->in_cons != cons->in_prod) {
			mb();
			char c = cons->in[MASK_XENCONS_IDX(cons->in_cons, cons->in)];
			mb();
			cons->in_cons++;
			took = 1;
			if (c == '\r' || c == '\n') { line[n] = 0; if (n) handle(line); n = 0; }
			else if (n < sizeof line - 1) line[n++] = c;
		}
		if (took) notify(cons_port);
		sleep_on_events();
	}
}
