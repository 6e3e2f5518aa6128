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

/* enter_user(eip, esp): to ring 3 through the iret hypercall (hypercall page slot 23). */
.globl enter_user
enter_user:
	movl	4(%esp), %ecx
	movl	8(%esp), %edx
	pushl	$0xe033
	pushl	%edx
	pushl	$0x202
	pushl	$0xe02b
	pushl	%ecx
	movl	$0x55, %eax
	jmp	hypercall_page + 23 * 32

.globl user_main
user_main:
	movl	$0xe033, %eax	/* the iret to ring 3 nulled the kernel's data segments */
	movl	%eax, %ds
	movl	%eax, %es
	movl	$7, %eax
	int	$0x80
	movl	%eax, user_result
	movl	%esp, user_esp
	movl	$0x1234, %eax
	int	$0x80
	ud2
