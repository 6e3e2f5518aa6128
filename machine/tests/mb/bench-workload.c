/* The benchmark kernel: the C workload for a number of rounds given on the
   command line's last word (default 20), its checksum over serial, then exit. */
#include "lib.h"

u32 workload(u32 rounds, u32 *out);

void kmain(u32 magic, u32 *info) {
  (void)magic;
  u32 rounds = 0;
  /* The last word of the command line (QEMU puts the kernel's file name first). */
  if (info[0] & 4) {
    const char *p = (const char *)info[4], *word = p;
    for (; *p; p++) if (*p == ' ') word = p + 1;
    for (p = word; *p >= '0' && *p <= '9'; p++) rounds = rounds * 10 + (u32)(*p - '0');
  }
  if (!rounds) rounds = 20;
  u32 out[8];
  u32 acc = workload(rounds, out);
  puts_serial("workload "); putdec(acc); putc_serial('\n');
  qemu_exit(0);
}
