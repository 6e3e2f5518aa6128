/* Assembly entry points (book chapters 6-7): the event callback and a page
 * fault handler, returning with a native iret in ring 1 as Mini-OS does. */
.text
.globl hypervisor_callback, failsafe_callback, page_fault_entry, int80_entry
hypervisor_callback:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	call	do_hypervisor_callback
	popl	%edx
	popl	%ecx
	popl	%eax
	iret
failsafe_callback:
	addl	$16, %esp
	iret
page_fault_entry:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	pushl	12(%esp)
	call	do_page_fault
	addl	$4, %esp
	popl	%edx
	popl	%ecx
	popl	%eax
	addl	$4, %esp
	iret
int80_entry:
	pushl	%ecx
	pushl	%edx
	pushl	%eax
	call	do_int80
	addl	$4, %esp
	popl	%edx
	popl	%ecx
	iret
