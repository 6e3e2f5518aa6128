/* Multiboot v1 entry for the test kernels: header, a stack, kmain(magic, info). */
.section .multiboot, "a"
.align 4
.long 0x1BADB002
.long 0x00000003
.long -(0x1BADB002 + 0x00000003)

.section .text
.globl _start
_start:
  mov $stack_top, %esp
  push %ebx
  push %eax
  call kmain
1: cli
  hlt
  jmp 1b

.section .bss
.align 16
stack: .space 16384
stack_top:
