/* A gcc-built PV guest with a block front end in the manner of Mini-OS's
 * blkfront.c: it finds its disk in XenStore, grants a shared ring and a data
 * page to the backend, publishes ring-ref/event-channel/protocol, waits for
 * Connected, then writes sectors, flushes, reads them back, and closes. */
#include "../xenbus.h"
#define wmb() mb()
#define rmb() mb()
#define xen_mb() mb()
#define xen_wmb() mb()
#define xen_rmb() mb()
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

/* ring.h's SHARED_RING_INIT and FRONT_RING_INIT call memset. */
void *memset(void *d, int c, size_t n) { char *p = d; while (n--) *p++ = (char)c; return d; }

static char ring_page[4096] __attribute__((aligned(4096)));
static char data_page[4096] __attribute__((aligned(4096)));
static blkif_front_ring_t front;
static evtchn_port_t blk_port;

static inline long gnttab_op(int cmd, void *arg, int n) { return hypercall3(__HYPERVISOR_grant_table_op, cmd, arg, n); }
static inline long uvm(unsigned long va, unsigned long pte, unsigned long flags) { return hypercall4(__HYPERVISOR_update_va_mapping, va, pte, 0, flags); }
static void show(const char *name, long v) { puts_(name); puts_("="); putdec(v); puts_("\n"); }

/* One request with one segment over the whole data page; returns the response status. */
static int blk_io(uint8_t op, uint64_t sector, int nseg)
{
	blkif_request_t *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
	req->operation = op;
	req->nr_segments = nseg;
	req->handle = 0;
	req->id = 0x1234567800000000ULL | front.req_prod_pvt;
	req->sector_number = sector;
	if (nseg) { req->seg[0].gref = 9; req->seg[0].first_sect = 0; req->seg[0].last_sect = 7; }
	uint64_t id = req->id; /* the response will overwrite this slot */
	front.req_prod_pvt++;
	int notify_;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify_);
	if (notify_) notify(blk_port);
	for (int tries = 0; !RING_HAS_UNCONSUMED_RESPONSES(&front); tries++) { if (tries > 1000) return 99; yield(); }
	blkif_response_t *rsp = RING_GET_RESPONSE(&front, front.rsp_cons);
	int status = rsp->status;
	if (rsp->id != id || rsp->operation != op) status = 98;
	front.rsp_cons++;
	return status;
}

void start_kernel(start_info_t *si)
{
	static char backend[128], path[192], value[64];
	unsigned long *p2m = (unsigned long *)si->mfn_list;
	xs_init(si);
	/* Our grant table frame, mapped below 4 MiB like the share test guest does. */
	unsigned long frame = 0;
	gnttab_setup_table_t st = { .dom = DOMID_SELF, .nr_frames = 1 };
	set_xen_guest_handle(st.frame_list, &frame);
	gnttab_op(GNTTABOP_setup_table, &st, 1);
	grant_entry_v1_t *gt = (grant_entry_v1_t *)0x003fe000;
	show("map_table", uvm((unsigned long)gt, (frame << 12) | 7, UVMF_INVLPG));

	xs_read("device/vbd/51712/backend", backend, sizeof backend);
	puts_("backend="); puts_(backend); puts_("\n");
	#define BE(node) (({ int i = 0, j = 0; for (; backend[i]; i++) path[i] = backend[i]; path[i++] = '/'; for (; node[j]; j++) path[i + j] = node[j]; path[i + j] = 0; }), path)
	xs_read(BE("state"), value, sizeof value); puts_("backend state="); puts_(value); puts_("\n");

	blkif_sring_t *sring = (blkif_sring_t *)ring_page;
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&front, sring, 4096);
	gt[8].frame = p2m[(unsigned long)ring_page >> 12]; gt[8].domid = 0; mb(); gt[8].flags = GTF_permit_access;
	gt[9].frame = p2m[(unsigned long)data_page >> 12]; gt[9].domid = 0; mb(); gt[9].flags = GTF_permit_access;
	evtchn_alloc_unbound_t au = { .dom = DOMID_SELF, .remote_dom = 0 };
	hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &au);
	blk_port = au.port;
	char num[12]; int n = 11; num[n] = 0; unsigned long p = blk_port; do { num[--n] = '0' + p % 10; p /= 10; } while (p);
	xs_write("device/vbd/51712/ring-ref", "8");
	xs_write("device/vbd/51712/event-channel", num + n);
	xs_write("device/vbd/51712/protocol", XEN_IO_PROTO_ABI_X86_32);
	xs_write("device/vbd/51712/state", "3");
	for (int tries = 0; tries < 100; tries++) { xs_read(BE("state"), value, sizeof value); if (value[0] == '4') break; yield(); }
	puts_("backend state="); puts_(value); puts_("\n");
	xs_read(BE("sectors"), value, sizeof value); puts_("sectors="); puts_(value); puts_("\n");
	xs_read(BE("feature-flush-cache"), value, sizeof value); puts_("flush="); puts_(value); puts_("\n");
	xs_write("device/vbd/51712/state", "4");

	for (int i = 0; i < 4096; i++) data_page[i] = (char)(i * 7 + 3);
	show("write", blk_io(BLKIF_OP_WRITE, 16, 1));
	show("flush", blk_io(BLKIF_OP_FLUSH_DISKCACHE, 0, 0));
	for (int i = 0; i < 4096; i++) data_page[i] = 0;
	show("read", blk_io(BLKIF_OP_READ, 16, 1));
	int same = 1;
	for (int i = 0; i < 4096; i++) if (data_page[i] != (char)(i * 7 + 3)) same = 0;
	show("readback_matches", same);
	show("past_end", blk_io(BLKIF_OP_READ, 1u << 30, 1));
	show("discard", blk_io(BLKIF_OP_DISCARD, 0, 0));

	xs_write("device/vbd/51712/state", "5");
	xs_read(BE("state"), value, sizeof value); puts_("after closing backend state="); puts_(value); puts_("\n");
	xs_write("device/vbd/51712/state", "6");
	xs_read(BE("state"), value, sizeof value); puts_("after closed backend state="); puts_(value); puts_("\n");
	poweroff();
}
