// The library against the real hypervisor and Dom0: XenStore through xenbus, console output through the ring.
import { describe, expect, it } from 'vitest';
import { bootWithDom0 } from './dom0.js';

const kernel = `import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { init_events } from "minios/events";
import { init_time } from "minios/time";
import { init_mm } from "minios/mm";
import { init_xenbus, xenbus_ls, xenbus_read, xenbus_write, xenbus_transaction_start, xenbus_transaction_end } from "minios/xenbus";
import { init_xencons_ring } from "minios/xencons_ring";
import { strlen } from "minios/string";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

const buf = static_buffer<u8>(512);

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  init_time();
  init_mm(si);
  local_irq_enable();
  printk("xenbus %d\\n", init_xenbus(si));
  const n = xenbus_read(0, "name", buf, 512);
  printk("name %d %s\\n", n, buf);
  printk("write %d\\n", xenbus_write(0, "data/greeting", "hello dom0"));
  let xbt: u32 = 0;
  let retry: u32 = 0;
  printk("tx %d\\n", xenbus_transaction_start(addr_of(xbt)));
  xenbus_write(xbt, "data/counter", "1");
  printk("commit %d retry %u\\n", xenbus_transaction_end(xbt, false, addr_of(retry)), retry);
  const count = xenbus_ls(0, "data", buf, 512);
  printk("ls %d:", count);
  let p = buf;
  for (let i: i32 = 0; i < count; i++) { printk(" %s", p); p = p.add(strlen(p) + 1); }
  printk("\\n");
  printk("ring %d\\n", init_xencons_ring(si));
  printk("through the ring\\n");
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`;

describe('with Dom0', () => {
  it('talks to xenstored through xenbus and writes the console ring', () => {
    const r = bootWithDom0({ 'k.ts': kernel });
    expect(r.xenConsole).toContain('xenbus 0\nname 5 guest\nwrite 0\ntx 0\ncommit 0 retry 0\nls 2: greeting counter\n');
    // From init_xencons_ring on, printk goes through the ring to Dom0's console backend.
    expect(r.ringConsole).toBe('ring 0\nthrough the ring\n');
    expect(r.dom0.xs.read(`/local/domain/1/data/greeting`)).toBe('hello dom0');
    expect(r.state).toBe('shutdown');
  });
});
