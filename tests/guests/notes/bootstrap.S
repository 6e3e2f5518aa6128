/* A kernel that describes itself with Xen ELF notes (as Linux does)
 * instead of the __xen_guest section; VIRT_BASE 0xC0000000. */
#define __ASSEMBLY__
#include <xen/elfnote.h>

#define ELFNOTE(type, desctype, descdata)	\
	.pushsection .note.Xen, "", @note;	\
	.align 4;				\
	.long 2f - 1f;				\
	.long 4484f - 3f;			\
	.long type;				\
1:	.asciz "Xen";				\
2:	.align 4;				\
3:	desctype descdata;			\
4484:	.align 4;				\
	.popsection

ELFNOTE(XEN_ELFNOTE_GUEST_OS, .asciz, "xenlab-notes")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION, .asciz, "xen-3.0")
ELFNOTE(XEN_ELFNOTE_LOADER, .asciz, "generic")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE, .long, 0xc0000000)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET, .long, 0xc0000000)
ELFNOTE(XEN_ELFNOTE_ENTRY, .long, _start)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .long, hypercall_page)
ELFNOTE(XEN_ELFNOTE_PAE_MODE, .asciz, "no")

.text
.globl _start, shared_info_page, hypercall_page
_start:
	cld
	lss	stack_start, %esp
	push	%esi
	call	start_kernel
1:	jmp	1b
stack_start:
	.long	stack + 16384, 0xe021
	.org	0x1000
shared_info_page:
	.org	0x2000
hypercall_page:
	.org	0x3000
.bss
	.align	16
	.comm	stack, 16384
