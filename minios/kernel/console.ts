// The console: printk with a C format string, written to Xen's emergency console (console_io) until the console
// ring is set up, then to the ring shared with Dom0's console backend (io/console.h), with an event to wake it.
import { HYPERVISOR_console_io } from "minios/hypercalls";
import { CONSOLEIO_write } from "xen/public";

/** Output is collected here and written in one piece per printk (or when full). */
const line = static_buffer<u8>(512);
let line_len: u32 = 0;

/** Where console text goes; console_ring.ts replaces it once the ring is up. */
let console_sink: (data: Ptr<u8>, len: u32) => void = console_io_write;

export function console_io_write(data: Ptr<u8>, len: u32): void {
  HYPERVISOR_console_io(CONSOLEIO_write, len, data);
}

export function set_console_sink(sink: (data: Ptr<u8>, len: u32) => void): void {
  flush();
  console_sink = sink;
}

/** Writes len bytes to the console. */
export function console_print(data: CharPtr, len: u32): void {
  flush();
  console_sink(ptr<u8>(data), len);
}

function flush(): void {
  if (line_len != 0) {
    console_sink(line, line_len);
    line_len = 0;
  }
}

function put(c: u8): void {
  line[line_len] = c;
  line_len++;
  if (line_len == 512) flush();
}

function put_padded(digits: Ptr<u8>, n: u32, width: u32, pad: u8, left: bool, negative: bool): void {
  let len: u32 = n + (negative ? 1 : 0);
  if (negative && pad == char('0')) put(char('-'));
  if (!left) {
    while (len < width) {
      put(pad);
      len++;
    }
  }
  if (negative && pad != char('0')) put(char('-'));
  while (n > 0) {
    n--;
    put(digits[n]);
  }
  while (len < width) {
    put(char(' '));
    len++;
  }
}

/** Digits of v in base (least significant first) into buf; returns their count. */
function digits64(v: u64, base: u32, upper: bool, buf: Ptr<u8>): u32 {
  let n: u32 = 0;
  const a: u8 = upper ? char('A') : char('a');
  if (v >> 32n == 0n) {
    // The common case stays in 32 bits (no 64-bit division helper).
    let w: u32 = u32(v);
    do {
      const d: u32 = w % base;
      buf[n] = d < 10 ? u8(d) + char('0') : u8(d - 10) + a;
      n++;
      w = w / base;
    } while (w != 0);
    return n;
  }
  do {
    const d: u32 = u32(v % u64(base));
    buf[n] = d < 10 ? u8(d) + char('0') : u8(d - 10) + a;
    n++;
    v = v / u64(base);
  } while (v != 0n);
  return n;
}

/**
 * Formats like C's printf: %d %i %u %x %X %p %s %c %%, with flags '-' and '0', a width, and l/ll sizes
 * (%lld, %llu, %llx take a u64/i64).
 */
export function printk(fmt: cstr, ...args: VarArg[]): void {
  const ap = va_start(args);
  let ai: u32 = 0;
  const f = ptr<u8>(fmt);
  const buf = stack_buffer<u8>(24);
  let i: u32 = 0;
  while (f[i] != 0) {
    let c: u8 = f[i];
    i++;
    if (c != char('%')) {
      put(c);
      continue;
    }
    let pad: u8 = char(' ');
    let left: bool = false;
    let width: u32 = 0;
    let longs: u32 = 0;
    if (f[i] == char('-')) {
      left = true;
      i++;
    }
    if (f[i] == char('0')) {
      pad = char('0');
      i++;
    }
    while (f[i] >= char('0') && f[i] <= char('9')) {
      width = width * 10 + u32(f[i] - char('0'));
      i++;
    }
    while (f[i] == char('l')) {
      longs++;
      i++;
    }
    c = f[i];
    if (c == 0) break;
    i++;
    switch (c) {
      case char('d'):
      case char('i'):
      case char('u'):
      case char('x'):
      case char('X'): {
        let v: u64 = 0n;
        let negative: bool = false;
        if (longs >= 2) {
          v = u64(ap[ai]) | (u64(ap[ai + 1]) << 32n);
          ai += 2;
          if ((c == char('d') || c == char('i')) && i64(v) < 0n) {
            negative = true;
            v = u64(-i64(v));
          }
        } else {
          const w: u32 = ap[ai];
          ai++;
          if ((c == char('d') || c == char('i')) && i32(w) < 0) {
            negative = true;
            v = u64(u32(-i32(w)));
          } else v = u64(w);
        }
        const base: u32 = c == char('x') || c == char('X') ? 16 : 10;
        const n = digits64(v, base, c == char('X'), buf);
        put_padded(buf, n, width, pad, left, negative);
        break;
      }
      case char('p'): {
        put(char('0'));
        put(char('x'));
        const n = digits64(u64(ap[ai]), 16, false, buf);
        ai++;
        put_padded(buf, n, 8, char('0'), false, false);
        break;
      }
      case char('c'):
        put(u8(ap[ai]));
        ai++;
        break;
      case char('s'): {
        const s = ptr<u8>(ap[ai]);
        ai++;
        let n: u32 = 0;
        while (s[n] != 0) n++;
        if (!left) {
          for (let k: u32 = n; k < width; k++) put(char(' '));
        }
        for (let k: u32 = 0; k < n; k++) put(s[k]);
        if (left) {
          for (let k: u32 = n; k < width; k++) put(char(' '));
        }
        break;
      }
      case char('%'):
        put(char('%'));
        break;
      default:
        put(char('%'));
        put(c);
    }
  }
  flush();
}
