/* Book chapter 2 style bootstrap for a non-PAE x86_32 PV guest:
 * the __xen_guest header, the hypercall page at page 2, and a jump to
 * start_kernel(start_info) on our own stack (ESI holds start_info). */
#define __ASSEMBLY__
#include <xen/arch-x86/xen-x86_32.h>

.section __xen_guest
	.ascii	"GUEST_OS=xenlab-test"
	.ascii	",XEN_VER=xen-3.0"
	.ascii	",VIRT_BASE=0x0"
	.ascii	",ELF_PADDR_OFFSET=0x0"
	.ascii	",HYPERCALL_PAGE=0x2"
	.ascii	",PAE=no"
	.ascii	",LOADER=generic"
	.byte	0

.text
.globl _start, shared_info_page, hypercall_page
_start:
	cld
	lss	stack_start, %esp
	push	%esi
	call	start_kernel
1:	jmp	1b

stack_start:
	.long	stack + 16384, FLAT_KERNEL_SS

	.org	0x1000
shared_info_page:
	.org	0x2000
hypercall_page:
	.org	0x3000

.bss
	.align	16
	.comm	stack, 16384
