// Exercise 04: the kernel that exercises your console driver (you need not change this file).
// It sets up events, calls xencons_init, writes a text longer than the ring (40 lines one call each, then one
// 3000-byte block in a single call), then echoes everything typed until Ctrl-D (byte 4), says "bye" and powers off.
import "minios/bootstrap";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { init_events } from "minios/events";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { strlen } from "minios/string";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type sched_shutdown_t, type start_info_t } from "xen/public";
import { xencons_init, xencons_read, xencons_write } from "./xencons";

const LINES: u32 = 40;
const BLOCK_LINES: u32 = 50;
const FILL = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const CTRL_D: u8 = 4;

const line = static_buffer<u8>(128);
const block = static_buffer<u8>(3000);
const typed = static_buffer<u8>(64);

function puts(s: CharPtr): void {
  xencons_write(ptr<u8>(s), strlen(s));
}

/** Two decimal digits of n at p. */
function two_digits(p: Ptr<u8>, n: u32): void {
  p[0] = char('0') + u8(n / 10);
  p[1] = char('0') + u8(n % 10);
}

/** Copies `count` characters of FILL, starting at `from` and wrapping, to p. */
function fill(p: Ptr<u8>, from: u32, count: u32): void {
  const f = ptr<u8>(FILL);
  for (let i: u32 = 0; i < count; i++) p[i] = f[(from + i) % FILL.length];
}

/** "ring line NN/40: " + 48 characters + "\n": 66 bytes each. */
function write_lines(): void {
  const head = "ring line 00/40: ";
  for (let n: u32 = 1; n <= LINES; n++) {
    const h = ptr<u8>(head);
    for (let i: u32 = 0; i < head.length; i++) line[i] = h[i];
    two_digits(line.add(10), n);
    fill(line.add(head.length), n, 48);
    line[head.length + 48] = char('\n');
    xencons_write(line, head.length + 49);
  }
}

/** 50 lines of "block NN " + 50 characters + "\n" (60 bytes each): 3000 bytes in one write. */
function write_block(): void {
  for (let n: u32 = 0; n < BLOCK_LINES; n++) {
    const p = block.add(n * 60);
    p[0] = char('b'); p[1] = char('l'); p[2] = char('o'); p[3] = char('c'); p[4] = char('k'); p[5] = char(' ');
    two_digits(p.add(6), n);
    p[8] = char(' ');
    fill(p.add(9), n * 7, 50);
    p[59] = char('\n');
  }
  xencons_write(block, BLOCK_LINES * 60);
}

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  local_irq_enable();
  xencons_init(si);
  puts("console: ring driver up\n");
  write_lines();
  write_block();
  puts("echo: type, end with Ctrl-D\n");
  while (true) {
    const n = xencons_read(typed, 64);
    let k: u32 = 0;
    while (k < n && typed[k] != CTRL_D) k++;
    if (k > 0) xencons_write(typed, k);
    if (k < n) break;
  }
  puts("\nbye\n");
  const s = stack_struct<sched_shutdown_t>();
  s.reason = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, s);
}
