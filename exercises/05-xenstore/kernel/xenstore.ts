// Exercise 05: a XenStore client over the xenstore_domain_interface ring.
//
// kernel/main.ts (which you need not change) calls xs_init(start_info) once, then reads, writes, lists, watches and
// increments nodes under data/xenlab/ with the functions below, and powers off.
// Read exercises/05-xenstore/README.md first, then fill in the seven TODOs. Check your work with:
//   npm run --silent xenlab -- grade 05
// Write the client here yourself: importing "minios/xenbus" does not count.
import { bind_evtchn, notify_remote_via_evtchn } from "minios/events";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { local_irq_disable, local_irq_enable } from "minios/hypervisor";
import { mfn_to_virt } from "minios/mm";
import { memcpy, strcmp, strlen, u32_to_dec } from "minios/string";
import { SCHEDOP_block, type start_info_t, type xenstore_domain_interface_t, type xsd_sockmsg_t } from "xen/public";

/** Message types (enum xsd_sockmsg_type in io/xs_wire.h). */
export const XS_DIRECTORY: u32 = 1;
export const XS_READ: u32 = 2;
export const XS_WATCH: u32 = 4;
export const XS_TRANSACTION_START: u32 = 6;
export const XS_TRANSACTION_END: u32 = 7;
export const XS_WRITE: u32 = 11;
export const XS_WATCH_EVENT: u32 = 15;
export const XS_ERROR: u32 = 16;

/** Both rings are XENSTORE_RING_SIZE bytes; a payload is at most XENSTORE_PAYLOAD_MAX. */
const XENSTORE_RING_SIZE: u32 = 1024;
const XENSTORE_PAYLOAD_MAX: u32 = 4096;

/** Called for every watch event, from xs_poll_watches: the path that changed and the watch's token. */
export type xs_watch_cb = (path: Ptr<u8>, token: Ptr<u8>) => void;

/** The store page Dom0 shares with us, and our end of its event channel. */
let intf: Ptr<xenstore_domain_interface_t> = NULL;
let store_port: u32 = 0;
let next_req_id: u32 = 0;

/** The last message read: its header, and its payload with a NUL added after it. */
const reply_hdr = static_struct<xsd_sockmsg_t>();
const reply = static_buffer<u8>(4097);

/** One registered watch. */
interface watch_t {
  token: Ptr<u8>;
  cb: xs_watch_cb;
}
const MAX_WATCHES: u32 = 4;
const watches = static_buffer<watch_t>(4);

/** Watch events that came while we waited for a reply: "path\0token\0" each, delivered by xs_poll_watches. */
const EVENT_SLOT: u32 = 256;
const MAX_EVENTS: u32 = 8;
const events = static_buffer<u8>(8 * 256);
let event_count: u32 = 0;

/** The index's position in the ring (Xen's MASK_XENSTORE_IDX). */
function MASK_XENSTORE_IDX(idx: u32): u32 {
  return idx & (XENSTORE_RING_SIZE - 1);
}

/** Runs when xenstored notifies us; the waiting code looks at the ring itself. */
function xs_handler(port: u32, regs: VoidPtr, data: VoidPtr): void {}

export function xs_init(si: Ptr<start_info_t>): void {
  // TODO 1: find the store page and its event channel in start_info: si.store_mfn is the page's machine frame
  //         (mfn_to_virt(mfn) is where it is mapped; ptr<xenstore_domain_interface_t>(...) makes it a struct
  //         pointer) and si.store_evtchn our port. Bind the port with bind_evtchn(port, xs_handler, NULL), so that
  //         xenstored's notifications wake this kernel.
}

function req_full(): bool {
  return volatile_read(addr_of(intf.req_prod)) - volatile_read(addr_of(intf.req_cons)) >= XENSTORE_RING_SIZE;
}

function rsp_empty(): bool {
  return volatile_read(addr_of(intf.rsp_prod)) == volatile_read(addr_of(intf.rsp_cons));
}

/** Sleeps in Xen until done() is false (checked with events masked, so no wakeup is lost). */
function wait_while(done: () => bool): void {
  local_irq_disable();
  while (done()) {
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    local_irq_disable();
  }
  local_irq_enable();
}

/** Copies len bytes into req[] and publishes them. */
function ring_write(data: Ptr<u8>, len: u32): void {
  // TODO 2: copy the bytes to req[MASK_XENSTORE_IDX(prod)], advancing a local copy of req_prod, never more than
  //         XENSTORE_RING_SIZE bytes ahead of req_cons (when req[] is full, notify and wait_while(req_full)). The
  //         indices are free-running u32 counters that start wherever the page says and wrap at 2^32; a message may
  //         run over the end of req[] and go on at req[0]. req[] holds C chars: store i8(data[i]). Then wmb(),
  //         volatile_write the new req_prod, and notify_remote_via_evtchn(store_port).
}

/** Copies len bytes out of rsp[], waiting for them to arrive. */
function ring_read(dst: Ptr<u8>, len: u32): void {
  // TODO 3: until len bytes are copied: wait_while(rsp_empty); read rsp_cons and rsp_prod, rmb(), copy from
  //         rsp[MASK_XENSTORE_IDX(cons)] (u8(...)) while cons != rsp_prod; then mb(), volatile_write the new rsp_cons
  //         and notify xenstored (it may be waiting for room to write the rest of a long reply).
}

/** Reads the next message (header and payload, NUL added) into reply_hdr/reply; false if it is too long. */
function read_message(): bool {
  ring_read(ptr<u8>(reply_hdr), sizeof<xsd_sockmsg_t>());
  const len = reply_hdr.len;
  if (len > XENSTORE_PAYLOAD_MAX) return false;
  ring_read(reply, len);
  reply[len] = 0;
  return true;
}

/** Keeps the watch event now in reply for xs_poll_watches. */
function queue_event(): void {
  if (event_count == MAX_EVENTS || reply_hdr.len >= EVENT_SLOT) return;
  memcpy(events.add(event_count * EVENT_SLOT), reply, reply_hdr.len + 1);
  event_count++;
}

/** Error replies carry the errno's name ("ENOENT\0"); we return it as a negative number. */
function errno_of(name: Ptr<u8>): i32 {
  if (strcmp(name, "ENOENT") == 0) return -2;
  if (strcmp(name, "EIO") == 0) return -5;
  if (strcmp(name, "E2BIG") == 0) return -7;
  if (strcmp(name, "EAGAIN") == 0) return -11;
  if (strcmp(name, "ENOMEM") == 0) return -12;
  if (strcmp(name, "EACCES") == 0) return -13;
  if (strcmp(name, "EBUSY") == 0) return -16;
  if (strcmp(name, "EEXIST") == 0) return -17;
  if (strcmp(name, "EISDIR") == 0) return -21;
  if (strcmp(name, "EINVAL") == 0) return -22;
  if (strcmp(name, "ENOSPC") == 0) return -28;
  if (strcmp(name, "EROFS") == 0) return -30;
  if (strcmp(name, "ENOSYS") == 0) return -38;
  if (strcmp(name, "ENOTEMPTY") == 0) return -39;
  return -5;
}

/**
 * Sends one request whose payload is `first` (with its NUL) followed by `second` (its NUL only if second_nul),
 * either may be NULL, and waits for the reply with our req_id. Returns the reply's payload length (payload in
 * `reply`), or -errno for an XS_ERROR reply.
 */
function xs_talk(type: u32, tx: u32, first: CharPtr, second: CharPtr, second_nul: bool): i32 {
  // TODO 4: fill a stack_struct<xsd_sockmsg_t>() header: type, a new req_id (count next_req_id up), tx_id = tx, and
  //         len = the payload's length in bytes; ring_write the header (ptr<u8>(hdr), sizeof<xsd_sockmsg_t>()), then
  //         the parts. Then read_message() until the reply comes: a message of type XS_WATCH_EVENT is not it (keep it
  //         with queue_event() and read on), nor one with another req_id. An XS_ERROR reply's payload is the error's
  //         name: return errno_of(reply). Otherwise return the payload's length, i32(reply_hdr.len).
  return -38;
}

/** Reads a node into value (NUL-terminated, cut to size-1 bytes); returns the value's length or -errno. */
export function xs_read(tx: u32, path: CharPtr, value: Ptr<u8>, size: u32): i32 {
  const rc = xs_talk(XS_READ, tx, path, NULL, false);
  if (rc < 0) return rc;
  let n = u32(rc);
  if (n > size - 1) n = size - 1;
  memcpy(value, reply, n);
  value[n] = 0;
  return i32(n);
}

/** Writes value to a node; 0 or -errno. */
export function xs_write(tx: u32, path: CharPtr, value: CharPtr): i32 {
  // TODO 5: an XS_WRITE's payload is the path with its NUL, then the value: does the value get a NUL? (README,
  //         "The payload"). Send it with xs_talk and return 0 or the error.
  return -38;
}

/** Lists a directory into names, NUL-separated; returns how many names, or -errno (-E2BIG if they do not fit). */
export function xs_directory(tx: u32, path: CharPtr, names: Ptr<u8>, size: u32): i32 {
  const rc = xs_talk(XS_DIRECTORY, tx, path, NULL, false);
  if (rc < 0) return rc;
  const n = u32(rc);
  if (n > size) return -7;
  memcpy(names, reply, n);
  let count: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (reply[i] == 0) count++;
  return i32(count);
}

/** Watches path (and everything below it); cb runs from xs_poll_watches for each event with this token. */
export function xs_watch(path: CharPtr, token: CharPtr, cb: xs_watch_cb): i32 {
  let slot: u32 = 0;
  while (slot < MAX_WATCHES && watches.add(slot).token != NULL) slot++;
  if (slot == MAX_WATCHES) return -28;
  watches.add(slot).token = ptr<u8>(token);
  watches.add(slot).cb = cb;
  const rc = xs_talk(XS_WATCH, 0, path, token, true);
  if (rc < 0) {
    watches.add(slot).token = NULL;
    return rc;
  }
  return 0;
}

/** Delivers the queued watch events to their callbacks; with wait, first sleeps until there is one. Returns how many. */
export function xs_poll_watches(wait: bool): u32 {
  // TODO 6: while no event is queued and (wait, or rsp[] is not empty): read_message(), and queue it if it is a
  //         watch event (events that came while no request was waiting are still in the ring). Then, for each queued
  //         event (path, then token after the path's NUL), call the callback of every watch with that token, empty
  //         the queue, and return how many callbacks ran.
  return 0;
}

/** Starts a transaction; returns its id (xenstored's ids are positive), or -errno. */
export function xs_transaction_start(): i32 {
  const rc = xs_talk(XS_TRANSACTION_START, 0, "", NULL, false);
  if (rc < 0) return rc;
  let id: u32 = 0;
  for (let i: u32 = 0; reply[i] >= char('0') && reply[i] <= char('9'); i++) id = id * 10 + u32(reply[i] - char('0'));
  return i32(id);
}

/** Commits (or aborts) a transaction: 0, -EAGAIN (-11) when another change got in first, or another -errno. */
export function xs_transaction_end(tx: u32, commit: bool): i32 {
  const rc = xs_talk(XS_TRANSACTION_END, tx, commit ? "T" : "F", NULL, false);
  return rc < 0 ? rc : 0;
}

/** Adds one to the decimal number in a node, atomically; returns the new value, or -errno. */
export function xs_increment(path: CharPtr): i32 {
  const value = stack_buffer<u8>(16);
  // TODO 7: in a transaction (xs_transaction_start), xs_read the node with the transaction's id, add one to the
  //         number, write it back (u32_to_dec(v, value) makes the text) with the same id, and commit
  //         (xs_transaction_end(tx, true)). If the commit says -11 (EAGAIN), someone changed what you read meanwhile
  //         and nothing of the transaction happened: do all of it again, from xs_transaction_start. On any other
  //         error, end the transaction with commit = false and return the error.
  return -38;
}
