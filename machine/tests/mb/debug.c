/* A Multiboot test kernel run on xenlab and QEMU: debug-register breakpoints.
   An instruction breakpoint (a fault: EIP at the instruction, DR6.B0; RF in
   the frame lets iret run it once), data write and read/write breakpoints of
   1, 2 and 4 bytes (traps after the instruction, DR6.B1-B3), a rep movsb
   stopped after the iteration that wrote the watched byte, and DR7 cleared.
   The #DB handler prints EIP, DR6 and ECX; the two outputs must agree. */
#include "lib.h"

static unsigned long long gdt[4];
struct gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
static struct gate idt[256];
u32 var, var2, other;
u8 buf[16], src[16] = "abcdefghijklmnop";
u32 count;

struct frame { u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax, vec, eip, cs, eflags; };
void trap(struct frame *f) {
  u32 dr6; __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
  puts_serial("db eip "); puthex(f->eip); puts_serial(" dr6 "); puthex(dr6); puts_serial(" ecx "); puthex(f->ecx);
  puts_serial(" rf "); putdec((f->eflags >> 16) & 1); putc_serial('\n');
  if (dr6 & 1) f->eflags |= 0x10000;       /* an instruction breakpoint: run it once on return */
  __asm__ volatile("mov %0, %%dr6" :: "r"(0u));
  if (++count > 20) { puts_serial("too many\n"); qemu_exit(0x7f); }
}
__asm__(".globl s1\ns1: push $1\npusha\npush %esp\ncall trap\nadd $4, %esp\npopa\nadd $4, %esp\niret\n"
        ".globl s13\ns13: mov $0x3f8, %dx\nmov $0x21, %al\nout %al, %dx\nmov $0xf4, %dx\nmov $0x7f, %eax\nout %eax, %dx\n1: jmp 1b\n");
extern char s1[], s13[];

static void set_dr7(u32 v) { __asm__ volatile("mov %0, %%dr7" :: "r"(v)); }

void kmain(u32 magic, u32 *info) {
  (void)magic; (void)info;
  gdt[1] = 0x00cf9a000000ffffull; gdt[2] = 0x00cf92000000ffffull;
  struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (u32)gdt }, idtr = { sizeof idt - 1, (u32)idt };
  __asm__ volatile("lgdt %0\nljmp $0x08, $1f\n1: mov $0x10, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\nmov %%ax, %%ss\n" :: "m"(gdtr) : "eax");
  u32 a = (u32)s1; idt[1] = (struct gate){ (u16)a, 0x08, 0, 0x8e, (u16)(a >> 16) };
  a = (u32)s13; idt[13] = (struct gate){ (u16)a, 0x08, 0, 0x8e, (u16)(a >> 16) };
  idt[6] = idt[13];
  __asm__ volatile("lidt %0" :: "m"(idtr));

  /* DR0: execute breakpoint on `target`. */
  extern char target[];
  __asm__ volatile("mov %0, %%dr0" :: "r"(target));
  set_dr7(0x1);
  __asm__ volatile("xor %%eax, %%eax\nmov $0x77, %%ecx\n.globl target\ntarget: inc %%eax\ninc %%eax\nmov %%eax, other\n" ::: "eax", "ecx", "memory");
  puts_serial("after exec bp "); puthex(other); putc_serial('\n');

  /* DR1: write, 4 bytes at var. DR2: read/write, 2 bytes at var2. DR3: write, 1 byte at buf+5. */
  __asm__ volatile("mov %0, %%dr1\nmov %1, %%dr2\nmov %2, %%dr3" :: "r"(&var), "r"(&var2), "r"(buf + 5));
  set_dr7((1u << 2) | (1u << 4) | (1u << 6) | (0xdu << 20) | (0x7u << 24) | (0x1u << 28));
  __asm__ volatile("mov $0x88, %%ecx\nmovl $5, var\nmov var, %%eax\nmovb $1, var+3\n"          /* write traps twice; the read does not */
                   "mov var2+1, %%al\nmov var2+2, %%al\nmovw $7, var2-1\n"       /* read of var2+1 traps, var2+2 not; a straddling write traps */
                   "mov $src, %%esi\nmov $buf, %%edi\nmov $10, %%ecx\ncld\nrep movsb\n"  /* the write to buf+5 stops the rep */
                   "xor %%ecx, %%ecx\n"
                   ::: "eax", "ecx", "esi", "edi", "memory", "cc");
  set_dr7(0);
  __asm__ volatile("movl $6, var\nmov var2, %%eax\n" ::: "eax", "memory");   /* disabled: no traps */
  puts_serial("var "); puthex(var); puts_serial(" buf "); for (int i = 0; i < 10; i++) putc_serial((char)buf[i]); putc_serial('\n');
  puts_serial("done\n");
  qemu_exit(0x19);
}
