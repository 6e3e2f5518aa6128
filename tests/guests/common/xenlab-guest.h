/* Shared helpers for the C test guests: hypercalls through the hypercall
 * page (book chapter 2's _hypercallN macros, as inline functions) and a
 * minimal console printer. */
#ifndef XENLAB_GUEST_H
#define XENLAB_GUEST_H
#define __XEN_INTERFACE_VERSION__ 0x00030205
#include <stdint.h>
#include <stddef.h>
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/vcpu.h>
#include <xen/memory.h>
#include <xen/callback.h>

extern char hypercall_page[4096];
extern char shared_info_page[4096];

static inline long hypercall5(int nr, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
	long ret;
	unsigned long b = a1, c = a2, d = a3, s = a4, di = a5;
	__asm__ __volatile__("call *%[entry]"
		: "=a"(ret), "+b"(b), "+c"(c), "+d"(d), "+S"(s), "+D"(di)
		: [entry] "r"(hypercall_page + nr * 32)
		: "memory");
	return ret;
}
#define hypercall1(nr, a) hypercall5(nr, (unsigned long)(a), 0, 0, 0, 0)
#define hypercall2(nr, a, b) hypercall5(nr, (unsigned long)(a), (unsigned long)(b), 0, 0, 0)
#define hypercall3(nr, a, b, c) hypercall5(nr, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), 0, 0)
#define hypercall4(nr, a, b, c, d) hypercall5(nr, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), (unsigned long)(d), 0)

static inline long HYPERVISOR_console_io(int cmd, int count, const char *str)
{ return hypercall3(__HYPERVISOR_console_io, cmd, count, str); }
static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_sched_op, cmd, arg); }
static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_xen_version, cmd, arg); }

static inline size_t strlen_(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static inline void puts_(const char *s) { HYPERVISOR_console_io(CONSOLEIO_write, strlen_(s), s); }
static inline void puthex(unsigned long v)
{
	char b[11] = "0x";
	for (int i = 0; i < 8; i++) b[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
	b[10] = 0;
	puts_(b);
}
static inline void putdec(long v)
{
	char b[12]; int i = 11; b[i] = 0;
	int neg = v < 0; unsigned long u = neg ? -v : v;
	do { b[--i] = '0' + u % 10; u /= 10; } while (u);
	if (neg) b[--i] = '-';
	puts_(b + i);
}
static inline void poweroff(void)
{
	struct sched_shutdown s = { .reason = SHUTDOWN_poweroff };
	HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
}
#endif
