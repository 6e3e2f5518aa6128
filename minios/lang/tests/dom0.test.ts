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

const txKernel = `import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { init_events } from "minios/events";
import { init_time, msleep } from "minios/time";
import { init_mm } from "minios/mm";
import { init_xenbus, xenbus_read, xenbus_write, xenbus_transaction_start, xenbus_transaction_end } from "minios/xenbus";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

const buf = static_buffer<u8>(32);

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  init_time();
  init_mm(si);
  local_irq_enable();
  printk("xenbus %d\\n", init_xenbus(si));
  let attempts: u32 = 0;
  while (true) {
    attempts++;
    let xbt: u32 = 0;
    let retry: u32 = 0;
    xenbus_transaction_start(addr_of(xbt));
    const n = xenbus_read(xbt, "data/counter", buf, 32);
    printk("attempt %u read %d %s\\n", attempts, n, buf);
    xenbus_write(xbt, "data/counter", attempts == 1 ? "guest-1" : "guest-2");
    // Wait (outside the transaction) for the test to say go; it may change data/counter meanwhile.
    while (xenbus_read(0, "data/go", buf, 32) < 0) msleep(1);
    const rc = xenbus_transaction_end(xbt, false, addr_of(retry));
    printk("commit %d retry %u\\n", rc, retry);
    if (retry == 0) break;
  }
  printk("done after %u attempts\\n", attempts);
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`;

describe('a XenStore transaction against xenstored', () => {
  it('is retried after EAGAIN when Dom0 changed a node it read, and commits the second time', async () => {
    const { XenHost } = await import('../../../hypervisor/host.js');
    const { compileOk } = await import('./helpers.js');
    const host = new XenHost({ wallclock: { sec: 1_700_000_000, nsec: 0 } });
    const dom = host.createDomain({ kernel: compileOk({ 'k.ts': txKernel }).elf, name: 'guest', memoryMiB: 16 });
    let out = '';
    host.onConsole((_d, t) => { out += t; });
    const data = `/local/domain/${dom.domid}/data`;
    host.dom0.xs.write(`${data}/counter`, 'dom0-0');
    for (let i = 0; i < 100 && !out.includes('attempt 1'); i++) host.run({ budget: 1_000_000 });
    expect(out).toContain('attempt 1 read 6 dom0-0\n');
    host.dom0.xs.write(`${data}/counter`, 'dom0-1'); // a conflicting change while the transaction is open
    host.dom0.xs.write(`${data}/go`, '1');
    host.run({ budget: 100_000_000 });
    await host.close();
    expect(out).toMatch(/attempt 1 read 6 dom0-0\ncommit 0 retry 1\nattempt 2 read 6 dom0-1\ncommit 0 retry 0\ndone after 2 attempts\n/);
    expect(host.dom0.xs.read(`${data}/counter`)).toBe('guest-2');
  });
});

const watchKernel = `import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { init_events } from "minios/events";
import { init_time, msleep } from "minios/time";
import { init_mm } from "minios/mm";
import { init_xenbus, xenbus_watch_path_token, xenbus_poll_watches } from "minios/xenbus";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

let fired: u32 = 0;

function on_change(path: Ptr<u8>, token: Ptr<u8>): void {
  fired++;
  printk("watch %u: %s (%s)\\n", fired, path, token);
}

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  init_time();
  init_mm(si);
  local_irq_enable();
  init_xenbus(si);
  printk("watching %d\\n", xenbus_watch_path_token("data/w", "tok", on_change));
  for (let t: u32 = 0; t < 1000 && fired < 2; t++) { xenbus_poll_watches(); msleep(1); }
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`;

describe('a XenStore watch against xenstored', () => {
  it('calls back once when set (as xenstored fires a new watch) and again when Dom0 writes under the path', async () => {
    const { XenHost } = await import('../../../hypervisor/host.js');
    const { compileOk } = await import('./helpers.js');
    const host = new XenHost({ wallclock: { sec: 1_700_000_000, nsec: 0 } });
    const dom = host.createDomain({ kernel: compileOk({ 'k.ts': watchKernel }).elf, name: 'guest', memoryMiB: 16 });
    let out = '';
    host.onConsole((_d, t) => { out += t; });
    for (let i = 0; i < 100 && !out.includes('watch 1:'); i++) host.run({ budget: 1_000_000 });
    expect(out).toContain('watching 0\nwatch 1: data/w (tok)\n');
    host.dom0.xs.write(`/local/domain/${dom.domid}/data/w/x`, 'changed');
    host.run({ budget: 50_000_000 });
    await host.close();
    // a watch set on a relative path reports relative paths, as Xen's xenstored does
    expect(out).toMatch(/watch 2: data\/w\/x \(tok\)\n$/);
  });
});

const diskKernel = `import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { init_events } from "minios/events";
import { init_time } from "minios/time";
import { init_mm, alloc_pages } from "minios/mm";
import { init_gnttab } from "minios/gnttab";
import { init_xenbus } from "minios/xenbus";
import { init_blkfront, blkfront_read, blkfront_write, blkfront_flush, type blkfront_dev } from "minios/blkfront";
import { memcmp } from "minios/string";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

const dev = static_struct<blkfront_dev>();

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  init_time();
  init_mm(si);
  local_irq_enable();
  printk("gnttab %d xenbus %d\\n", init_gnttab(), init_xenbus(si));
  printk("blkfront %d\\n", init_blkfront(dev, "device/vbd/51712"));
  const out = ptr<u8>(alloc_pages(4));
  const back = ptr<u8>(alloc_pages(4));
  for (let i: u32 = 0; i < 16 * 4096; i++) out[i] = u8(i * 7 + 3);
  // 12 sectors starting at sector 3: one request spanning two pages (two segments).
  printk("write %d\\n", blkfront_write(dev, 3n, 12, out));
  printk("flush %d\\n", blkfront_flush(dev));
  printk("read %d\\n", blkfront_read(dev, 3n, 12, back));
  printk("same %d\\n", memcmp(out, back, 12 * 512) == 0);
  // The most one request carries: 11 segments (88 sectors, 44 KiB), from sector 20; one page more is refused.
  printk("max write %d read %d", blkfront_write(dev, 20n, 88, out), blkfront_read(dev, 20n, 88, back.add(4096)));
  printk(" same %d\\n", memcmp(out, back.add(4096), 88 * 512) == 0);
  printk("12 pages %d, unaligned %d\\n", blkfront_read(dev, 0n, 96, back), blkfront_read(dev, 0n, 1, back.add(512)));
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`;

describe('blkfront with Dom0 and a disk image', () => {
  it('connects, writes requests of two and of eleven segments (the most), flushes and reads them back', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-blk-'));
    try {
      const disk = path.join(dir, 'disk.img');
      fs.writeFileSync(disk, new Uint8Array(128 * 512));
      const r = bootWithDom0({ 'k.ts': diskKernel }, { disk, budget: 400_000_000 });
      expect(r.xenConsole).toMatch(/gnttab 0 xenbus 0\n/);
      expect(r.xenConsole).toMatch(/blkfront 0\nwrite 0\nflush 0\nread 0\nsame 1\nmax write 0 read 0 same 1\n12 pages -22, unaligned -22\n/);
      const img = fs.readFileSync(disk);
      for (let i = 0; i < 12 * 512; i++) if (img[3 * 512 + i] !== ((i * 7 + 3) & 0xff)) throw new Error(`disk byte ${i} differs`);
      for (let i = 0; i < 88 * 512; i++) if (img[20 * 512 + i] !== ((i * 7 + 3) & 0xff)) throw new Error(`disk byte ${i} of the 11-segment request differs`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('blkfront with a backend that is slow to start', () => {
  it('waits for InitWait before it offers its ring, then connects', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { XenHost } = await import('../../../hypervisor/host.js');
    const { compileOk } = await import('./helpers.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-blk-slow-'));
    try {
      const disk = path.join(dir, 'disk.img');
      fs.writeFileSync(disk, new Uint8Array(128 * 512));
      const host = new XenHost({ wallclock: { sec: 1_700_000_000, nsec: 0 } });
      const dom = host.createDomain({ kernel: compileOk({ 'k.ts': diskKernel }).elf, name: 'guest', memoryMiB: 16, disks: [{ target: disk }] });
      let out = '';
      host.onConsole((_d, t) => { out += t; });
      const be = `/local/domain/0/backend/vbd/${dom.domid}/51712/state`;
      const fe = `/local/domain/${dom.domid}/device/vbd/51712/state`;
      host.dom0.xs.write(be, '1'); // the backend driver has not probed the device yet
      host.run({ budget: 30_000_000 });
      expect(host.dom0.xs.read(fe)).toBe('1'); // the frontend waits: no ring offered to a backend that is not ready
      expect(out).not.toMatch(/blkfront -/);
      host.dom0.xs.write(be, '2');
      host.run({ budget: 400_000_000 });
      await host.close();
      expect(out).toMatch(/blkfront 0\nwrite 0\nflush 0\nread 0\nsame 1\n/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the demo kernel with Dom0 and a disk', () => {
  it('lists XenStore, moves the console to the ring, round-trips a sector, echoes console input, powers off', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { kernelDir } = await import('./helpers.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-demo-'));
    try {
      const disk = path.join(dir, 'disk.img');
      fs.writeFileSync(disk, new Uint8Array(64 * 512));
      const r = bootWithDom0({ 'demo.ts': fs.readFileSync(path.join(kernelDir, 'demo/demo.ts'), 'utf8') }, { disk, budget: 600_000_000, input: 'typed ahead' });
      expect(r.xenConsole).toMatch(/xenstore: device\/ has \d+ entries:.* vbd/);
      expect(r.xenConsole).toContain('xenstore: my name is guest\n');
      expect(r.ringConsole).toContain('disk: wrote sector 1 (0), read it back (0): same bytes\n');
      expect(r.ringConsole).toContain('echo: typed ahead\n');
      expect(r.ringConsole).toMatch(/powering off\n$/);
      expect(r.state).toBe('shutdown');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
