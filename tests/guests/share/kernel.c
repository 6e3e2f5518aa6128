/* Two domains share a page through a grant and talk over an interdomain
 * event channel. The command line says "granter <peer>" or "mapper <peer>". */
#include "xenlab-guest.h"

extern char hypervisor_callback[], failsafe_callback[], page_fault_entry[], int80_entry[];
static shared_info_t *shared = (shared_info_t *)shared_info_page;
static volatile int events;
static char page[4096] __attribute__((aligned(4096)));
void do_page_fault(unsigned long code) { (void)code; }
long do_int80(long eax) { return eax; }

static inline long evtchn_op(int cmd, void *arg) { return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg); }
static inline long gnttab_op(int cmd, void *arg, int n) { return hypercall3(__HYPERVISOR_grant_table_op, cmd, arg, n); }
static inline long uvm(unsigned long va, unsigned long pte, unsigned long flags) { return hypercall4(__HYPERVISOR_update_va_mapping, va, pte, 0, flags); }
static void show(const char *name, long v) { puts_(name); puts_("="); putdec(v); puts_("\n"); }

void do_hypervisor_callback(void)
{
	vcpu_info_t *v = &shared->vcpu_info[0];
	v->evtchn_upcall_pending = 0;
	v->evtchn_pending_sel = 0;
	for (int w = 0; w < 32; w++) if (shared->evtchn_pending[w]) { events++; shared->evtchn_pending[w] = 0; }
	v->evtchn_upcall_mask = 0;
}

static void wait_event(int n) { while (events < n) HYPERVISOR_sched_op(SCHEDOP_block, 0); }

void start_kernel(start_info_t *si)
{
	const char *cmd = (const char *)si->cmd_line;
	domid_t peer = cmd[7] - '0';
	uvm((unsigned long)shared_info_page, si->shared_info | 7, UVMF_INVLPG);
	hypercall4(__HYPERVISOR_set_callbacks, FLAT_KERNEL_CS, hypervisor_callback, FLAT_KERNEL_CS, failsafe_callback);
	shared->vcpu_info[0].evtchn_upcall_mask = 0;
	unsigned long *p2m = (unsigned long *)si->mfn_list;

	if (cmd[0] == 'g') {
		/* Grant table frame: setup_table gives its MFN; map it after our page. */
		unsigned long frame = 0;
		gnttab_setup_table_t st = { .dom = DOMID_SELF, .nr_frames = 1 };
		set_xen_guest_handle(st.frame_list, &frame);
		show("setup_table", gnttab_op(GNTTABOP_setup_table, &st, 1));
		show("setup_status", st.status);
		grant_entry_v1_t *gt = (grant_entry_v1_t *)0x003fe000;
		show("map_table", uvm((unsigned long)gt, (frame << 12) | 7, UVMF_INVLPG));
		const char *msg = "shared hello";
		for (int i = 0; msg[i]; i++) page[i] = msg[i];
		gt[8].frame = p2m[(unsigned long)page >> 12];
		gt[8].domid = peer;
		__asm__ __volatile__("" ::: "memory");
		gt[8].flags = GTF_permit_access;
		gt[9].frame = p2m[(unsigned long)page >> 12];
		gt[9].domid = peer;
		gt[9].flags = GTF_permit_access | GTF_readonly;
		evtchn_alloc_unbound_t au = { .dom = DOMID_SELF, .remote_dom = peer };
		show("alloc_unbound", evtchn_op(EVTCHNOP_alloc_unbound, &au));
		show("port", au.port);
		wait_event(1);
		show("flags_while_mapped", gt[8].flags);
		wait_event(2);
		show("flags_after_unmap", gt[8].flags);
		puts_("peer wrote: "); puts_(page + 100); puts_("\n");
	} else {
		evtchn_bind_interdomain_t bi = { .remote_dom = peer, .remote_port = 1 };
		long rc;
		while ((rc = evtchn_op(EVTCHNOP_bind_interdomain, &bi)) != 0) HYPERVISOR_sched_op(SCHEDOP_yield, 0);
		show("bind", rc);
		gnttab_map_grant_ref_t m = { .host_addr = 0x003fd000, .flags = GNTMAP_host_map, .ref = 8, .dom = peer };
		show("map", gnttab_op(GNTTABOP_map_grant_ref, &m, 1));
		show("map_status", m.status);
		puts_("mapped: "); puts_((const char *)0x003fd000); puts_("\n");
		evtchn_send_t s = { .port = bi.local_port };
		evtchn_op(EVTCHNOP_send, &s);
		HYPERVISOR_sched_op(SCHEDOP_yield, 0);
		const char *reply = "hello back";
		for (int i = 0; reply[i] || (((char *)0x003fd000)[100 + i] = 0); i++) ((char *)0x003fd000)[100 + i] = reply[i];
		gnttab_map_grant_ref_t bad = { .host_addr = 0x003fc000, .flags = GNTMAP_host_map, .ref = 9, .dom = peer };
		gnttab_op(GNTTABOP_map_grant_ref, &bad, 1);
		show("map_readonly_grant_writable", bad.status);
		bad.ref = 5000;
		bad.flags |= GNTMAP_readonly;
		gnttab_op(GNTTABOP_map_grant_ref, &bad, 1);
		show("map_bad_ref", bad.status);
		bad.ref = 8; bad.dom = 77;
		gnttab_op(GNTTABOP_map_grant_ref, &bad, 1);
		show("map_bad_dom", bad.status);
		gnttab_unmap_grant_ref_t u = { .host_addr = 0x003fd000, .handle = m.handle };
		show("unmap", gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1));
		show("unmap_status", u.status);
		show("unmap_again", (gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1), u.status));
		evtchn_op(EVTCHNOP_send, &s);
	}
	poweroff();
}
