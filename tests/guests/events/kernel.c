/* Book chapters 3-7 in one guest: map shared_info, read the time with the
 * version protocol, take VIRQ_TIMER and IPI events through an assembly
 * callback, block and wake, handle a page fault, and probe the MMU rules. */
#include "xenlab-guest.h"

extern char hypervisor_callback[], failsafe_callback[], page_fault_entry[], int80_entry[];
static shared_info_t *shared = (shared_info_t *)shared_info_page;
static volatile int timer_ticks, ipi_events, faults;
static evtchn_port_t timer_port, ipi_port;
static unsigned long fault_addr, fault_code;
static start_info_t *start;

static inline long HYPERVISOR_update_va_mapping(unsigned long va, unsigned long pte, unsigned long flags)
{ return hypercall4(__HYPERVISOR_update_va_mapping, va, pte, 0, flags); }
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg); }
static inline long HYPERVISOR_mmu_update(mmu_update_t *req, int count, int *done, domid_t dom)
{ return hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom); }
static inline long HYPERVISOR_mmuext_op(struct mmuext_op *op, int count, int *done, domid_t dom)
{ return hypercall4(__HYPERVISOR_mmuext_op, op, count, done, dom); }

static void show(const char *name, long v) { puts_(name); puts_("="); putdec(v); puts_("\n"); }

static uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

static uint64_t system_time(void)
{
	vcpu_time_info_t *t = &shared->vcpu_info[0].time;
	uint32_t ver, mul; int8_t shift; uint64_t ts, st;
	do {
		ver = t->version;
		__asm__ __volatile__("" ::: "memory");
		ts = t->tsc_timestamp; st = t->system_time; mul = t->tsc_to_system_mul; shift = t->tsc_shift;
		__asm__ __volatile__("" ::: "memory");
	} while ((ver & 1) || ver != t->version);
	uint64_t d = rdtsc() - ts;
	if (shift < 0) d >>= -shift; else d <<= shift;
	return st + (((uint64_t)(uint32_t)d * mul) >> 32) + (uint64_t)(uint32_t)(d >> 32) * mul;
}

void do_hypervisor_callback(void)
{
	vcpu_info_t *v = &shared->vcpu_info[0];
	v->evtchn_upcall_pending = 0;
	unsigned long sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (sel) {
		int w = __builtin_ctzl(sel);
		sel &= ~(1UL << w);
		unsigned long pend;
		while ((pend = shared->evtchn_pending[w] & ~shared->evtchn_mask[w])) {
			int b = __builtin_ctzl(pend);
			__atomic_and_fetch(&shared->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
			evtchn_port_t port = w * 32 + b;
			if (port == timer_port) timer_ticks++;
			else if (port == ipi_port) ipi_events++;
		}
	}
	v->evtchn_upcall_mask = 0;
}

void do_page_fault(unsigned long code)
{
	fault_addr = shared->vcpu_info[0].arch.cr2;
	fault_code = code;
	faults++;
	/* Map the faulting page onto a spare frame of ours: the last pfn. */
	unsigned long mfn = ((unsigned long *)start->mfn_list)[start->nr_pages - 1];
	HYPERVISOR_update_va_mapping(fault_addr & ~0xfffUL, (mfn << 12) | 7, UVMF_INVLPG);
}

long do_int80(long eax) { return eax * 2; }

void start_kernel(start_info_t *si)
{
	start = si;
	show("map_shared_info", HYPERVISOR_update_va_mapping((unsigned long)shared_info_page, si->shared_info | 7, UVMF_INVLPG));
	show("wc_sec", shared->wc_sec);
	uint64_t t0 = system_time();
	show("time_ok", t0 > 0 && t0 < 1000000000ULL);

	trap_info_t traps[] = {
		{ 14, 0, FLAT_KERNEL_CS, (unsigned long)page_fault_entry },
		{ 0x80, 3, FLAT_KERNEL_CS, (unsigned long)int80_entry },
		{ 0, 0, 0, 0 },
	};
	show("set_trap_table", hypercall1(__HYPERVISOR_set_trap_table, traps));
	show("set_trap_table_bad", hypercall1(__HYPERVISOR_set_trap_table, 0xfc000000));
	show("set_callbacks", hypercall4(__HYPERVISOR_set_callbacks, FLAT_KERNEL_CS, hypervisor_callback, FLAT_KERNEL_CS, failsafe_callback));

	/* A page fault handled by the guest: the handler maps the page and the store is retried. */
	show("unmap", HYPERVISOR_update_va_mapping(0x003ff000, 0, UVMF_INVLPG));
	*(volatile unsigned long *)0x003ff004 = 0xabcd;
	show("faults", faults);
	show("fault_addr", fault_addr);
	show("fault_code", fault_code);
	show("after_fault", *(volatile unsigned long *)0x003ff004);

	long r;
	__asm__ __volatile__("int $0x80" : "=a"(r) : "a"(21) : "ecx", "edx", "memory");
	show("int80", r);

	evtchn_bind_virq_t bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	show("bind_virq", HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv));
	timer_port = bv.port;
	show("bind_virq_again", HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv));
	show("bind_virq_bad", HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, (void *)0xfbfffff0));
	evtchn_bind_ipi_t bi = { .vcpu = 0 };
	show("bind_ipi", HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi));
	ipi_port = bi.port;
	show("ports_differ", timer_port != ipi_port && timer_port > 0 && ipi_port > 0);

	/* Stop the default periodic timer: only our one-shot timers should tick. */
	show("stop_periodic", hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0));
	shared->vcpu_info[0].evtchn_upcall_mask = 0;
	uint64_t start_ns = system_time();
	for (int i = 0; i < 5; i++) {
		uint64_t deadline = system_time() + 1000000;  /* 1 ms */
		hypercall2(__HYPERVISOR_set_timer_op, (uint32_t)deadline, (uint32_t)(deadline >> 32));
		HYPERVISOR_sched_op(SCHEDOP_block, 0);
	}
	uint64_t elapsed = system_time() - start_ns;
	show("timer_ticks", timer_ticks);
	show("elapsed_ms_at_least_5", elapsed >= 5000000ULL);
	show("elapsed_ms_below_7", elapsed < 7000000ULL);

	evtchn_send_t send = { .port = ipi_port };
	show("send_ipi", HYPERVISOR_event_channel_op(EVTCHNOP_send, &send));
	show("ipi_events", ipi_events);
	send.port = 1000;
	show("send_bad_port", HYPERVISOR_event_channel_op(EVTCHNOP_send, &send));
	evtchn_close_t cl = { .port = ipi_port };
	show("close", HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl));
	show("close_again", HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl));
	evtchn_alloc_unbound_t au = { .dom = DOMID_SELF, .remote_dom = 0 };
	show("alloc_unbound", HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au));
	au.dom = 0;
	show("alloc_unbound_other", HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au));
	au.dom = 5;
	show("alloc_unbound_missing", HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au));

	/* MMU rules: no writable mapping of a page table, no foreign frames. */
	unsigned long l2_mfn = ((unsigned long *)si->mfn_list)[(si->pt_base) >> 12];
	show("map_pt_writable", HYPERVISOR_update_va_mapping(0x003fe000, (l2_mfn << 12) | 7, UVMF_INVLPG));
	show("map_pt_readonly", HYPERVISOR_update_va_mapping(0x003fe000, (l2_mfn << 12) | 5, UVMF_INVLPG));
	show("read_pt_via_map", *(volatile unsigned long *)0x003fe000 == *(volatile unsigned long *)si->pt_base);
	show("map_xen_frame", HYPERVISOR_update_va_mapping(0x003fd000, (1UL << 12) | 5, UVMF_INVLPG));
	show("map_hv_area", HYPERVISOR_update_va_mapping(0xfc000000, (l2_mfn << 12) | 5, UVMF_INVLPG));
	mmu_update_t u = { .ptr = ((uint64_t)l2_mfn << 12) | MMU_NORMAL_PT_UPDATE, .val = 0 };
	u.ptr += 1008 * 4;
	int done = -1;
	show("mmu_update_hv_slot", HYPERVISOR_mmu_update(&u, 1, &done, DOMID_SELF));
	show("mmu_update_done", done);
	struct mmuext_op op = { .cmd = MMUEXT_PIN_L2_TABLE, .arg1.mfn = l2_mfn };
	show("pin_pinned", HYPERVISOR_mmuext_op(&op, 1, 0, DOMID_SELF));
	op.cmd = MMUEXT_TLB_FLUSH_LOCAL;
	show("flush", HYPERVISOR_mmuext_op(&op, 1, 0, DOMID_SELF));
	op.cmd = 99;
	show("mmuext_bad", HYPERVISOR_mmuext_op(&op, 1, 0, DOMID_SELF));
	domid_t self = DOMID_SELF;
	show("current_reservation", hypercall2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self));
	show("done", 1);
	poweroff();
}
