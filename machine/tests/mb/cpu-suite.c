/* A Multiboot test kernel run on both xenlab and QEMU; every line it prints
   must match. Covers the C workload, flags of arithmetic over operand sweeps,
   exceptions through the IDT, and paging with faults. */
#include "lib.h"

u32 workload(u32 rounds, u32 *out);

/* ---- flags sweeps: results and the flags the SDM defines, hashed. */
static u32 hash = 2166136261u;
static void mix(u32 v) { for (int i = 0; i < 4; i++) { hash ^= (v >> (8 * i)) & 0xff; hash *= 16777619u; } }

#define BINOP(name, insn, mask)                                                        \
  static void sweep_##name(void) {                                                     \
    static const u32 vals[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000,        \
      0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,       \
      0x12345678, 0x9abcdef0, 0x55, 0xaa, 0x99, 0x1f, 0x20, 0x21};                      \
    hash = 2166136261u;                                                                \
    for (u32 i = 0; i < sizeof vals / 4; i++)                                          \
      for (u32 j = 0; j < sizeof vals / 4; j++)                                        \
        for (u32 cf = 0; cf < 2; cf++) {                                               \
          u32 a = vals[i], b = vals[j], c = vals[j] & 0x3f, f = cf | 0x2;              \
          __asm__ volatile("push %3; popf; " insn "; pushf; pop %3"                    \
                           : "+a"(a), "+d"(b), "+c"(c), "+r"(f) :: "cc");              \
          mix(a); mix(b); mix(f & (mask));                                             \
        }                                                                              \
    puts_serial(#name " "); puthex(hash); putc_serial('\n');                         \
  }

BINOP(add, "addl %%edx, %%eax", 0x8d5)
BINOP(adc, "adcl %%edx, %%eax", 0x8d5)
BINOP(sub, "subl %%edx, %%eax", 0x8d5)
BINOP(sbb, "sbbl %%edx, %%eax", 0x8d5)
BINOP(cmp8, "cmpb %%dl, %%al", 0x8d5)
BINOP(add16, "addw %%dx, %%ax", 0x8d5)
BINOP(and, "andl %%edx, %%eax", 0x8c5)
BINOP(xor8, "xorb %%dl, %%al", 0x8c5)
BINOP(neg, "negl %%eax", 0x8d5)
BINOP(inc, "incl %%eax", 0x8d5)
BINOP(dec8, "decb %%al", 0x8d5)
BINOP(shl, "shll %%cl, %%eax", 0xc5)
BINOP(shr, "shrl %%cl, %%eax", 0xc5)
BINOP(sar, "sarl %%cl, %%eax", 0xc5)
BINOP(shl1, "shll $1, %%eax", 0x8c5)
BINOP(rol, "roll %%cl, %%eax", 0x1)
BINOP(rcr, "rcrl %%cl, %%eax", 0x1)
BINOP(rcl8, "rclb %%cl, %%al", 0x1)
BINOP(mul, "mull %%edx", 0x801)
BINOP(imul, "imull %%edx, %%eax", 0x801)
BINOP(imul1, "imull %%edx", 0x801)
BINOP(shld, "shldl %%cl, %%edx, %%eax", 0xc5)
BINOP(bt, "btl %%edx, %%eax", 0x1)
BINOP(bsf, "bsfl %%edx, %%eax", 0x40)
BINOP(daa, "daa", 0xd5)
BINOP(das, "das", 0xd5)
BINOP(aaa, "aaa", 0x11)
BINOP(aam, "aam", 0xc4)
BINOP(xadd, "xaddl %%edx, %%eax", 0x8d5)
BINOP(cmpxchg, "cmpxchgl %%ecx, %%edx", 0x8d5)

/* ---- IDT and exceptions. */
struct gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
static struct gate idt[256];
u32 bounds[2] = {10, 20};
struct frame { u32 vec, err, eip, cs, eflags; };
static volatile u32 last_vec, last_err, last_eip, last_cr2;
volatile u32 resume;
static u16 kernel_cs;

void trap_common(struct frame *f) {
  last_vec = f->vec; last_err = f->err; last_eip = f->eip;
  __asm__ volatile("mov %%cr2, %0" : "=r"(last_cr2));
  if (resume) f->eip = resume; /* continue after the faulting instruction */
  resume = 0;
}

#define STUB(n, pushzero)                                                     \
  __asm__(".globl stub" #n "\nstub" #n ":\n" pushzero                       \
          "push $" #n "\n"                                                    \
          "push %esp\ncall trap_common\nadd $12, %esp\niret\n");
STUB(0, "push $0\n") STUB(3, "push $0\n") STUB(4, "push $0\n") STUB(5, "push $0\n") STUB(6, "push $0\n") STUB(13, "") STUB(14, "")
extern char stub0[], stub3[], stub4[], stub5[], stub6[], stub13[], stub14[];

static void set_gate(int n, void *h, u8 type) {
  u32 a = (u32)h;
  idt[n].off_lo = (u16)a; idt[n].off_hi = (u16)(a >> 16); idt[n].sel = kernel_cs; idt[n].zero = 0; idt[n].type = type;
}

static void report(const char *what) {
  puts_serial(what); puts_serial(" vec "); putdec(last_vec); puts_serial(" err "); puthex(last_err);
  puts_serial(" eip "); puthex(last_eip); putc_serial('\n');
}

static u32 pgdir[1024] __attribute__((aligned(4096)));
static u32 pgtab[4][1024] __attribute__((aligned(4096)));

void kmain(u32 magic, u32 *info) {
  puts_serial("magic "); puthex(magic); putc_serial('\n');
  puts_serial("flags "); puthex(info[0] & 0x45); putc_serial('\n');
  u32 out[8];
  u32 acc = workload(3, out);
  puts_serial("workload "); putdec(acc);
  for (int i = 0; i < 7; i++) { putc_serial(' '); putdec(out[i]); }
  putc_serial('\n');

  sweep_add(); sweep_adc(); sweep_sub(); sweep_sbb(); sweep_cmp8(); sweep_add16(); sweep_and(); sweep_xor8();
  sweep_neg(); sweep_inc(); sweep_dec8(); sweep_shl(); sweep_shr(); sweep_sar(); sweep_shl1(); sweep_rol();
  sweep_rcr(); sweep_rcl8(); sweep_mul(); sweep_imul(); sweep_imul1(); sweep_shld(); sweep_bt(); sweep_bsf();
  sweep_daa(); sweep_das(); sweep_aaa(); sweep_aam(); sweep_xadd(); sweep_cmpxchg();

  __asm__ volatile("mov %%cs, %0" : "=r"(kernel_cs));
  set_gate(0, stub0, 0x8e); set_gate(3, stub3, 0x8f); set_gate(4, stub4, 0x8f); set_gate(5, stub5, 0x8e);
  set_gate(6, stub6, 0x8e); set_gate(13, stub13, 0x8e); set_gate(14, stub14, 0x8e);
  struct { u16 limit; u32 base; } __attribute__((packed)) idtr = { sizeof idt - 1, (u32)idt };
  __asm__ volatile("lidt %0" :: "m"(idtr));

  /* Each probe stores the address after the faulting instruction in `resume`. */
#define PROBE(name, body, ...) \
  __asm__ volatile("movl $1f, resume\n\t" body "\n1:" ::: "memory", "cc", ##__VA_ARGS__); report(name)
  PROBE("#DE", "xor %%ecx, %%ecx; div %%ecx", "eax", "ecx", "edx");
  PROBE("#BP", "int3");
  PROBE("#OF", "mov $0x7fffffff, %%eax; add $1, %%eax; into", "eax");
  PROBE("#UD", "ud2");
  PROBE("#GP", "mov $0x1234, %%eax; mov %%eax, %%ds", "eax");
  PROBE("#BR", "mov $30, %%eax; mov $bounds, %%edx; bound %%eax, (%%edx)", "eax", "edx");

  /* Paging: identity-map 16 MiB, leave one page unmapped, one read-only. */
  for (int t = 0; t < 4; t++) {
    for (int i = 0; i < 1024; i++) pgtab[t][i] = ((u32)(t * 1024 + i) << 12) | 3;
    pgdir[t] = (u32)pgtab[t] | 3;
  }
  pgtab[2][5] = 0;              /* 0x805000 not present */
  pgtab[2][6] &= ~2u;           /* 0x806000 read-only */
  __asm__ volatile("mov %0, %%cr3; mov %%cr0, %%eax; or $0x80010000, %%eax; mov %%eax, %%cr0" :: "r"(pgdir) : "eax");
  PROBE("#PF read", "movl 0x805010, %%eax", "eax"); puts_serial("cr2 "); puthex(last_cr2); putc_serial('\n');
  PROBE("#PF write", "movl $1, 0x806020"); puts_serial("cr2 "); puthex(last_cr2); putc_serial('\n');
  puts_serial("dirty "); puthex(pgtab[0][0x100] & 0x60); puts_serial(" ro "); puthex(pgtab[2][6] & 0x60); putc_serial('\n');
  puts_serial("done\n");
  qemu_exit(0x10);
}
