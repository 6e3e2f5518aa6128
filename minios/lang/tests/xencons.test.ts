// The console ring driver on the bare machine: output wraps around the out ring, input is taken from the in ring.
import { describe, expect, it } from 'vitest';
import { KernelRunner } from './machine.js';

const OUT = 1024, IN_CONS = 3072, IN_PROD = 3076, OUT_CONS = 3080, OUT_PROD = 3084;

describe('xencons ring', () => {
  const k = KernelRunner.of({
    'c.ts': `import { use_console_ring, xencons_event, console_read } from "minios/xencons_ring";
import { printk } from "minios/console";
import { init_events } from "minios/events";
import type { xencons_interface_t } from "xen/public";
const ring = static_struct<xencons_interface_t>(4096);
const got = static_buffer<u8>(64);
export function ring_addr(): u32 { return u32(ring); }
export function got_addr(): u32 { return u32(got); }
export function setup(): void { init_events(); use_console_ring(ring, 3); }
export function say(n: u32): void { printk("count=%u done\\n", n); }
export function input(): u32 { xencons_event(3, NULL, NULL); return console_read(got, 64); }
`,
  });
  const base = k.call('ring_addr').eax;

  it('writes printk output into the out ring across its end', () => {
    k.mem.write32(k.addr('HYPERVISOR_shared_info'), k.addr('shared_info_page'));
    k.call('setup');
    k.mem.write32(base + OUT_CONS, 2040);
    k.mem.write32(base + OUT_PROD, 2040);
    k.call('say', [42]);
    const prod = k.read32(base + OUT_PROD);
    const text = 'count=42 done\n';
    expect(prod).toBe(2040 + text.length);
    let s = '';
    for (let i = 2040; i < prod; i++) s += String.fromCharCode(k.mem.read8(base + OUT + (i & 2047)));
    expect(s).toBe(text);
  });

  it('takes input from the in ring and frees it', () => {
    k.mem.write32(base + IN_CONS, 1020);
    const text = 'hello xen';
    for (let i = 0; i < text.length; i++) k.mem.write8(base + ((1020 + i) & 1023), text.charCodeAt(i));
    k.mem.write32(base + IN_PROD, 1020 + text.length);
    const n = k.call('input').eax;
    expect(n).toBe(text.length);
    expect(new TextDecoder().decode(k.mem.readBytes(k.call('got_addr').eax, n))).toBe(text);
    expect(k.read32(base + IN_CONS)).toBe(1020 + text.length);
  });
});
