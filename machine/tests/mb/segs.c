/* A Multiboot test kernel run on xenlab and QEMU: lar, lsl, verr and verw on
   every kind of descriptor (the 16 system types, data read-only, read/write
   and expand-down, code execute-only and readable, conforming or not, not
   present, beyond the GDT limit, in the LDT), each at DPL 0 and 3, with RPL 0
   and 3, from ring 0 and from ring 3. Every result (ZF and the value) is
   printed; the two outputs must agree. */
#include "lib.h"

struct tss { u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, regs[8], es, cs, ss, ds, fs, gs, ldt; u16 trap, iomap; } __attribute__((packed));
static struct tss tss;
#define NGDT 64
static unsigned long long gdt[NGDT];
static unsigned long long ldt[4];
struct gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
static struct gate idt[256];
static u8 kstack[4096] __attribute__((aligned(16)));
static u8 ustack[4096] __attribute__((aligned(16)));
#define FIRST 7
#define NSEL ((NGDT - FIRST + 4) * 2)
u32 res[NSEL][5];   /* selector, lar (ZF<<31 | value >> 8), lsl value, lsl ZF | verr ZF << 1 | verw ZF << 2 */
u16 sels[NSEL];

static unsigned long long seg(u32 base, u32 limit, u32 access, u32 flags) {
  return (unsigned long long)(limit & 0xffff) | ((unsigned long long)(base & 0xffffff) << 16) |
         ((unsigned long long)access << 40) | ((unsigned long long)((limit >> 16) & 0xf) << 48) |
         ((unsigned long long)flags << 52) | ((unsigned long long)(base >> 24) << 56);
}

/* Runs the four instructions on every selector; plain code that runs in any ring. */
static void probe_all(void) {
  for (int k = 0; k < NSEL; k++) {
    u32 sel = sels[k], v = 0xdeadbeef, w = 0xdeadbeef;
    u8 zl, zs, zr, zw;
    __asm__ volatile("lar %2, %0\nsetz %1" : "+r"(v), "=q"(zl) : "r"(sel) : "cc");
    __asm__ volatile("lsl %2, %0\nsetz %1" : "+r"(w), "=q"(zs) : "r"(sel) : "cc");
    __asm__ volatile("verr %w1\nsetz %0" : "=q"(zr) : "r"(sel) : "cc");
    __asm__ volatile("verw %w1\nsetz %0" : "=q"(zw) : "r"(sel) : "cc");
    res[k][0] = sel; res[k][1] = v; res[k][2] = w; res[k][3] = (u32)zl | (u32)zs << 1 | (u32)zr << 2 | (u32)zw << 3;
  }
}

static void report(const char *ring) {
  for (int k = 0; k < NSEL; k++) {
    puts_serial(ring); puts_serial(" sel "); puthex(res[k][0]); puts_serial(" lar "); puthex(res[k][1]);
    puts_serial(" lsl "); puthex(res[k][2]); puts_serial(" zf "); puthex(res[k][3]); putc_serial('\n');
  }
}

struct frame { u32 vec, err, eip, cs, eflags, esp, ss; };
void trap(struct frame *f) {
  if (f->vec == 0x80) { report("ring3"); puts_serial("done\n"); qemu_exit(0x17); }
  puts_serial("unexpected trap "); putdec(f->vec); puts_serial(" err "); puthex(f->err); puts_serial(" eip "); puthex(f->eip); putc_serial('\n');
  qemu_exit(0x7f);
}
__asm__(".globl s13\ns13: push $13\njmp common\n"
        ".globl s80\ns80: push $0\npush $0x80\njmp common\n"
        "common: pusha\npush %ds\npush %es\nmov $0x10, %ax\nmov %ax, %ds\nmov %ax, %es\n"
        "lea 40(%esp), %eax\npush %eax\ncall trap\nadd $4, %esp\npop %es\npop %ds\npopa\nadd $8, %esp\niret\n");
extern char s13[], s80[];

void user(void) {
  probe_all();
  __asm__ volatile("int $0x80");
}

void kmain(u32 magic, u32 *info) {
  (void)magic; (void)info;
  gdt[1] = seg(0, 0xfffff, 0x9a, 0xc);  /* 0x08 ring-0 code */
  gdt[2] = seg(0, 0xfffff, 0x92, 0xc);  /* 0x10 ring-0 data */
  gdt[3] = seg(0, 0xfffff, 0xfa, 0xc);  /* 0x1b ring-3 code */
  gdt[4] = seg(0, 0xfffff, 0xf2, 0xc);  /* 0x23 ring-3 data */
  gdt[5] = seg((u32)&tss, sizeof tss - 1, 0x89, 0); /* 0x28 TSS */
  gdt[6] = seg((u32)ldt, sizeof ldt - 1, 0x82, 0);  /* 0x30 LDT */
  /* The probe descriptors: 16 system types and 7 code/data types, each at DPL 0 and 3,
     with assorted limits and granularity; one not present. */
  int n = FIRST;
  static const u8 kinds[] = {0x10, 0x12, 0x16, 0x18, 0x1a, 0x1c, 0x1e};
  for (int t = 0; t < 16 && n < NGDT; t++)
    for (int dpl = 0; dpl < 4; dpl += 3) gdt[n++] = seg(0x1000 * t, 0x1234 + t, 0x80 | (dpl << 5) | t, t & 1 ? 0x8 : 0x0);
  for (unsigned k = 0; k < sizeof kinds && n < NGDT; k++)
    for (int dpl = 0; dpl < 4; dpl += 3) gdt[n++] = seg(0, 0xabcde - k, 0x80 | (dpl << 5) | kinds[k], k & 1 ? 0xc : 0x4);
  if (n < NGDT) gdt[n++] = seg(0, 0xfff, 0x72, 0x4);  /* ring-3 data, not present */
  while (n < NGDT) { gdt[n] = seg(0, 0x55, 0xf2, 0x0); n++; }
  ldt[1] = seg(0, 0x777, 0xf2, 0x0);  ldt[2] = seg(0, 0x666, 0x9a, 0x0);  ldt[3] = seg(0, 0x555, 0xe2, 0x0); /* an LDT entry of system type */
  int k = 0;
  for (int i = FIRST; i < NGDT; i++) { sels[k++] = (u16)(i * 8); sels[k++] = (u16)(i * 8 + 3); }
  sels[k++] = 0; sels[k++] = 3;                             /* null */
  sels[k++] = NGDT * 8; sels[k++] = NGDT * 8 + 3;           /* beyond the GDT */
  sels[k++] = 0x0c; sels[k++] = 0x0f;                       /* LDT 1 */
  sels[k++] = 0x14; sels[k++] = 0x1f;                       /* LDT 2 (RPL 3), LDT 3 */
  struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (u32)gdt }, idtr = { sizeof idt - 1, (u32)idt };
  __asm__ volatile("lgdt %0\nljmp $0x08, $1f\n1: mov $0x10, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\nmov %%ax, %%ss\n" :: "m"(gdtr) : "eax");
  __asm__ volatile("lldt %w0" :: "r"(0x30));
  tss.ss0 = 0x10; tss.esp0 = (u32)kstack + sizeof kstack; tss.iomap = sizeof tss;
  __asm__ volatile("ltr %w0" :: "r"(0x28));
  u32 a = (u32)s13; idt[13] = (struct gate){ (u16)a, 0x08, 0, 0x8e, (u16)(a >> 16) };
  a = (u32)s80; idt[0x80] = (struct gate){ (u16)a, 0x08, 0, 0xee, (u16)(a >> 16) };
  __asm__ volatile("lidt %0" :: "m"(idtr));
  probe_all();
  report("ring0");
  __asm__ volatile(
    "push $0x23\npush %0\npush $0x002\npush $0x1b\npush $user\n"
    "mov $0x23, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\niret\n"
    :: "r"((u32)ustack + sizeof ustack - 16) : "eax");
}
