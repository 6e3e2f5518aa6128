/* A Multiboot test kernel run on xenlab and QEMU: every exception the issue
   names that QEMU raises too (#DE #DB #BP #OF #BR #UD #NM #DF #TS #NP #SS #GP
   #PF), provoked from ring 3 (and a few from ring 0), each delivered through
   the IDT to a ring-0 handler that prints the whole frame the CPU pushed:
   vector, error code, EIP, CS, EFLAGS, ESP and SS when the ring changed,
   where on the ring-0 stack the frame sits (so a missing or extra error code
   shows), CR2 for #PF and DR6 for #DB (also a single step over mov ss, which
   holds the trap back one instruction, over int n, which enters its handler
   without a trap, over a fault, over rep movsb, which traps after each
   iteration, and over a popf that clears TF, which still traps). The two outputs must agree line for line.
   (#AC is not here: QEMU's TCG does not raise it; exceptions.test.ts checks it
   against the SDM.) */
#include "lib.h"

struct tss { u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, regs[8], es, cs, ss, ds, fs, gs, ldt; u16 trap, iomap; } __attribute__((packed));
static struct tss tss;
static unsigned long long gdt[16];
struct gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
static struct gate idt[256];
static u8 kstack[4096] __attribute__((aligned(16)));
static u8 ustack[4096] __attribute__((aligned(16)));
static u32 pgdir[1024] __attribute__((aligned(4096)));
static u32 pgtab[4][1024] __attribute__((aligned(4096)));
u32 secret[1024] __attribute__((aligned(4096)));   /* supervisor-only page */
u32 rodata[1024] __attribute__((aligned(4096)));   /* read-only page */
u32 absent[1024] __attribute__((aligned(4096)));   /* not-present page */
u32 bounds[2] = {10, 20};
u8 scratch[16] __attribute__((aligned(16)));
volatile u32 resume, keep_tf;
u8 strbuf[16];

static unsigned long long seg(u32 base, u32 limit, u32 access, u32 flags) {
  return (unsigned long long)(limit & 0xffff) | ((unsigned long long)(base & 0xffffff) << 16) |
         ((unsigned long long)access << 40) | ((unsigned long long)((limit >> 16) & 0xf) << 48) |
         ((unsigned long long)flags << 52) | ((unsigned long long)(base >> 24) << 56);
}
static void set_gate(int n, void *h, u16 sel, u8 type) {
  u32 a = (u32)h;
  idt[n].off_lo = (u16)a; idt[n].off_hi = (u16)(a >> 16); idt[n].sel = sel; idt[n].zero = 0; idt[n].type = type;
}

/* The stubs push the vector (and a zero where the CPU pushes no error code). */
struct frame { u32 vec, err, eip, cs, eflags, esp, ss; };
void trap(struct frame *f) {
  if (f->vec == 0x80) {            /* services for the ring-3 code; EAX (pushed as err) selects */
    u32 cmd = f->err & 0xff, arg = f->err >> 8;
    if (cmd == 0) { puts_serial("done\n"); qemu_exit(0x12); }
    if (cmd == 1) idt[arg].type &= 0x7f;          /* gate not present */
    if (cmd == 2) idt[arg].type |= 0x80;          /* gate present */
    if (cmd == 3) __asm__ volatile("mov %%cr0, %%eax; or $8, %%eax; mov %%eax, %%cr0" ::: "eax"); /* CR0.TS */
    return;
  }
  puts_serial("vec "); putdec(f->vec); puts_serial(" err "); puthex(f->err);
  puts_serial(" eip "); puthex(f->eip); puts_serial(" cs "); puthex(f->cs); puts_serial(" eflags "); puthex(f->eflags);
  if (f->cs & 3) { puts_serial(" esp "); puthex(f->esp); puts_serial(" ss "); puthex(f->ss); }
  puts_serial(" at esp0-"); putdec((u32)kstack + sizeof kstack - (u32)&f->eip);
  if (f->vec == 14) { u32 cr2; __asm__ volatile("mov %%cr2, %0" : "=r"(cr2)); puts_serial(" cr2 "); puthex(cr2); }
  if (f->vec == 1) {
    u32 dr6; __asm__ volatile("mov %%dr6, %0" : "=r"(dr6)); puts_serial(" dr6 "); puthex(dr6 & 0x4000);
    puts_serial(" ecx "); puthex(((u32 *)f)[-2]);   /* saved by pusha, just below the vector */
    if (keep_tf) keep_tf--; else f->eflags &= ~0x100u;   /* stop single-stepping, or take a few more steps */
  }
  if (f->vec == 7) __asm__ volatile("clts");
  putc_serial('\n');
  if (resume) f->eip = resume;     /* faults: continue after the probe */
  resume = 0;
}

#define STUB(n) ".globl s" #n "\ns" #n ": push $0\npush $" #n "\njmp common\n"
#define STUBE(n) ".globl s" #n "\ns" #n ": push $" #n "\njmp common\n"
__asm__(STUB(0) STUB(1) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7) STUBE(8) STUBE(10) STUBE(11) STUBE(12) STUBE(13) STUBE(14)
        ".globl s80\ns80: push %eax\npush $0x80\njmp common\n"
        "common: pusha\npush %ds\npush %es\nmov $0x10, %ax\nmov %ax, %ds\nmov %ax, %es\n"
        "lea 40(%esp), %eax\npush %eax\ncall trap\nadd $4, %esp\npop %es\npop %ds\npopa\nadd $8, %esp\niret\n");
extern char s0[], s1[], s3[], s4[], s5[], s6[], s7[], s8[], s10[], s11[], s12[], s13[], s14[], s80[];

/* Ring-3 code. Each fault probe stores where to continue in `resume` first. */
void user(void);
__asm__(".globl user\nuser:\n"
        "movl $1f, resume\nxor %ecx, %ecx\ndiv %ecx\n1:\n"                          /* #DE */
        "pushf\norl $0x100, (%esp)\npopf\nnop\nnop\n"                               /* #DB after the nop */
        "mov %ss, %ax\npushf\norl $0x100, (%esp)\npopf\nmov %ax, %ss\nnop\nnop\n"    /* mov ss holds #DB back one instruction */
        "mov $0xfe, %eax\npushf\norl $0x100, (%esp)\npopf\nint $0x80\nnop\nnop\n"      /* no #DB after int n: after the nop iret returns to */
        "movl $1f, resume\npushf\norl $0x100, (%esp)\npopf\nud2\n1: nop\nnop\n"       /* a fault while stepping: #UD, then #DB after the nop */
        "movl $2, keep_tf\nmov $strbuf, %esi\nmov $strbuf+8, %edi\nmov $3, %ecx\n"
        "pushf\norl $0x100, (%esp)\npopf\nrep movsb\nnop\n"                           /* a step per iteration of rep */
        "pushf\npushf\norl $0x100, (%esp)\npopf\npopf\nnop\n"                        /* a popf clearing TF traps after itself */
        "int3\n"                                                                     /* #BP (trap) */
        "mov $0x7fffffff, %eax\nadd $1, %eax\ninto\n"                               /* #OF (trap) */
        "movl $1f, resume\nmov $30, %eax\nbound %eax, bounds\n1:\n"                 /* #BR */
        "movl $1f, resume\nud2\n1:\n"                                               /* #UD */
        "mov $3, %eax\nint $0x80\nmovl $1f, resume\nfninit\n1:\n"                   /* #NM (CR0.TS) */
        "movl $1f, resume\nint $0x81\n1:\n"                                         /* #NP: gate not present */
        "movl $1f, resume\nmov $0x43, %ax\nmov %ax, %ds\n1:\n"                      /* #NP: data segment */
        "movl $1f, resume\nmov $0x43, %ax\nmov %ax, %ss\n1:\n"                      /* #SS: stack segment */
        "movl $1f, resume\nint $0x82\n1:\n"                                         /* #TS: bad SS1 in the TSS */
        "movl $1f, resume\ncli\n1:\n"                                               /* #GP(0) */
        "movl $1f, resume\nmov $0x10, %ax\nmov %ax, %es\n1:\n"                      /* #GP(selector) */
        "movl $1f, resume\nint $0x30\n1:\n"                                         /* #GP(vector*8+2): DPL-0 gate */
        "movl $1f, resume\nmov $0x3f8, %dx\nin %dx, %al\n1:\n"                      /* #GP(0): I/O without IOPL */
        "movl $1f, resume\nljmp $0x08, $0\n1:\n"                                    /* #GP(selector): far jump to ring 0 */
        "movl $1f, resume\nmov secret, %eax\n1:\n"                                  /* #PF 5: supervisor page */
        "movl $1f, resume\nmovl $1, rodata+8\n1:\n"                                 /* #PF 7: read-only page */
        "movl $1f, resume\nmov absent+12, %eax\n1:\n"                               /* #PF 4: not present */
        "movl $1f, resume\nmov $absent, %eax\ncall *%eax\n1:\n"                     /* #PF 4: fetch */
        "movl $1f, resume\nmov $secret+0xffe, %eax\nmovl (%eax), %eax\n1:\n"        /* #PF across a page: CR2 */
        "mov $0x001, %eax\nint $0x80\n"                                             /* gate 0 not present ... */
        "movl $1f, resume\nxor %ecx, %ecx\ndiv %ecx\n1:\n"                          /* ... #DE then #NP: #DF */
        "mov $0x002, %eax\nint $0x80\n"
        "mov $0, %eax\nint $0x80\n");

void kmain(u32 magic, u32 *info) {
  (void)magic; (void)info;
  gdt[1] = seg(0, 0xfffff, 0x9a, 0xc);  /* 0x08 ring-0 code */
  gdt[2] = seg(0, 0xfffff, 0x92, 0xc);  /* 0x10 ring-0 data */
  gdt[3] = seg(0, 0xfffff, 0xfa, 0xc);  /* 0x1b ring-3 code */
  gdt[4] = seg(0, 0xfffff, 0xf2, 0xc);  /* 0x23 ring-3 data */
  gdt[5] = seg((u32)&tss, sizeof tss - 1, 0x89, 0); /* 0x28 TSS */
  gdt[6] = seg(0, 0xfffff, 0xba, 0xc);  /* 0x31 ring-1 code */
  gdt[7] = seg(0, 0xfffff, 0xb2, 0xc);  /* 0x39 ring-1 data */
  gdt[8] = seg(0, 0xfffff, 0x72, 0xc);  /* 0x43 ring-3 data, not present */
  struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (u32)gdt }, idtr = { sizeof idt - 1, (u32)idt };
  __asm__ volatile("lgdt %0\nljmp $0x08, $1f\n1: mov $0x10, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\nmov %%ax, %%ss\n" :: "m"(gdtr) : "eax");
  tss.ss0 = 0x10; tss.esp0 = (u32)kstack + sizeof kstack;
  tss.ss1 = 0x23; tss.esp1 = 0x1000;    /* wrong: a ring-3 selector, so a switch to ring 1 raises #TS */
  tss.iomap = sizeof tss;
  __asm__ volatile("ltr %w0" :: "r"(0x28));
  set_gate(0, s0, 0x08, 0x8e); set_gate(1, s1, 0x08, 0x8e); set_gate(3, s3, 0x08, 0xee); set_gate(4, s4, 0x08, 0xee);
  set_gate(5, s5, 0x08, 0x8e); set_gate(6, s6, 0x08, 0x8e); set_gate(7, s7, 0x08, 0x8e); set_gate(8, s8, 0x08, 0x8e);
  set_gate(10, s10, 0x08, 0x8e); set_gate(11, s11, 0x08, 0x8e); set_gate(12, s12, 0x08, 0x8e); set_gate(13, s13, 0x08, 0x8e);
  set_gate(14, s14, 0x08, 0x8e); set_gate(0x30, s80, 0x08, 0x8e);
  set_gate(0x80, s80, 0x08, 0xee);
  set_gate(0x81, s80, 0x08, 0x6e);      /* DPL 3, not present */
  set_gate(0x82, s80, 0x31, 0xee);      /* DPL 3 to ring 1 */
  __asm__ volatile("lidt %0" :: "m"(idtr));
  /* Paging: identity 16 MiB, user-accessible except the three probe pages. */
  for (int t = 0; t < 4; t++) {
    for (int i = 0; i < 1024; i++) pgtab[t][i] = ((u32)(t * 1024 + i) << 12) | 7;
    pgdir[t] = (u32)pgtab[t] | 7;
  }
  pgtab[0][(u32)secret >> 12] &= ~4u;
  pgtab[0][(u32)rodata >> 12] &= ~2u;
  pgtab[0][(u32)absent >> 12] = 0;
  __asm__ volatile("mov %0, %%cr3; mov %%cr0, %%eax; or $0x80010000, %%eax; mov %%eax, %%cr0" :: "r"(pgdir) : "eax");

  /* Ring 0 first: no stack switch, so no ESP/SS in the frame. */
  __asm__ volatile("movl $1f, resume\nmovl $1, rodata+4\n1:\n" ::: "memory");               /* #PF 3 with CR0.WP */
  __asm__ volatile("movl $1f, resume\nmov $absent+0x10, %%eax\njmp *%%eax\n1:\n" ::: "eax", "memory"); /* #PF 0: fetch */
  __asm__ volatile("movl $1f, resume\nxor %%eax, %%eax\nmov %%ax, %%ss\n1:\n" ::: "eax", "memory");    /* #GP(0): null SS */
  __asm__ volatile("movl $1f, resume\nmov $0x2b, %%eax\nmov %%ax, %%ss\n1:\n" ::: "eax", "memory");   /* #GP(sel): SS RPL != CPL */
  __asm__ volatile("movl $1f, resume\nmov $0x80, %%ax\nmov %%ax, %%fs\n1:\n" ::: "eax", "memory");   /* #GP(sel): beyond the GDT */
  puts_serial("ring 3\n");
  /* iret to ring 3 with IF clear (QEMU's timer would otherwise interrupt). */
  __asm__ volatile(
    "push $0x23\npush %0\npush $0x002\npush $0x1b\npush $user\n"
    "mov $0x23, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\niret\n"
    :: "r"((u32)ustack + sizeof ustack - 16) : "eax");
}
