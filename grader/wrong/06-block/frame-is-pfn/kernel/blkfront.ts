// Exercise 06, a typical wrong solution: each segment's grant names the page's pfn, not its machine frame.
import { printk } from "minios/console";
import { evtchn_alloc_unbound, evtchn_close, notify_remote_via_evtchn } from "minios/events";
import { gnttab_end_access, gnttab_grant_access } from "minios/gnttab";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_disable, local_irq_enable } from "minios/hypervisor";
import { alloc_page, virt_to_mfn, virt_to_pfn } from "minios/mm";
import { strlcat, strlcpy, u32_to_dec } from "minios/string";
import { msleep } from "minios/time";
import { xenbus_ls, xenbus_read, xenbus_read_integer, xenbus_write } from "minios/xenbus";
import { SCHEDOP_block } from "xen/public";

export const BLKIF_OP_READ = 0;
export const BLKIF_OP_WRITE = 1;
export const BLKIF_OP_FLUSH_DISKCACHE = 3;
export const BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
export const BLKIF_RSP_OKAY = 0;
/** The unit of sector_number, first_sect and last_sect, whatever the disk's sector-size says. */
export const SECTOR_SIZE = 512;
const RING_SIZE: u32 = 32; // __CONST_RING_SIZE(blkif, 4096): (4096 - 64) / 108, rounded down to a power of two
const ENTRY_SIZE: u32 = 108; // union blkif_sring_entry on x86_32

/** enum xenbus_state (io/xenbus.h). */
const XenbusStateInitWait = 2;
const XenbusStateInitialised = 3;
const XenbusStateConnected = 4;
const XenbusStateClosing = 5;
const XenbusStateClosed = 6;

interface blkif_request_segment { gref: u32; first_sect: u8; last_sect: u8; }
interface blkif_request {
  operation: u8; nr_segments: u8; handle: u16; id: u64; sector_number: u64;
  seg: CArray<blkif_request_segment, 11>;
}
interface blkif_response { id: u64; operation: u8; status: i16; }
/** struct blkif_sring's header; the entries start at offset 64. */
interface blkif_sring { req_prod: u32; req_event: u32; rsp_prod: u32; rsp_event: u32; pad: CArray<u8, 48>; }

export interface blkfront_dev {
  /** Our device directory ("device/vbd/51712") and the backend's ("/local/domain/0/backend/vbd/1/51712"). */
  nodename: CArray<u8, 64>;
  backend: CArray<u8, 64>;
  backend_id: u32;
  ring: Ptr<blkif_sring>;
  ring_ref: u32;
  evtchn: u32;
  /** Our private copies of the ring indexes (FRONT_RING's req_prod_pvt and rsp_cons). */
  req_prod_pvt: u32;
  rsp_cons: u32;
  sectors: u32;
  sector_size: u32;
  info: u32;
}

/** path = a + b, at most 128 bytes. */
function join(path: Ptr<u8>, a: CharPtr, b: CharPtr): Ptr<u8> {
  strlcpy(path, a, 128);
  strlcat(path, b, 128);
  return path;
}

/** Writes a number, as text (XenStore holds strings). */
function write_number(path: Ptr<u8>, v: u32): i32 {
  const num = stack_buffer<u8>(12);
  u32_to_dec(v, num);
  return xenbus_write(0, path, num);
}

/** Reads the state node at `path` every millisecond until it is at least `want`; returns the state it read last. */
function wait_for_state(path: Ptr<u8>, want: i32): i32 {
  let state: i32 = -1;
  for (let ms: u32 = 0; ms < 200; ms++) {
    state = xenbus_read_integer(path);
    if (state >= want) return state;
    msleep(1);
  }
  return state;
}

/** The backend notifies us when responses are on the ring: the waiting code looks at rsp_prod when it wakes. */
function blkfront_handler(port: u32, regs: VoidPtr, data: VoidPtr): void {}

export function blkfront_init(dev: Ptr<blkfront_dev>): i32 {
  const path = stack_buffer<u8>(128);
  const names = stack_buffer<u8>(256);

  // Which virtual block devices do we have? The first entry of device/vbd is ours.
  const n = xenbus_ls(0, "device/vbd", names, 256);
  if (n <= 0) {
    printk("blkfront: no device/vbd in XenStore (%d)\n", n);
    return -19;
  }
  join(dev.nodename, "device/vbd/", names);
  if (xenbus_read(0, join(path, dev.nodename, "/backend"), dev.backend, 64) < 0) return -2;
  const backend_id = xenbus_read_integer(join(path, dev.nodename, "/backend-id"));
  if (backend_id < 0) return backend_id;
  dev.backend_id = u32(backend_id);

  // The backend publishes the disk and says InitWait when it is ready to be told about our ring.
  const be_state = wait_for_state(join(path, dev.backend, "/state"), XenbusStateInitWait);
  if (be_state != XenbusStateInitWait) {
    printk("blkfront: backend %s is in state %d, not InitWait\n", dev.backend, be_state);
    return -5;
  }

  // The shared ring: SHARED_RING_INIT, FRONT_RING_INIT, granted to the backend (it writes responses there).
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

  // Tell the backend where the ring is, then (and only then) say Initialised.
  let err = write_number(join(path, dev.nodename, "/ring-ref"), dev.ring_ref);
  if (err == 0) err = write_number(join(path, dev.nodename, "/event-channel"), dev.evtchn);
  if (err == 0) err = xenbus_write(0, join(path, dev.nodename, "/protocol"), "x86_32-abi");
  if (err == 0) err = write_number(join(path, dev.nodename, "/state"), XenbusStateInitialised);
  if (err != 0) return err;

  const state = wait_for_state(join(path, dev.backend, "/state"), XenbusStateConnected);
  if (state != XenbusStateConnected) {
    printk("blkfront: backend %s did not connect (state %d)\n", dev.backend, state);
    return -5;
  }
  dev.sectors = u32(xenbus_read_integer(join(path, dev.backend, "/sectors")));
  const sector_size = xenbus_read_integer(join(path, dev.backend, "/sector-size"));
  dev.sector_size = sector_size > 0 ? u32(sector_size) : SECTOR_SIZE;
  dev.info = u32(xenbus_read_integer(join(path, dev.backend, "/info")));
  return write_number(join(path, dev.nodename, "/state"), XenbusStateConnected);
}

function request_at(dev: Ptr<blkfront_dev>, i: u32): Ptr<blkif_request> {
  return ptr<blkif_request>(u32(dev.ring) + 64 + (i & (RING_SIZE - 1)) * ENTRY_SIZE);
}

function response_at(dev: Ptr<blkfront_dev>, i: u32): Ptr<blkif_response> {
  return ptr<blkif_response>(u32(dev.ring) + 64 + (i & (RING_SIZE - 1)) * ENTRY_SIZE);
}

/** RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publish the request, notify the backend if it asked to be told. */
function push_request(dev: Ptr<blkfront_dev>): void {
  const old = dev.ring.req_prod;
  const next = dev.req_prod_pvt;
  wmb(); // the request before the index that publishes it
  volatile_write(addr_of(dev.ring.req_prod), next);
  mb(); // the index before reading req_event
  if (next - volatile_read(addr_of(dev.ring.req_event)) < next - old) notify_remote_via_evtchn(dev.evtchn);
}

/** Sleeps until the response to request `id` is on the ring; returns its status. */
function wait_response(dev: Ptr<blkfront_dev>, id: u32): i32 {
  while (true) {
    local_irq_disable();
    while (volatile_read(addr_of(dev.ring.rsp_prod)) == dev.rsp_cons) {
      HYPERVISOR_sched_op(SCHEDOP_block, NULL);
      local_irq_disable();
    }
    local_irq_enable();
    rmb(); // rsp_prod before the response it covers
    const rsp = response_at(dev, dev.rsp_cons);
    const status = i32(rsp.status);
    const rsp_id = u32(rsp.id);
    dev.rsp_cons++;
    volatile_write(addr_of(dev.ring.rsp_event), dev.rsp_cons + 1);
    if (rsp_id == id) return status;
    printk("blkfront: response for request %u, expected %u\n", rsp_id, id);
  }
}

/**
 * One request: `nsect` sectors at `sector`, to (write) or from (read) buf, which starts on a sector boundary but
 * maybe not on a page boundary. One segment per page the buffer touches, one grant per segment. Returns the
 * backend's status: 0 (BLKIF_RSP_OKAY), or -1 (BLKIF_RSP_ERROR), -2 (BLKIF_RSP_EOPNOTSUPP); -22 for bad arguments.
 */
export function blkfront_io(dev: Ptr<blkfront_dev>, write: bool, sector: u64, nsect: u32, buf: Ptr<u8>): i32 {
  const first_sect = (u32(buf) & 4095) / SECTOR_SIZE;
  const segments = (first_sect + nsect + 7) / 8;
  if (nsect == 0 || (u32(buf) & (SECTOR_SIZE - 1)) != 0 || segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) return -22;
  const id = dev.req_prod_pvt;
  const req = request_at(dev, id);
  req.operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
  req.nr_segments = u8(segments);
  req.handle = 0;
  req.id = u64(id);
  req.sector_number = sector;
  const page0 = u32(buf) - (u32(buf) & 4095);
  let left = nsect;
  for (let i: u32 = 0; i < segments; i++) {
    const seg = req.seg.add(i);
    const first: u32 = i == 0 ? first_sect : 0;
    const count: u32 = left < 8 - first ? left : 8 - first;
    // A write only lets the backend read our page; a read lets it write there.
    seg.gref = gnttab_grant_access(dev.backend_id, virt_to_pfn(ptr<u8>(page0 + i * 4096)), write); // the pfn: wrong
    seg.first_sect = u8(first);
    seg.last_sect = u8(first + count - 1);
    left -= count;
  }
  dev.req_prod_pvt++;
  push_request(dev);
  const status = wait_response(dev, id);
  // The backend is done with the pages: take the grants back.
  for (let i: u32 = 0; i < segments; i++) gnttab_end_access(req.seg.add(i).gref);
  return status;
}

/** Asks the backend to put everything written so far on stable storage. */
export function blkfront_flush(dev: Ptr<blkfront_dev>): i32 {
  const id = dev.req_prod_pvt;
  const req = request_at(dev, id);
  req.operation = BLKIF_OP_FLUSH_DISKCACHE;
  req.nr_segments = 0;
  req.handle = 0;
  req.id = u64(id);
  req.sector_number = 0n;
  dev.req_prod_pvt++;
  push_request(dev);
  return wait_response(dev, id);
}

/** Disconnects: Closing, then Closed once the backend has let go of the ring; then the ring's grant and channel go. */
export function blkfront_shutdown(dev: Ptr<blkfront_dev>): i32 {
  const path = stack_buffer<u8>(128);
  const be = stack_buffer<u8>(128);
  join(be, dev.backend, "/state");
  let err = write_number(join(path, dev.nodename, "/state"), XenbusStateClosing);
  if (err != 0) return err;
  if (wait_for_state(be, XenbusStateClosing) < XenbusStateClosing) return -5;
  err = write_number(join(path, dev.nodename, "/state"), XenbusStateClosed);
  if (err != 0) return err;
  if (wait_for_state(be, XenbusStateClosed) < XenbusStateClosed) return -5;
  if (!gnttab_end_access(dev.ring_ref)) return -16;
  evtchn_close(dev.evtchn);
  return 0;
}
