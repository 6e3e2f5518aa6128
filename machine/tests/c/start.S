#ifndef OUT
#define OUT 0x8000
#endif
/* Freestanding entry for the CPU tests: workload(rounds, out) with rounds in
   EBX and out at OUT (default 0x8000), result in EAX, then int $0x80 to stop. */
.section .text.start
.globl _start
_start:
  pushl $OUT
  pushl %ebx
  call workload
  addl $8, %esp
  int $0x80
1: jmp 1b
