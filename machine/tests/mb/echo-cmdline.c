/* Prints the Multiboot command line and loader state, then exits. */
#include "lib.h"

void kmain(u32 magic, u32 *info) {
  u32 cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  puts_serial("cmdline=");
  if (info[0] & 4) puts_serial((const char *)info[4]);
  puts_serial(" magic="); puthex(magic);
  puts_serial(" paging="); putdec(cr0 >> 31);
  putc_serial('\n');
  qemu_exit(0);
}
