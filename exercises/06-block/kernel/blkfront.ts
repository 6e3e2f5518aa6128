// Exercise 06: the block front end.
//
// kernel/main.ts (which you need not change) calls blkfront_init(dev), then blkfront_io for reads and writes of
// several sectors (buffers that may start in the middle of a page), blkfront_flush, and blkfront_shutdown at the end.
// Read exercises/06-block/README.md first, then fill in the ten TODOs. Check your work with:
//   npm run --silent xenlab -- grade 06
// Write the driver here yourself: importing "minios/blkfront" does not count. The xenbus, gnttab and events
// helpers of the library are yours to use.
import { printk } from "minios/console";
import { evtchn_alloc_unbound, evtchn_close, notify_remote_via_evtchn } from "minios/events";
import { gnttab_end_access, gnttab_grant_access } from "minios/gnttab";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_disable, local_irq_enable } from "minios/hypervisor";
import { alloc_page, virt_to_mfn } from "minios/mm";
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

function request_at(dev: Ptr<blkfront_dev>, i: u32): Ptr<blkif_request> {
  return ptr<blkif_request>(u32(dev.ring) + 64 + (i & (RING_SIZE - 1)) * ENTRY_SIZE);
}

function response_at(dev: Ptr<blkfront_dev>, i: u32): Ptr<blkif_response> {
  return ptr<blkif_response>(u32(dev.ring) + 64 + (i & (RING_SIZE - 1)) * ENTRY_SIZE);
}

export function blkfront_init(dev: Ptr<blkfront_dev>): i32 {
  const path = stack_buffer<u8>(128);
  const names = stack_buffer<u8>(256);

  // TODO 1: find the device. xenbus_ls(0, "device/vbd", names, 256) lists our virtual block devices (names
  //         separated by NUL bytes; take the first). dev.nodename = "device/vbd/<name>"; read <nodename>/backend into
  //         dev.backend (the backend's directory) and <nodename>/backend-id into dev.backend_id (join() builds paths).
  //         Return a negative error if there is none.
  return -19;

  // TODO 2: wait until <backend>/state says InitWait (XenbusStateInitWait): before that the backend is not ready to
  //         hear about your ring. wait_for_state() sleeps between looks.

  // TODO 3: the ring: alloc_page(), set req_prod, rsp_prod to 0 and req_event, rsp_event to 1 (SHARED_RING_INIT),
  //         dev.req_prod_pvt = dev.rsp_cons = 0 (FRONT_RING_INIT); grant the page to the backend (writable: it puts
  //         responses there) into dev.ring_ref; allocate an unbound event channel for the backend with
  //         evtchn_alloc_unbound(dev.backend_id, blkfront_handler, dev, addr_of(dev.evtchn)).

  // TODO 4: publish <nodename>/ring-ref, <nodename>/event-channel and <nodename>/protocol ("x86_32-abi"), and only
  //         then <nodename>/state = XenbusStateInitialised: the backend connects the moment it sees that state.

  // TODO 5: wait for <backend>/state to be Connected; read the disk's size from <backend>/sectors (not "size") into
  //         dev.sectors, <backend>/sector-size and <backend>/info; then say <nodename>/state = XenbusStateConnected.
}

/**
 * One request: `nsect` sectors at `sector`, to (write) or from (read) buf, which starts on a sector boundary but
 * maybe not on a page boundary. Returns the backend's status: 0 (BLKIF_RSP_OKAY), or -1 (BLKIF_RSP_ERROR),
 * -2 (BLKIF_RSP_EOPNOTSUPP); -22 for arguments it cannot send (more than 11 pages, a buffer not sector-aligned).
 */
export function blkfront_io(dev: Ptr<blkfront_dev>, write: bool, sector: u64, nsect: u32, buf: Ptr<u8>): i32 {
  // TODO 6: fill the request at request_at(dev, dev.req_prod_pvt): operation, id (use req_prod_pvt), sector_number
  //         (in 512-byte sectors), and one segment per page the buffer touches. The first segment starts at sector
  //         (buf & 4095) / 512 of its page, the others at 0; each ends at last_sect (inclusive, at most 7); each
  //         grants its own page (virt_to_mfn of the page's start) with gnttab_grant_access(dev.backend_id, mfn,
  //         readonly): a write only lets the backend read the page, a read lets it write there.

  // TODO 7: publish: dev.req_prod_pvt++, wmb(), volatile_write the shared req_prod, mb(), and notify the backend
  //         (notify_remote_via_evtchn) if req_event says it wants to hear (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
  //         Then sleep until rsp_prod moves (sched_op SCHEDOP_block with events masked, as in exercise 04), rmb(),
  //         read the response at dev.rsp_cons, check its id, advance rsp_cons (and rsp_event), and return its status.

  // TODO 8: once the response is in, the backend is done with the pages: end every segment's grant.
  return -38;
}

/** Asks the backend to put everything written so far on stable storage. */
export function blkfront_flush(dev: Ptr<blkfront_dev>): i32 {
  // TODO 9: a request with operation BLKIF_OP_FLUSH_DISKCACHE and no segments; publish it and wait for its response
  //         as in TODO 7 (a helper for both is a good idea); return its status.
  return -38;
}

/** Disconnects: Closing, then Closed once the backend has let go of the ring; then the ring's grant and channel go. */
export function blkfront_shutdown(dev: Ptr<blkfront_dev>): i32 {
  // TODO 10: <nodename>/state = XenbusStateClosing; wait for the backend's Closing (it unmaps the ring);
  //          <nodename>/state = XenbusStateClosed; wait for the backend's Closed; then end the ring's grant and
  //          close the event channel (evtchn_close).
  return -38;
}
