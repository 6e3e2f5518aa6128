// The block front end, as Mini-OS's blkfront.c: the XenBus handshake with the backend, a shared ring of
// requests (io/blkif.h, io/ring.h) in a granted page, data pages granted per request, and an event channel.
// Needs init_events, init_time, init_mm, init_gnttab and init_xenbus to have run.
import { printk } from "minios/console";
import { evtchn_alloc_unbound, notify_remote_via_evtchn } from "minios/events";
import { gnttab_end_access, gnttab_grant_access } from "minios/gnttab";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_disable, local_irq_enable } from "minios/hypervisor";
import { alloc_page, virt_to_mfn } from "minios/mm";
import { strlcat, strlcpy, u32_to_dec } from "minios/string";
import { msleep } from "minios/time";
import { xenbus_read, xenbus_read_integer, xenbus_transaction_end, xenbus_transaction_start, xenbus_write } from "minios/xenbus";
import { SCHEDOP_block } from "xen/public";

export const BLKIF_OP_READ = 0;
export const BLKIF_OP_WRITE = 1;
export const BLKIF_OP_FLUSH_DISKCACHE = 3;
export const BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
export const SECTOR_SIZE = 512;
const RING_SIZE: u32 = 32; // (4096 - 64) / 108 rounded down to a power of two
const ENTRY_SIZE: u32 = 108;
const XenbusStateInitWait = 2;
const XenbusStateInitialised = 3;
const XenbusStateConnected = 4;

interface blkif_request_segment { gref: u32; first_sect: u8; last_sect: u8; }
interface blkif_request {
  operation: u8; nr_segments: u8; handle: u16; id: u64; sector_number: u64;
  seg: CArray<blkif_request_segment, 11>;
}
interface blkif_response { id: u64; operation: u8; status: i16; }
/** The shared ring's header; entries (request/response unions of 108 bytes) start at offset 64. */
interface blkif_sring { req_prod: u32; req_event: u32; rsp_prod: u32; rsp_event: u32; pad: CArray<u8, 48>; }

export interface blkfront_dev {
  nodename: CArray<u8, 64>;
  backend: CArray<u8, 64>;
  backend_id: u32;
  ring: Ptr<blkif_sring>;
  ring_ref: u32;
  evtchn: u32;
  req_prod_pvt: u32;
  rsp_cons: u32;
  sectors: u32;
  sector_size: u32;
  writable: bool;
  flush: bool;
}

function request_at(dev: Ptr<blkfront_dev>, i: u32): Ptr<blkif_request> {
  return ptr<blkif_request>(u32(dev.ring) + 64 + (i & (RING_SIZE - 1)) * ENTRY_SIZE);
}

function response_at(dev: Ptr<blkfront_dev>, i: u32): Ptr<blkif_response> {
  return ptr<blkif_response>(u32(dev.ring) + 64 + (i & (RING_SIZE - 1)) * ENTRY_SIZE);
}

function blkfront_handler(port: u32, regs: VoidPtr, data: VoidPtr): void {
  // Waiters check the ring after they wake.
}

/** path = a + b (both NUL-terminated). */
function join(path: Ptr<u8>, a: CharPtr, b: CharPtr): Ptr<u8> {
  strlcpy(path, a, 128);
  strlcat(path, b, 128);
  return path;
}

function write_number(xbt: u32, path: Ptr<u8>, v: u32): i32 {
  const num = stack_buffer<u8>(12);
  u32_to_dec(v, num);
  return xenbus_write(xbt, path, num);
}

/** Waits (in virtual time, up to 2 s) until the backend's state is at least `want`; returns the state last read. */
function wait_backend_state(dev: Ptr<blkfront_dev>, path: Ptr<u8>, want: i32): i32 {
  let state: i32 = 0;
  for (let tries: u32 = 0; tries < 2000; tries++) {
    state = xenbus_read_integer(join(path, dev.backend, "/state"));
    if (state >= want || state < 0) break;
    msleep(1);
  }
  return state;
}

/** Connects to the virtual block device at `nodename` (e.g. "device/vbd/768"); returns 0 or a negative error. */
export function init_blkfront(dev: Ptr<blkfront_dev>, nodename: CharPtr): i32 {
  const path = stack_buffer<u8>(128);
  const value = stack_buffer<u8>(64);
  strlcpy(dev.nodename, nodename, 64);
  const backend_id = xenbus_read_integer(join(path, nodename, "/backend-id"));
  if (backend_id < 0) {
    printk("[blkfront] %s: no backend-id (%d)\n", nodename, backend_id);
    return backend_id;
  }
  dev.backend_id = u32(backend_id);
  if (xenbus_read(0, join(path, nodename, "/backend"), dev.backend, 64) < 0) return -2;
  // The backend publishes its features and says InitWait before the frontend may connect (it may be slow to start).
  const ready = wait_backend_state(dev, path, XenbusStateInitWait);
  if (ready < XenbusStateInitWait) {
    printk("[blkfront] backend %s is not ready (state %d)\n", dev.backend, ready);
    return -5;
  }

  // The shared ring: SHARED_RING_INIT and FRONT_RING_INIT.
  const page = alloc_page();
  if (page == NULL) return -12;
  dev.ring = ptr<blkif_sring>(page);
  dev.ring.req_prod = 0;
  dev.ring.rsp_prod = 0;
  dev.ring.req_event = 1;
  dev.ring.rsp_event = 1;
  dev.req_prod_pvt = 0;
  dev.rsp_cons = 0;
  dev.ring_ref = gnttab_grant_access(dev.backend_id, virt_to_mfn(page), false);
  const rc = evtchn_alloc_unbound(dev.backend_id, blkfront_handler, dev, addr_of(dev.evtchn));
  if (rc != 0) return rc;

  // Tell the backend where the ring is, in one transaction (redone when xenstored says EAGAIN).
  while (true) {
    let xbt: u32 = 0;
    let retry: u32 = 0;
    let err = xenbus_transaction_start(addr_of(xbt));
    if (err != 0) return err;
    err = write_number(xbt, join(path, nodename, "/ring-ref"), dev.ring_ref);
    if (err == 0) err = write_number(xbt, join(path, nodename, "/event-channel"), dev.evtchn);
    if (err == 0) err = xenbus_write(xbt, join(path, nodename, "/protocol"), "x86_32-abi");
    if (err == 0) err = write_number(xbt, join(path, nodename, "/state"), XenbusStateInitialised);
    if (err != 0) {
      xenbus_transaction_end(xbt, true, addr_of(retry));
      return err;
    }
    err = xenbus_transaction_end(xbt, false, addr_of(retry));
    if (err != 0) return err;
    if (retry == 0) break;
  }

  const state = wait_backend_state(dev, path, XenbusStateConnected);
  if (state != XenbusStateConnected) {
    printk("[blkfront] backend %s did not connect (state %d)\n", dev.backend, state);
    return -5;
  }
  const sectors = xenbus_read_integer(join(path, dev.backend, "/sectors"));
  const sector_size = xenbus_read_integer(join(path, dev.backend, "/sector-size"));
  dev.sectors = sectors > 0 ? u32(sectors) : 0;
  dev.sector_size = sector_size > 0 ? u32(sector_size) : 512;
  dev.writable = xenbus_read(0, join(path, dev.backend, "/mode"), value, 64) > 0 && value[0] == char('w');
  dev.flush = xenbus_read_integer(join(path, dev.backend, "/feature-flush-cache")) == 1;
  const err = write_number(0, join(path, nodename, "/state"), XenbusStateConnected);
  if (err != 0) return err;
  printk("[blkfront] %s: %u sectors of %u bytes, %s\n", nodename, dev.sectors, dev.sector_size, dev.writable ? "read-write" : "read-only");
  return 0;
}

/** RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publish, then notify only if the backend asked to be told. */
function push_requests(dev: Ptr<blkfront_dev>): void {
  const old = dev.ring.req_prod;
  const next = dev.req_prod_pvt;
  wmb();
  volatile_write(addr_of(dev.ring.req_prod), next);
  mb();
  if (next - volatile_read(addr_of(dev.ring.req_event)) < next - old) notify_remote_via_evtchn(dev.evtchn);
}

/** Waits for the response to the oldest request; returns its status. */
function wait_response(dev: Ptr<blkfront_dev>): i32 {
  while (volatile_read(addr_of(dev.ring.rsp_prod)) == dev.rsp_cons) {
    local_irq_disable();
    if (volatile_read(addr_of(dev.ring.rsp_prod)) == dev.rsp_cons) HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    local_irq_enable();
  }
  rmb();
  const rsp = response_at(dev, dev.rsp_cons);
  const status = i32(rsp.status);
  dev.rsp_cons++;
  volatile_write(addr_of(dev.ring.rsp_event), dev.rsp_cons + 1);
  return status;
}

/**
 * Reads or writes nsect sectors at `sector` from/to buf, which must be page-aligned and hold the whole
 * transfer (at most 11 pages: a request spanning several segments, one per page). Returns 0 or the BLKIF status.
 */
export function blkfront_io(dev: Ptr<blkfront_dev>, sector: u64, nsect: u32, buf: VoidPtr, write: bool): i32 {
  const bytes = nsect * SECTOR_SIZE;
  const pages = (bytes + 4095) / 4096;
  if (nsect == 0 || pages > BLKIF_MAX_SEGMENTS_PER_REQUEST || (u32(buf) & 4095) != 0) return -22;
  const req = request_at(dev, dev.req_prod_pvt);
  req.operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
  req.nr_segments = u8(pages);
  req.handle = 0;
  req.id = u64(dev.req_prod_pvt);
  req.sector_number = sector;
  for (let i: u32 = 0; i < pages; i++) {
    const seg = req.seg.add(i);
    // The backend reads our page for a write, and writes into it for a read.
    seg.gref = gnttab_grant_access(dev.backend_id, virt_to_mfn(ptr<u8>(u32(buf) + i * 4096)), write);
    seg.first_sect = 0;
    const left = bytes - i * 4096;
    seg.last_sect = u8((left >= 4096 ? 4096 : left) / SECTOR_SIZE - 1);
  }
  dev.req_prod_pvt++;
  push_requests(dev);
  const status = wait_response(dev);
  for (let i: u32 = 0; i < pages; i++) gnttab_end_access(req.seg.add(i).gref);
  return status;
}

export function blkfront_read(dev: Ptr<blkfront_dev>, sector: u64, nsect: u32, buf: VoidPtr): i32 {
  return blkfront_io(dev, sector, nsect, buf, false);
}

export function blkfront_write(dev: Ptr<blkfront_dev>, sector: u64, nsect: u32, buf: VoidPtr): i32 {
  return blkfront_io(dev, sector, nsect, buf, true);
}

/** Asks the backend to flush its write cache (if it offers to). */
export function blkfront_flush(dev: Ptr<blkfront_dev>): i32 {
  if (!dev.flush) return 0;
  const req = request_at(dev, dev.req_prod_pvt);
  req.operation = BLKIF_OP_FLUSH_DISKCACHE;
  req.nr_segments = 0;
  req.handle = 0;
  req.id = u64(dev.req_prod_pvt);
  req.sector_number = 0n;
  dev.req_prod_pvt++;
  push_requests(dev);
  return wait_response(dev);
}
