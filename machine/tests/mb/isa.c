/* A Multiboot test kernel run on xenlab and QEMU: instructions of the issue's
   list that the flag sweeps and the other kernels do not reach (LDT and
   lldt, segment bases and overrides, les/lds/lss/lfs/lgs, far indirect
   jmp/call, DR0-7, string I/O, lock, loop/jecxz, enter with nesting,
   smsw/lmsw, arpl, wbinvd/invd, salc, cmpxchg/cmpxchg8b failing, 16-bit
   forms, a 16-bit code segment). Each probe prints its results; the two outputs must agree. */
#include "lib.h"

static unsigned long long gdt[8];
extern char blob16[], back32[];
static unsigned long long ldt[4];
u32 buf[64] __attribute__((aligned(16)));      /* base of GDT selector 0x18 */
u32 lbuf[64] __attribute__((aligned(16)));     /* base of LDT selector 0x0c */
u32 mem[64] __attribute__((aligned(16)));
u32 r[16];
struct farptr { u32 off; u16 sel; } __attribute__((packed));
struct farptr fp;
u8 altstack[256] __attribute__((aligned(16)));

static unsigned long long seg(u32 base, u32 limit, u32 access, u32 flags) {
  return (unsigned long long)(limit & 0xffff) | ((unsigned long long)(base & 0xffffff) << 16) |
         ((unsigned long long)access << 40) | ((unsigned long long)((limit >> 16) & 0xf) << 48) |
         ((unsigned long long)flags << 52) | ((unsigned long long)(base >> 24) << 56);
}
static void line(const char *name, int n) {
  puts_serial(name);
  for (int i = 0; i < n; i++) { putc_serial(' '); puthex(r[i]); }
  putc_serial('\n');
  for (int i = 0; i < 16; i++) r[i] = 0;
}
static void clear(void) { for (int i = 0; i < 64; i++) { buf[i] = 0x1000 + i; lbuf[i] = 0x2000 + i; mem[i] = 0x3000 + i; } }

/* 16-bit code, reached through selector 0x38 whose base is blob16 (so its offsets start at 0). */
__asm__(".code16\n.globl blob16\nblob16:\n"
        "mov $0x1234, %ax\nadd %bx, %ax\n"               /* AX only: the upper half of EAX stays */
        "movl $0x12345678, %ecx\n"                         /* o32 */
        "lea 3(%bx,%si), %dx\n"                            /* 16-bit addressing */
        "push %ax\npop %di\n"                              /* a 16-bit push on the 32-bit stack */
        "pushl $0xabcdef01\n"                              /* an o32 push: left for the 32-bit side to count */
        "call 1f\n1: pop %si\n"                            /* a near call pushes the 16-bit IP */
        "movzwl %si, %edi\nshl $16, %edi\nmov %ax, %di\n"
        "ljmpl $0x08, $back32\n"
        ".code32\n");

void kmain(u32 magic, u32 *info) {
  (void)magic; (void)info;
  clear();
  gdt[1] = seg(0, 0xfffff, 0x9a, 0xc);               /* 0x08 code */
  gdt[2] = seg(0, 0xfffff, 0x92, 0xc);               /* 0x10 data */
  gdt[3] = seg((u32)buf, 0xff, 0x92, 0x4);           /* 0x18 data at buf, limit 255 bytes */
  gdt[4] = seg((u32)ldt, sizeof ldt - 1, 0x82, 0);   /* 0x20 LDT */
  gdt[5] = seg(0, 0xfffff, 0xfa, 0xc);               /* 0x2b ring-3 code */
  gdt[6] = seg(0, 0xfffff, 0xf2, 0xc);               /* 0x33 ring-3 data */
  gdt[7] = seg((u32)blob16, 0xffff, 0x9a, 0x0);      /* 0x38 16-bit code at blob16 */
  ldt[1] = seg((u32)lbuf, 0xfff, 0x92, 0x4);         /* 0x0c data at lbuf */
  ldt[2] = seg(0, 0xfffff, 0xf2, 0xc);               /* 0x17 ring-3 data */
  struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (u32)gdt };
  __asm__ volatile("lgdt %0\nljmp $0x08, $1f\n1: mov $0x10, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\nmov %%ax, %%ss\n" :: "m"(gdtr) : "eax");

  /* LDT: lldt, sldt, a load from an LDT selector, lar/lsl/verr/verw on it. */
  __asm__ volatile("mov $0x20, %%ax\nlldt %%ax\nsldt %%eax\nmov %%eax, r\n"
                   "mov $0x0c, %%ax\nmov %%ax, %%fs\nmov %%fs:8, %%eax\nmov %%eax, r+4\n"
                   "movl $0x55, %%fs:12\n"
                   "mov $0x0c, %%ecx\nlar %%ecx, %%eax\nand $0x00f0ff00, %%eax\nmov %%eax, r+8\nlsl %%ecx, %%eax\nmov %%eax, r+12\n"
                   "mov $0x17, %%ecx\nverr %%cx\nsetz r+16\nverw %%cx\nsetz r+17\n"
                   "mov $0x14, %%ecx\nverr %%cx\nsetz r+18\n" ::: "eax", "ecx", "memory", "cc");
  r[5] = lbuf[3];
  line("ldt", 6);

  /* Segment bases and overrides: GDT selector 0x18 has base = buf. */
  __asm__ volatile("mov $0x18, %%ax\nmov %%ax, %%gs\nmov %%gs:4, %%eax\nmov %%eax, r\n"
                   "movl $0x77, %%gs:16\n"
                   "mov $8, %%ebx\nmov %%gs:(%%ebx,%%ebx,2), %%eax\nmov %%eax, r+4\n"
                   "xor %%eax, %%eax\nmov $8, %%ebx\ngs xlat\nmovzbl %%al, %%eax\nmov %%eax, r+8\n"
                   "mov $0, %%esi\nmov $mem, %%edi\nmov $3, %%ecx\ncld\nrep movsl %%gs:(%%esi), %%es:(%%edi)\nmov %%esi, r+12\n"
                   "mov $0x18, %%ax\nmov %%ax, %%es\nmov $20, %%edi\nmov $0x99, %%eax\nstosl\nmov $0x10, %%ax\nmov %%ax, %%es\n"
                   "mov $0xffffffff, %%eax\nmov %%gs, %%eax\nmov %%eax, r+16\n" ::: "eax", "ebx", "ecx", "esi", "edi", "memory", "cc");
  r[5] = buf[4]; r[6] = mem[0]; r[7] = mem[2]; r[8] = buf[5];
  line("segments", 9);
  clear();

  /* Far pointer loads. */
  fp.off = 0x12345678; fp.sel = 0x18;
  __asm__ volatile("lfs fp, %%eax\nmov %%eax, r\nmov %%fs, %%eax\nmov %%eax, r+4\n"
                   "lgs fp, %%ebx\nmov %%gs:0, %%eax\nmov %%eax, r+8\n"
                   "les fp, %%ecx\nmov %%es:4, %%eax\nmov %%eax, r+12\nmov $0x10, %%ax\nmov %%ax, %%es\n"
                   "push %%ds\nlds fp, %%edx\nmov 8, %%eax\npop %%ds\nmov %%eax, r+16\n"
                   ::: "eax", "ebx", "ecx", "edx", "memory");
  fp.off = (u32)altstack + 128; fp.sel = 0x10;
  __asm__ volatile("mov %%esp, %%esi\nlss fp, %%esp\npush $0xabcd\nmov %%esp, r+20\nmov %%esi, %%esp\n" ::: "esi", "memory");
  r[5] -= (u32)altstack; r[6] = *(u32 *)(altstack + 124);
  line("farptr", 7);

  /* Far indirect jmp and call, lret with an immediate. */
  fp.sel = 0x08;
  __asm__ volatile("movl $1f, fp\nljmp *fp\nmovl $1, r\n1: movl $2, r+4\n"
                   "mov %%esp, r+20\nmovl $2f, fp\npush $0x1111\nlcall *fp\nmov %%esp, r+8\njmp 3f\n"
                   "2: mov 4(%%esp), %%eax\nmov %%eax, r+12\nmov 8(%%esp), %%eax\nmov %%eax, r+16\nlret $4\n3:\n" ::: "eax", "memory");
  r[2] = r[5] - r[2];  /* ESP back where it was before the push: 0 */
  line("farjmp", 5);

  /* Debug registers: DR0-3 hold anything, DR4/5 alias DR6/7 with CR4.DE clear. */
  __asm__ volatile("mov $0x11223344, %%eax\nmov %%eax, %%dr0\nmov $0x55667788, %%eax\nmov %%eax, %%dr3\n"
                   "mov %%dr0, %%eax\nmov %%eax, r\nmov %%dr3, %%eax\nmov %%eax, r+4\n"
                   "mov $0x400, %%eax\nmov %%eax, %%dr7\nmov %%dr7, %%eax\nmov %%eax, r+8\n"
                   "mov %%dr6, %%eax\nmov %%eax, r+12\n"
                   ".byte 0x0f, 0x21, 0xe8\nmov %%eax, r+16\n" /* mov eax, dr5 */
                   ::: "eax", "memory");
  line("debugregs", 5);

  /* String I/O: rep outsb to the serial port, insb from its line-status register. */
  static const char msg[] = "outs ok\n";
  __asm__ volatile("mov $0x3f8, %%dx\nmov %0, %%esi\nmov $8, %%ecx\ncld\nrep outsb\nmov %%esi, r\n"
                   "mov $0x3fd, %%dx\nmov $mem, %%edi\nmov $2, %%ecx\nrep insb\nmov %%edi, r+4\n"
                   "mov $0x3fd, %%dx\nstd\nmov $mem+12, %%edi\ninsb\ncld\nmov %%edi, r+8\n"
                   :: "r"(msg) : "ecx", "edx", "esi", "edi", "memory");
  r[0] -= (u32)msg; r[1] -= (u32)mem; r[2] -= (u32)mem; r[3] = mem[0] & 0xffff; r[4] = mem[3] & 0xff;
  line("stringio", 5);
  clear();

  /* lock prefix on read-modify-write memory forms. */
  __asm__ volatile("lock addl $5, mem\nlock incl mem+4\nmov $9, %%eax\nlock xchg %%eax, mem+8\nmov %%eax, r\n"
                   "mov $3, %%ebx\nlock xadd %%ebx, mem+12\nmov %%ebx, r+4\n"
                   "mov $0x3004, %%eax\nmov $0x42, %%ecx\nlock cmpxchg %%ecx, mem+16\nsetz r+8\n"
                   "lock btsl $3, mem+20\nsetc r+9\nlock negl mem+24\nlock notb mem+28\nlock orw $0x8000, mem+32\n"
                   ::: "eax", "ebx", "ecx", "memory", "cc");
  for (int i = 0; i < 9; i++) r[3 + i] = mem[i];
  line("lock", 12);
  clear();

  /* cmpxchg and cmpxchg8b when the comparison fails: the accumulator gets memory. */
  __asm__ volatile("mov $1, %%eax\nmov $0x42, %%ecx\ncmpxchg %%ecx, mem\nmov %%eax, r\nsetz r+4\n"
                   "mov $1, %%eax\nmov $2, %%edx\nmov $7, %%ebx\nmov $8, %%ecx\ncmpxchg8b mem+8\nmov %%eax, r+8\nmov %%edx, r+12\n"
                   "mov $0x77, %%al\nmov $0x12, %%cl\ncmpxchg %%cl, mem+16\nmov %%eax, r+16\n"
                   ::: "eax", "ebx", "ecx", "edx", "memory", "cc");
  r[5] = mem[0]; r[6] = mem[2];
  line("cmpxchg", 7);

  /* loop, loope, loopne, jecxz, and loop with a 16-bit counter (a16). */
  __asm__ volatile("xor %%eax, %%eax\nmov $5, %%ecx\n1: inc %%eax\nloop 1b\nmov %%eax, r\n"
                   "xor %%eax, %%eax\nmov $10, %%ecx\n2: inc %%eax\ncmp $3, %%eax\nloopne 2b\nmov %%ecx, r+4\n"
                   "xor %%eax, %%eax\nmov $10, %%ecx\n3: inc %%eax\ncmp $100, %%eax\nloope 3b\nmov %%ecx, r+8\n"
                   "xor %%ecx, %%ecx\nmovl $0, r+12\njecxz 4f\nmovl $1, r+12\n4:\n"
                   "mov $0x10000, %%ecx\nxor %%eax, %%eax\n5: inc %%eax\naddr16 loop 5b\nmov %%eax, r+16\nmov %%ecx, r+20\n"
                   ::: "eax", "ecx", "memory", "cc");
  line("loop", 6);

  /* enter with a nesting level, leave. */
  __asm__ volatile("push %%ebp\nmov %%esp, %%esi\nmov $altstack+256, %%ebp\nmovl $0xa1, altstack+252\nmovl $0xa2, altstack+248\n"
                   "enter $8, $3\nmov %%esi, %%eax\nsub %%esp, %%eax\nmov %%eax, r\nmov %%esi, %%eax\nsub %%ebp, %%eax\nmov %%eax, r+4\n"
                   "mov -8(%%ebp), %%eax\nmov %%eax, r+8\nmov -12(%%ebp), %%eax\nmov %%eax, r+12\n"
                   "mov -16(%%ebp), %%eax\nsub %%esi, %%eax\nmov %%eax, r+16\nleave\nmov %%esp, %%eax\nsub %%esi, %%eax\nmov %%eax, r+20\npop %%ebp\n"
                   ::: "eax", "esi", "memory");
  line("enter", 6);

  /* smsw, lmsw (sets TS, cannot clear PE), clts; arpl; wbinvd, invd; salc. */
  __asm__ volatile("mov $0xffffffff, %%eax\nsmsw %%eax\nand $0xffff000f, %%eax\nmov %%eax, r\nsmsw mem\n"
                   "smsw %%ax\nor $8, %%ax\nand $0xfffe, %%ax\nlmsw %%ax\nmov %%cr0, %%eax\nand $0x8000000f, %%eax\nmov %%eax, r+4\nclts\n"
                   "mov $0x1b, %%eax\nmov $0x13, %%ebx\narpl %%bx, %%ax\nsetz r+8\nmov %%eax, r+12\n"
                   "mov $0x1b, %%eax\nmov $0x12, %%ebx\narpl %%bx, %%ax\nsetz r+9\nmov %%eax, r+16\n"
                   "wbinvd\ninvd\nstc\n.byte 0xd6\nmovzbl %%al, %%eax\nmov %%eax, r+20\nclc\n.byte 0xd6\nmov %%al, r+24\n"
                   ::: "eax", "ebx", "memory", "cc");
  r[7] = mem[0] & 0xf;
  line("system", 8);
  clear();

  /* 16-bit forms: pushaw/popaw, o16 string ops, push/pop word, a16 addressing with wrap. */
  __asm__ volatile("mov %%esp, %%esi\nmov $0x11112222, %%eax\nmov $0x33334444, %%ecx\npushaw\nmov %%esi, %%eax\nsub %%esp, %%eax\nmov %%eax, r\n"
                   "xor %%eax, %%eax\nxor %%ecx, %%ecx\npopaw\nmov %%eax, r+4\nmov %%ecx, r+8\n"
                   "mov $mem, %%edi\nmov $0xbeef, %%ax\nmov $3, %%ecx\nrep stosw\nmov %%edi, %%eax\nsub $mem, %%eax\nmov %%eax, r+12\n"
                   "pushw $0x1234\npopw %%ax\nmov %%eax, r+16\n"
                   "mov %%esi, %%esp\n"
                   "mov $0x18, %%ax\nmov %%ax, %%gs\nmov $0xfffc, %%ebx\nmov $0xffff0008, %%esi\naddr16 mov %%gs:(%%bx,%%si), %%eax\nmov %%eax, r+20\n"
                   ::: "eax", "ebx", "ecx", "esi", "edi", "memory", "cc");
  r[6] = mem[0]; r[7] = mem[1];
  line("o16", 8);

  /* A 16-bit code segment (D=0): 16-bit operands and addresses by default, o32/a32 prefixes, near call, far jump back. */
  __asm__ volatile("push %%ebp\nmov %%esp, %%ebp\nmov $0x11112222, %%eax\nmov $0x33334444, %%ebx\nmov $0x10, %%esi\n"
                   "ljmp $0x38, $0\n"
                   ".globl back32\nback32:\n"
                   "mov %%eax, r\nmov %%ebx, r+4\nmov %%ecx, r+8\nmov %%edx, r+12\nmov %%ebp, %%eax\nsub %%esp, %%eax\nmov %%eax, r+16\n"
                   "mov %%edi, r+20\nmov %%ebp, %%esp\npop %%ebp\n"
                   ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
  line("code16", 6);
  puts_serial("done\n");
  qemu_exit(0x13);
}
