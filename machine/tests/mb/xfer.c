/* A Multiboot test kernel run on xenlab and QEMU: control transfers across
   and within privilege levels. A far return with an immediate from ring 0 to
   ring 3 (both stacks adjusted, a ring-0 DS scrubbed), a far call from ring 3
   through a call gate that copies two parameters to the ring-0 stack and a
   far return with an immediate back (ring-0 DS scrubbed again), far call and
   far jump to a conforming ring-0 segment (CPL stays 3), and int n through a
   gate to a conforming segment (no stack switch). Each step records what it
   saw; ring 0 prints the record at the end. The two outputs must agree. */
#include "lib.h"

struct tss { u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, regs[8], es, cs, ss, ds, fs, gs, ldt; u16 trap, iomap; } __attribute__((packed));
struct tss tss;
static unsigned long long gdt[12];
struct gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
static struct gate idt[256];
u8 kstack[4096] __attribute__((aligned(16)));
u8 ustack[4096] __attribute__((aligned(16)));
u32 rec[32];
u32 mark;

static unsigned long long seg(u32 base, u32 limit, u32 access, u32 flags) {
  return (unsigned long long)(limit & 0xffff) | ((unsigned long long)(base & 0xffffff) << 16) |
         ((unsigned long long)access << 40) | ((unsigned long long)((limit >> 16) & 0xf) << 48) |
         ((unsigned long long)flags << 52) | ((unsigned long long)(base >> 24) << 56);
}

void trap(u32 vec) {
  if (vec != 0x80) { puts_serial("unexpected trap "); putdec(vec); putc_serial('\n'); qemu_exit(0x7f); }
  for (int i = 0; i < 24; i++) { puts_serial("rec "); putdec(i); putc_serial(' '); puthex(rec[i]); putc_serial('\n'); }
  puts_serial("done\n");
  qemu_exit(0x18);
}
__asm__(".globl s13\ns13: push $13\njmp common\n"
        ".globl s80\ns80: push $0\npush $0x80\njmp common\n"
        "common: mov $0x10, %ax\nmov %ax, %ds\nmov %ax, %es\npushl (%esp)\ncall trap\n1: jmp 1b\n");
extern char s13[], s80[];

/* Ring 0, entered from ring 3 through the call gate 0x3b (two parameters). */
__asm__(".globl gate_target\ngate_target:\n"
        "mov %cs, %eax\nmov %eax, rec+12\nmov %ss, %eax\nmov %eax, rec+16\n"
        "mov $kstack+4096, %eax\nsub %esp, %eax\nmov %eax, rec+20\n"
        "mov (%esp), %eax\nsub $ret_a, %eax\nmov %eax, rec+24\n"     /* return EIP (relative) */
        "mov 4(%esp), %eax\nmov %eax, rec+28\n"                         /* return CS */
        "mov 8(%esp), %eax\nmov %eax, rec+32\nmov 12(%esp), %eax\nmov %eax, rec+36\n" /* parameters */
        "mov 16(%esp), %eax\nsub mark, %eax\nmov %eax, rec+40\n"        /* caller ESP (relative to before the pushes) */
        "mov 20(%esp), %eax\nmov %eax, rec+44\n"                        /* caller SS */
        "mov $0x10, %ax\nmov %ax, %ds\nlret $8\n");
/* Ring 0 conforming segment: runs at CPL 3. */
__asm__(".globl conf_call\nconf_call:\n"
        "mov %cs, %eax\nmov %eax, rec+60\nmov %ss, %eax\nmov %eax, rec+64\n"
        "mov mark, %eax\nsub %esp, %eax\nmov %eax, rec+68\nlret\n"
        ".globl conf_jmp\nconf_jmp:\nmov %cs, %eax\nmov %eax, rec+72\nljmp $0x1b, $back_c\n"
        ".globl conf_int\nconf_int:\n"
        "mov %cs, %eax\nmov %eax, rec+76\nmov mark, %eax\nsub %esp, %eax\nmov %eax, rec+80\n"
        "mov 4(%esp), %eax\nmov %eax, rec+84\niret\n");

/* Ring 3. */
__asm__(".globl user\nuser:\n"
        "mov %ds, %eax\nmov $0x23, %bx\nmov %bx, %ds\nmov %bx, %es\nmov %eax, rec\n"  /* DS scrubbed by the far return */
        "mov $ustack+4096-16, %eax\nsub %esp, %eax\nneg %eax\nmov %eax, rec+4\n"      /* ESP: +4 from retf $4 */
        "mov %cs, %eax\nmov %eax, rec+8\n"
        "mov %esp, mark\npush $0x111\npush $0x222\nlcall $0x3b, $0\n.globl ret_a\nret_a:\n"
        "mov %ds, %eax\nmov $0x23, %bx\nmov %bx, %ds\nmov %eax, rec+48\n"              /* DS scrubbed again */
        "mov mark, %eax\nsub %esp, %eax\nmov %eax, rec+52\n"                             /* 0: both pushes released */
        "mov %cs, %eax\nmov %eax, rec+56\n"
        "mov %esp, mark\nlcall $0x30, $conf_call\n"
        "ljmp $0x30, $conf_jmp\nback_c:\n"
        "mov %esp, mark\nint $0x82\n"
        "int $0x80\n");

void kmain(u32 magic, u32 *info) {
  (void)magic; (void)info;
  gdt[1] = seg(0, 0xfffff, 0x9a, 0xc);  /* 0x08 ring-0 code */
  gdt[2] = seg(0, 0xfffff, 0x92, 0xc);  /* 0x10 ring-0 data */
  gdt[3] = seg(0, 0xfffff, 0xfa, 0xc);  /* 0x1b ring-3 code */
  gdt[4] = seg(0, 0xfffff, 0xf2, 0xc);  /* 0x23 ring-3 data */
  gdt[5] = seg((u32)&tss, sizeof tss - 1, 0x89, 0); /* 0x28 TSS */
  gdt[6] = seg(0, 0xfffff, 0x9e, 0xc);  /* 0x30 ring-0 conforming code */
  { extern char gate_target[]; u32 t = (u32)gate_target;   /* 0x3b call gate, DPL 3, 2 parameters */
    gdt[7] = (unsigned long long)((t & 0xffff) | (0x08u << 16)) | ((unsigned long long)((t & 0xffff0000u) | 0xec00u | 2) << 32); }
  struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (u32)gdt }, idtr = { sizeof idt - 1, (u32)idt };
  __asm__ volatile("lgdt %0\nljmp $0x08, $1f\n1: mov $0x10, %%ax\nmov %%ax, %%ds\nmov %%ax, %%es\nmov %%ax, %%ss\n" :: "m"(gdtr) : "eax");
  tss.ss0 = 0x10; tss.esp0 = (u32)kstack + sizeof kstack; tss.iomap = sizeof tss;
  __asm__ volatile("ltr %w0" :: "r"(0x28));
  extern char conf_int[];
  u32 a = (u32)s13; idt[13] = (struct gate){ (u16)a, 0x08, 0, 0x8e, (u16)(a >> 16) };
  a = (u32)s80; idt[0x80] = (struct gate){ (u16)a, 0x08, 0, 0xee, (u16)(a >> 16) };
  a = (u32)conf_int; idt[0x82] = (struct gate){ (u16)a, 0x30, 0, 0xee, (u16)(a >> 16) };
  __asm__ volatile("lidt %0" :: "m"(idtr));
  /* Into ring 3 with retf $4: EIP, CS, 4 bytes released on this stack, ESP, SS, 4 more on the new one. */
  __asm__ volatile("push $0x23\npush %0\npush $0xaaaa\npush $0x1b\npush $user\nlret $4\n"
                   :: "r"((u32)ustack + sizeof ustack - 16) : "memory");
}
