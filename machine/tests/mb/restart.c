/* A Multiboot test kernel run on xenlab and QEMU: faults in the middle of an
   instruction leave the state the SDM specifies, so the instruction can be
   restarted. Ring-3 probes fault part way (rep string instructions crossing
   into a not-present page, pushes, calls, enter/leave, pop to memory,
   accesses straddling a page, iret with a bad selector, cmpxchg to a
   read-only page); a ring-0 handler prints every general register, EIP,
   CR2 and the error code, and a few memory words around the fault. The two
   outputs must agree. */
#include "lib.h"

struct tss { u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, regs[8], es, cs, ss, ds, fs, gs, ldt; u16 trap, iomap; } __attribute__((packed));
static struct tss tss;
static unsigned long long gdt[8];
struct gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
static struct gate idt[256];
static u8 kstack[4096] __attribute__((aligned(16)));
static u8 ustack[4096] __attribute__((aligned(16)));
static u32 pgdir[1024] __attribute__((aligned(4096)));
static u32 pgtab[4][1024] __attribute__((aligned(4096)));
/* Four pages in a row: mapped, not present (the hole), mapped, read-only to ring 3. */
u32 pages[4][1024] __attribute__((aligned(4096)));
#define below pages[0]
#define hole pages[1]
#define above pages[2]
#define ro pages[3]
__asm__(".set below, pages\n.set hole, pages+0x1000\n.set above, pages+0x2000\n.set ro, pages+0x3000\n");
u32 src[16] = {0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666, 0x77777777, 0x88888888};
volatile u32 resume, saved_esp;

static unsigned long long seg(u32 base, u32 limit, u32 access, u32 flags) {
  return (unsigned long long)(limit & 0xffff) | ((unsigned long long)(base & 0xffffff) << 16) |
         ((unsigned long long)access << 40) | ((unsigned long long)((limit >> 16) & 0xf) << 48) |
         ((unsigned long long)flags << 52) | ((unsigned long long)(base >> 24) << 56);
}
static void set_gate(int n, void *h, u8 type) {
  u32 a = (u32)h;
  idt[n].off_lo = (u16)a; idt[n].off_hi = (u16)(a >> 16); idt[n].sel = 0x08; idt[n].zero = 0; idt[n].type = type;
}

/* The stub's frame: segment registers, pusha, vector, error code, the CPU's frame. */
struct frame { u32 es, ds, edi, esi, ebp, esp0, ebx, edx, ecx, eax, vec, err, eip, cs, eflags, esp, ss; };
static int probe;
void trap(struct frame *f) {
  if (f->vec == 0x80) { puts_serial("done\n"); qemu_exit(0x15); }
  u32 cr2; __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  puts_serial("probe "); putdec(probe++); puts_serial(" vec "); putdec(f->vec); puts_serial(" err "); puthex(f->err);
  puts_serial(" eip "); puthex(f->eip); if (f->vec == 14) { puts_serial(" cr2 "); puthex(cr2); } putc_serial('\n');
  puts_serial("  eax "); puthex(f->eax); puts_serial(" ebx "); puthex(f->ebx); puts_serial(" ecx "); puthex(f->ecx);
  puts_serial(" edx "); puthex(f->edx); putc_serial('\n');
  puts_serial("  esi "); puthex(f->esi); puts_serial(" edi "); puthex(f->edi); puts_serial(" ebp "); puthex(f->ebp);
  puts_serial(" esp "); puthex(f->esp); puts_serial(" eflags "); puthex(f->eflags & 0xcd5); putc_serial('\n');
  puts_serial("  mem "); puthex(below[1020]); putc_serial(' '); puthex(below[1021]); putc_serial(' ');
  puthex(below[1022]); putc_serial(' '); puthex(below[1023]); putc_serial(' '); puthex(above[0]); putc_serial(' ');
  puthex(above[1]); putc_serial(' '); puthex(ro[0]); putc_serial('\n');
  for (int i = 1020; i < 1024; i++) below[i] = 0;
  above[0] = above[1] = 0;
  f->eip = resume;
}
__asm__(".globl s13\ns13: push $13\njmp common\n"
        ".globl s14\ns14: push $14\njmp common\n"
        ".globl s80\ns80: push $0\npush $0x80\njmp common\n"
        "common: pusha\npush %ds\npush %es\nmov $0x10, %ax\nmov %ax, %ds\nmov %ax, %es\n"
        "push %esp\ncall trap\nadd $4, %esp\npop %es\npop %ds\npopa\nadd $8, %esp\niret\n");
extern char s13[], s14[], s80[];

/* Each probe: known registers, then the faulting instruction; the handler resumes at 1:, which restores ESP. */
#define REGS "mov $0xa0a0a0a0, %eax\nmov $0xb0b0b0b0, %ebx\nmov $0xc0c0c0c0, %ecx\nmov $0xd0d0d0d0, %edx\n" \
             "mov $0x5e5e5e5e, %esi\nmov $0xd1d1d1d1, %edi\nmov $0xbebebebe, %ebp\n"
#define PROBE(body) "movl $1f, resume\nmov %esp, saved_esp\n" REGS body "\n1: mov saved_esp, %esp\ncld\n"
void user(void);
__asm__(".globl user\nuser:\n"
        PROBE("mov $src, %esi\nmov $hole-8, %edi\nmov $5, %ecx\nrep movsl")          /* 0: ECX 3 left */
        PROBE("mov $hole-3, %edi\nmov $10, %ecx\nmov $0x5a, %al\nrep stosb")          /* 1: ECX 7 */
        PROBE("mov $hole-4, %esi\nmov $3, %ecx\nrep lodsl")                           /* 2: one done */
        PROBE("mov $above+4, %esi\nmov $below+4092, %edi\nstd\nmov $3, %ecx\nrep movsl") /* 3: backwards, reads cross down into the hole */
        PROBE("mov $src, %esi\nmov $hole-2, %edi\nmovsl")                             /* 4: straddling write: nothing written */
        PROBE("mov $above+12, %esp\npusha")                                           /* 5: ESP unchanged */
        PROBE("mov $above, %esp\npush $7")                                            /* 6 */
        PROBE("mov $above, %esp\ncall 2f\n2:")                                        /* 7 */
        PROBE("mov $above, %esp\nenter $16, $0")                                      /* 8: pushing EBP faults */
        PROBE("mov $above+64, %esp\nmov $hole+8, %ebp\nenter $8, $3")                 /* 9: copying the old frame reads the hole */
        PROBE("mov $hole+4, %ebp\nleave")                                             /* 10: ESP and EBP unchanged */
        PROBE("push $0x99\npopl hole")                                                /* 11: ESP unchanged */
        PROBE("pushl hole")                                                           /* 12 */
        PROBE("mov $hole+0xff8, %esp\nret $8")                                        /* 13 */
        PROBE("mov $hole-4, %esi\ncmpxchg8b (%esi)")                                  /* 14 */
        PROBE("xchg %eax, hole")                                                      /* 15 */
        PROBE("addl %eax, hole-2")                                                    /* 16: straddling RMW */
        PROBE("mov $1, %eax\nmov $2, %ecx\ncmpxchg %ecx, ro")                         /* 17: writes even when unequal */
        PROBE("mov $src, %esi\nmov $ro-2, %edi\nmov $6, %ecx\nrep movsb")             /* 18: into a read-only page */
        PROBE("push $0x23\npush $0x100\npushf\npush $0x08\npush $3f\niret\n3:")      /* 19: #GP(8), stack unchanged */
        /* (No far call into the hole: QEMU pushes its return address as a supervisor
           access, so its error code lacks U; instructions.test.ts checks it.) */
        "int $0x80\n");

void kmain(u32 magic, u32 *info) {
  (void)magic; (void)info;
  gdt[1] = seg(0, 0xfffff, 0x9a, 0xc); gdt[2] = seg(0, 0xfffff, 0x92, 0xc);
  gdt[3] = seg(0, 0xfffff, 0xfa, 0xc); gdt[4] = seg(0, 0xfffff, 0xf2, 0xc);
  gdt[5] = seg((u32)&tss, sizeof tss - 1, 0x89, 0);
  struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (u32)gdt }, idtr = { sizeof idt - 1, (u32)idt };
  __asm__ volatile("lgdt %0\nljmp $0x08, $1f\n1: mov $0x10, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\nmov %%ax, %%ss\n" :: "m"(gdtr) : "eax");
  tss.ss0 = 0x10; tss.esp0 = (u32)kstack + sizeof kstack; tss.iomap = sizeof tss;
  __asm__ volatile("ltr %w0" :: "r"(0x28));
  set_gate(13, s13, 0x8e); set_gate(14, s14, 0x8e); set_gate(0x80, s80, 0xee);
  __asm__ volatile("lidt %0" :: "m"(idtr));
  for (int t = 0; t < 4; t++) {
    for (int i = 0; i < 1024; i++) pgtab[t][i] = ((u32)(t * 1024 + i) << 12) | 7;
    pgdir[t] = (u32)pgtab[t] | 7;
  }
  pgtab[0][(u32)hole >> 12] = 0;
  pgtab[0][(u32)ro >> 12] &= ~2u;
  ro[0] = 0x0f0f0f0f;
  __asm__ volatile("mov %0, %%cr3; mov %%cr0, %%eax; or $0x80010000, %%eax; mov %%eax, %%cr0" :: "r"(pgdir) : "eax");
  puts_serial("ring 3\n");
  __asm__ volatile(
    "push $0x23\npush %0\npush $0x002\npush $0x1b\npush $user\n"
    "mov $0x23, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\niret\n"
    :: "r"((u32)ustack + sizeof ustack - 16) : "eax");
}
