// The demo kernel: start-of-day facts, the time, the XenStore directory, a sector of the disk written and read
// back, console input echoed for a moment, then power off. Every step says what happened when a service is missing.
import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { init_events } from "minios/events";
import { gettimeofday, init_time, monotonic_clock, msleep, type timeval } from "minios/time";
import { alloc_pages, init_mm } from "minios/mm";
import { init_gnttab } from "minios/gnttab";
import { init_xenbus, xenbus_ls, xenbus_read } from "minios/xenbus";
import { blkfront_read, blkfront_write, init_blkfront, type blkfront_dev } from "minios/blkfront";
import { console_read, init_xencons_ring } from "minios/xencons_ring";
import { memcmp, strlcat, strlcpy, strlen } from "minios/string";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

const names = static_buffer<u8>(1024);
const value = static_buffer<u8>(128);
const dev = static_struct<blkfront_dev>();

function show_start_info(si: Ptr<start_info_t>): void {
  printk("start_info: %s, %u pages, shared_info at 0x%x, flags 0x%x\n", si.magic, si.nr_pages, si.shared_info, si.flags);
  printk("  store mfn %u evtchn %u, console mfn %u evtchn %u\n", si.store_mfn, si.store_evtchn, si.console.domU.mfn, si.console.domU.evtchn);
  printk("  page tables at 0x%x (%u frames), mfn_list at 0x%x, cmdline \"%s\"\n", si.pt_base, si.nr_pt_frames, si.mfn_list, si.cmd_line);
}

function show_time(): void {
  const tv = stack_struct<timeval>();
  gettimeofday(tv);
  printk("time: %u.%06u s since 1970, %llu ns since boot\n", tv.tv_sec, tv.tv_usec, monotonic_clock());
}

function show_xenstore(): bool {
  const n = xenbus_ls(0, "device", names, 1024);
  if (n < 0) {
    printk("xenstore: no answer from xenstored (%d)\n", n);
    return false;
  }
  printk("xenstore: device/ has %d entries:", n);
  let p = names;
  for (let i: i32 = 0; i < n; i++) {
    printk(" %s", p);
    p = p.add(strlen(p) + 1);
  }
  printk("\n");
  if (xenbus_read(0, "name", value, 128) >= 0) printk("xenstore: my name is %s\n", value);
  return true;
}

function disk_round_trip(): void {
  // The first virtual block device, whatever its number (768 for hda, 51712 for xvda).
  const vbd = stack_buffer<u8>(64);
  if (xenbus_ls(0, "device/vbd", names, 1024) <= 0) {
    printk("disk: no block device\n");
    return;
  }
  strlcpy(vbd, "device/vbd/", 64);
  strlcat(vbd, names, 64);
  if (init_blkfront(dev, vbd) != 0) {
    printk("disk: %s did not connect\n", vbd);
    return;
  }
  const out = ptr<u8>(alloc_pages(0));
  const back = ptr<u8>(alloc_pages(0));
  for (let i: u32 = 0; i < 512; i++) out[i] = u8(i * 7 + 3);
  const w = blkfront_write(dev, 1n, 1, out);
  const r = blkfront_read(dev, 1n, 1, back);
  printk("disk: wrote sector 1 (%d), read it back (%d): %s\n", w, r, memcmp(out, back, 512) == 0 ? "same bytes" : "DIFFERENT");
}

function echo_input(): void {
  const buf = stack_buffer<u8>(64);
  for (let t: u32 = 0; t < 50; t++) {
    const n = console_read(buf, 63);
    if (n > 0) {
      buf[n] = 0;
      printk("echo: %s\n", buf);
    }
    msleep(10);
  }
}

export function start_kernel(si: Ptr<start_info_t>): void {
  printk("xenlab Mini-OS demo\n");
  show_start_info(si);
  map_shared_info(si);
  init_events();
  init_time();
  init_mm(si);
  local_irq_enable();
  show_time();
  const g = init_gnttab();
  if (g != 0) printk("gnttab: not available (%d)\n", g);
  if (init_xenbus(si) != 0) printk("xenstore: this domain has no XenStore page\n");
  else if (show_xenstore()) {
    if (init_xencons_ring(si) == 0) printk("console: now on the shared ring\n");
    if (g == 0) disk_round_trip();
    echo_input();
  }
  show_time();
  printk("powering off\n");
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
