// The start of every kernel: the code at virtual address 0 that Xen jumps to, the pages Xen fills in
// (shared_info is mapped here later; the hypercall page at 0x2000, as HYPERCALL_PAGE=0x2 in the guest header says),
// and the boot stack. Xen enters _start in ring 1 with ESI pointing at start_info.

asm`
    global _start
_start:
    cld
    lss esp, [stack_start]
    push esi
    call start_kernel
.halt:
    jmp .halt

stack_start:
    dd stack_top, 0xe021

    align 4096
    global shared_info_page
shared_info_page:
    resb 4096

    global hypercall_page
hypercall_page:
    resb 4096

section .bss
    align 16
stack_bottom:
    resb 16384
stack_top:
`;
