/* Freestanding helpers for the test kernels: serial output and exit. */
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }

static void putc_serial(char c) {
  while (!(inb(0x3f8 + 5) & 0x20)) {}
  outb(0x3f8, (u8)c);
}
static void puts_serial(const char *s) { while (*s) putc_serial(*s++); }
static void puthex(u32 v) {
  const char *d = "0123456789abcdef";
  for (int i = 28; i >= 0; i -= 4) putc_serial(d[(v >> i) & 15]);
}
static void putdec(u32 v) {
  char b[12]; int n = 0;
  do { b[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) putc_serial(b[--n]);
}
static void qemu_exit(u32 code) { outl(0xf4, code); for (;;) __asm__ volatile("cli; hlt"); }
