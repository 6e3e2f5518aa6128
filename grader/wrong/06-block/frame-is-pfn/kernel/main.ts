// Exercise 06: the kernel that exercises your block front end (you need not change this file).
// Sector 0 of the disk holds a job the grader wrote: copy `count` sectors from sector `src` to sector `dst`, inverting
// every byte, with buffers that start `offset` sectors into a page. main.ts reads the job, does the copy, marks the
// disk's last sector, flushes, reads the copy back to verify it, disconnects the device and powers off.
// A request that fails is retried (at most three tries): that is why blkfront_io must return the backend's status.
import "minios/bootstrap";
import { printk } from "minios/console";
import { init_events } from "minios/events";
import { init_gnttab } from "minios/gnttab";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_enable, map_shared_info } from "minios/hypervisor";
import { init_mm } from "minios/mm";
import { memcmp, memcpy } from "minios/string";
import { init_time } from "minios/time";
import { init_xenbus } from "minios/xenbus";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type sched_shutdown_t, type start_info_t } from "xen/public";
import { blkfront_flush, blkfront_init, blkfront_io, blkfront_shutdown, type blkfront_dev } from "./blkfront";

/** The job in sector 0: "XENLAB06", then u32 src, count, dst, read_offset, write_offset (little-endian). */
interface job_t { magic: CArray<u8, 8>; src: u32; count: u32; dst: u32; read_offset: u32; write_offset: u32; }

const dev = static_struct<blkfront_dev>();
/** Three 8-page buffers; a transfer starts `offset` sectors into its first page. */
const area_a = static_buffer<u8>(8 * 4096, 4096);
const area_b = static_buffer<u8>(8 * 4096, 4096);
const area_c = static_buffer<u8>(8 * 4096, 4096);
const label = static_buffer<u8>(4096, 4096);
const TRAILER = "xenlab 06: the last sector of the disk\n";

function power_off(): void {
  const s = stack_struct<sched_shutdown_t>();
  s.reason = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, s);
}

/** One transfer, tried at most three times; true when it succeeded. */
function transfer(write: bool, sector: u32, nsect: u32, buf: Ptr<u8>): bool {
  for (let tries: u32 = 1; tries <= 3; tries++) {
    const status = blkfront_io(dev, write, u64(sector), nsect, buf);
    if (status == 0) return true;
    printk("main: %s of %u sectors at sector %u failed with status %d (try %u of 3)\n", write ? "write" : "read", nsect, sector, status, tries);
  }
  return false;
}

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  init_time();
  init_mm(si);
  local_irq_enable();
  init_gnttab();
  init_xenbus(si);

  const rc = blkfront_init(dev);
  if (rc != 0) {
    printk("main: blkfront_init failed (%d)\n", rc);
    power_off();
    return;
  }
  printk("main: disk of %u sectors of %u bytes\n", dev.sectors, dev.sector_size);

  if (!transfer(false, 0, 1, label)) { power_off(); return; }
  const job = ptr<job_t>(label);
  if (memcmp(job.magic, ptr<u8>("XENLAB06"), 8) != 0 || job.count == 0 || job.count > 40 || job.read_offset > 7 || job.write_offset > 7) {
    printk("main: sector 0 holds no job (read it wrong?)\n");
    power_off();
    return;
  }
  const src = job.src;
  const count = job.count;
  const dst = job.dst;
  const bytes = count * 512;
  const a = area_a.add(job.read_offset * 512);
  const b = area_b.add(job.write_offset * 512);
  const c = area_c.add(job.read_offset * 512);
  printk("main: copying %u sectors from sector %u to sector %u\n", count, src, dst);

  if (!transfer(false, src, count, a)) { power_off(); return; }
  for (let i: u32 = 0; i < bytes; i++) b[i] = ~a[i];
  if (!transfer(true, dst, count, b)) { power_off(); return; }

  // The last sector: where it is depends on the disk's size.
  const last = area_a.add(7 * 4096);
  for (let i: u32 = 0; i < 512; i++) last[i] = 0;
  memcpy(last, ptr<u8>(TRAILER), TRAILER.length);
  if (!transfer(true, dev.sectors - 1, 1, last)) { power_off(); return; }

  printk("main: flush %d\n", blkfront_flush(dev));
  if (!transfer(false, dst, count, c)) { power_off(); return; }
  if (memcmp(b, c, bytes) == 0) printk("main: verify: the copy reads back the same\n");
  else printk("main: verify: the copy reads back DIFFERENT\n");

  printk("main: shutdown %d\n", blkfront_shutdown(dev));
  printk("main: done\n");
  power_off();
}
