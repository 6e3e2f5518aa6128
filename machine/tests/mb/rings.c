/* A Multiboot test kernel for privilege transitions, run on xenlab and QEMU:
   its own GDT (ring 0/1/3 segments, a limited ring-3 data segment, a TSS),
   iret into ring 1 and ring 3, int 0x80 through a DPL-3 gate, #GP and #PF from
   ring 3 with their frames, far call through a call gate. */
#include "lib.h"

struct tss { u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, regs[8], es, cs, ss, ds, fs, gs, ldt; u16 trap, iomap; } __attribute__((packed));
static struct tss tss;
static unsigned long long gdt[16];
struct gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
static struct gate idt[256];
static u8 kstack[4096] __attribute__((aligned(16)));
static u8 k1stack[4096] __attribute__((aligned(16)));
static u8 ustack[4096] __attribute__((aligned(16)));
static u32 pgdir[1024] __attribute__((aligned(4096)));
static u32 pgtab[4][1024] __attribute__((aligned(4096)));
u32 secret __attribute__((aligned(4096)));
volatile u32 resume;

static unsigned long long seg(u32 base, u32 limit, u32 access, u32 flags) {
  return (unsigned long long)(limit & 0xffff) | ((unsigned long long)(base & 0xffffff) << 16) |
         ((unsigned long long)access << 40) | ((unsigned long long)((limit >> 16) & 0xf) << 48) |
         ((unsigned long long)flags << 52) | ((unsigned long long)(base >> 24) << 56);
}
static void set_gate(int n, void *h, u16 sel, u8 type) {
  u32 a = (u32)h;
  idt[n].off_lo = (u16)a; idt[n].off_hi = (u16)(a >> 16); idt[n].sel = sel; idt[n].zero = 0; idt[n].type = type;
}

/* Trap frame as the stubs build it: vector, error code, then the CPU frame. */
struct frame { u32 vec, err, eip, cs, eflags, esp, ss; };
void trap(struct frame *f) {
  if (f->vec == 0x80) {
    if (f->err == 0) { puts_serial("done\n"); qemu_exit(0x11); }
    puts_serial("int80 from cs "); puthex(f->cs); puts_serial(" ss "); puthex(f->ss);
    puts_serial(" esp "); puthex(f->esp - (u32)ustack); puts_serial(" eax "); puthex(f->err);
    puts_serial(" if "); putdec((f->eflags >> 9) & 1); putc_serial('\n');
    return;
  }
  u32 cr2; __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  puts_serial("trap "); putdec(f->vec); puts_serial(" err "); puthex(f->err); puts_serial(" cs "); puthex(f->cs);
  puts_serial(" ss "); puthex(f->ss);
  if (f->vec == 14) { puts_serial(" cr2 "); puthex(cr2 - (u32)&secret); }
  putc_serial('\n');
  f->eip = resume;
}

/* Stubs: push a zero error code where the CPU does not; int 0x80 passes EAX as the "error code". */
__asm__(".globl s13\ns13: push $13\njmp common\n"
        ".globl s14\ns14: push $14\njmp common\n"
        ".globl s80\ns80: push %eax\npush $0x80\njmp common\n"
        "common: push %ds\npush %es\nmov $0x10, %ax\nmov %ax, %ds\nmov %ax, %es\n"
        "lea 8(%esp), %eax\npush %eax\ncall trap\nadd $4, %esp\npop %es\npop %ds\nadd $8, %esp\niret\n");
extern char s13[], s14[], s80[];

/* Ring-1 and ring-3 code: runs with the segments iret gave it. */
void user(void);
__asm__(".globl user\nuser:\n"
        "mov $0x11, %eax\nint $0x80\n"                       /* report ring and stack */
        "movl $1f, resume\ncli\n1:\n"                          /* #GP: privileged in ring 3 */
        "movl $1f, resume\nmov secret, %eax\n1:\n"            /* #PF: supervisor page */
        "movl $1f, resume\nmovl $5, secret\n1:\n"             /* #PF: write */
        /* (No segment-limit probe here: QEMU's TCG does not check data segment limits.) */
        "movl $1f, resume\nmov $0x10, %ax\nmov %ax, %gs\n1:\n"  /* ring-0 data selector */
        "movl $1f, resume\nlcall $0x4b, $0\n1:\n"              /* call gate (DPL 3) to ring 0 */
        "mov $0x22, %eax\nint $0x80\n"
        "mov $0, %eax\nint $0x80\n");

void gate_target(void);
__asm__(".globl gate_target\ngate_target:\n"
        "push %eax\nmov %cs, %eax\nmov $0x3f8, %dx\nadd $0x30, %al\nout %al, %dx\nmov $0x0a, %al\nout %al, %dx\npop %eax\nlret\n");

void kmain(u32 magic, u32 *info) {
  (void)magic; (void)info;
  gdt[1] = seg(0, 0xfffff, 0x9a, 0xc);  /* 0x08 ring-0 code */
  gdt[2] = seg(0, 0xfffff, 0x92, 0xc);  /* 0x10 ring-0 data */
  gdt[3] = seg(0, 0xfffff, 0xfa, 0xc);  /* 0x1b ring-3 code */
  gdt[4] = seg(0, 0xfffff, 0xf2, 0xc);  /* 0x23 ring-3 data */
  gdt[5] = seg((u32)&tss, sizeof tss - 1, 0x89, 0); /* 0x28 TSS */
  gdt[6] = seg(0, 0xfffff, 0xba, 0xc);  /* 0x31 ring-1 code */
  gdt[7] = seg(0, 0xfffff, 0xb2, 0xc);  /* 0x39 ring-1 data */
  gdt[8] = seg((u32)ustack, 0xfff, 0xf2, 0x4); /* 0x43 ring-3 data, 4 KiB limit */
  { u32 t = (u32)gate_target;             /* 0x4b call gate to ring 0, DPL 3 */
    gdt[9] = (unsigned long long)((t & 0xffff) | (0x08u << 16)) | ((unsigned long long)((t & 0xffff0000u) | 0xec00u) << 32); }
  struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (u32)gdt }, idtr = { sizeof idt - 1, (u32)idt };
  __asm__ volatile("lgdt %0\nljmp $0x08, $1f\n1: mov $0x10, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\nmov %%ax, %%ss\n" :: "m"(gdtr) : "eax");
  tss.ss0 = 0x10; tss.esp0 = (u32)kstack + sizeof kstack;
  tss.ss1 = 0x39; tss.esp1 = (u32)k1stack + sizeof k1stack;
  tss.iomap = sizeof tss;
  __asm__ volatile("ltr %w0" :: "r"(0x28));
  set_gate(13, s13, 0x08, 0x8e); set_gate(14, s14, 0x08, 0x8e); set_gate(0x80, s80, 0x08, 0xef);
  __asm__ volatile("lidt %0" :: "m"(idtr));
  /* Paging: identity 16 MiB, user-accessible except the page holding `secret`. */
  for (int t = 0; t < 4; t++) {
    for (int i = 0; i < 1024; i++) pgtab[t][i] = ((u32)(t * 1024 + i) << 12) | 7;
    pgdir[t] = (u32)pgtab[t] | 7;
  }
  pgtab[0][(u32)&secret >> 12] &= ~4u;
  __asm__ volatile("mov %0, %%cr3; mov %%cr0, %%eax; or $0x80010000, %%eax; mov %%eax, %%cr0" :: "r"(pgdir) : "eax");
  puts_serial("ring 0 ok\n");
  /* iret to ring 3 with IF clear (QEMU's timer would otherwise interrupt); the user code reports through int 0x80 and ends the run. */
  __asm__ volatile(
    "push $0x23\npush %0\npush $0x002\npush $0x1b\npush $user\n"
    "mov $0x23, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\niret\n"
    :: "r"((u32)ustack + sizeof ustack - 16) : "eax");
}
