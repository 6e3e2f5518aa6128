// Exercise 05, a typical wrong solution (no-wrap-on-read): see expect.json for how the checks must fail it.
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

let intf: Ptr<xenstore_domain_interface_t> = NULL;
let store_port: u32 = 0;
let next_req_id: u32 = 0;

/** The last reply: its header, and its payload with a NUL added after it. */
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
  intf = ptr<xenstore_domain_interface_t>(mfn_to_virt(si.store_mfn));
  store_port = si.store_evtchn;
  bind_evtchn(store_port, xs_handler, NULL);
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

/** Copies len bytes into req[], byte by byte through the mask, so a message may run over the ring's end. */
function ring_write(data: Ptr<u8>, len: u32): void {
  let done: u32 = 0;
  while (done < len) {
    const cons = volatile_read(addr_of(intf.req_cons));
    let prod = volatile_read(addr_of(intf.req_prod));
    mb(); // see xenstored's req_cons before reusing the space it freed
    if (prod - cons >= XENSTORE_RING_SIZE) {
      notify_remote_via_evtchn(store_port);
      wait_while(req_full);
      continue;
    }
    while (done < len && prod - cons < XENSTORE_RING_SIZE) {
      intf.req[MASK_XENSTORE_IDX(prod)] = i8(data[done]);
      prod++;
      done++;
    }
    wmb(); // the bytes before the index that publishes them
    volatile_write(addr_of(intf.req_prod), prod);
    notify_remote_via_evtchn(store_port);
  }
}

/** Copies len bytes out of rsp[] (running over the ring's end as needed), waiting for them to arrive. */
function ring_read(dst: Ptr<u8>, len: u32): void {
  let done: u32 = 0;
  while (done < len) {
    wait_while(rsp_empty);
    let cons = volatile_read(addr_of(intf.rsp_cons));
    const prod = volatile_read(addr_of(intf.rsp_prod));
    rmb(); // the index before the bytes it covers
    let n = len - done;
    if (n > prod - cons) n = prod - cons;
    memcpy(dst.add(done), ptr<u8>(intf).add(XENSTORE_RING_SIZE + MASK_XENSTORE_IDX(cons)), n);
    cons += n;
    done += n;
    mb(); // done reading before the space goes back to xenstored
    volatile_write(addr_of(intf.rsp_cons), cons);
    notify_remote_via_evtchn(store_port);
  }
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

/** Keeps the watch event in reply for xs_poll_watches. */
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
  const a = ptr<u8>(first);
  const b = ptr<u8>(second);
  const la: u32 = a == NULL ? 0 : strlen(a) + 1;
  const lb: u32 = b == NULL ? 0 : strlen(b) + (second_nul ? 1 : 0);
  next_req_id++;
  const hdr = stack_struct<xsd_sockmsg_t>();
  hdr.type = type;
  hdr.req_id = next_req_id;
  hdr.tx_id = tx;
  hdr.len = la + lb;
  ring_write(ptr<u8>(hdr), sizeof<xsd_sockmsg_t>());
  if (la != 0) ring_write(a, la);
  if (lb != 0) ring_write(b, lb);
  while (true) {
    if (!read_message()) return -5;
    if (reply_hdr.type == XS_WATCH_EVENT) {
      queue_event(); // not our reply: keep it for xs_poll_watches
      continue;
    }
    if (reply_hdr.req_id != next_req_id) continue; // not the answer to this request
    if (reply_hdr.type == XS_ERROR) return errno_of(reply);
    return i32(reply_hdr.len);
  }
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

/** Writes value to a node (the value is sent without a NUL: its length is the message's); 0 or -errno. */
export function xs_write(tx: u32, path: CharPtr, value: CharPtr): i32 {
  const rc = xs_talk(XS_WRITE, tx, path, value, false);
  return rc < 0 ? rc : 0;
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
  // Events that came while no request was waiting are still in the ring.
  while (event_count == 0 && (wait || !rsp_empty())) {
    if (!read_message()) return 0;
    if (reply_hdr.type == XS_WATCH_EVENT) queue_event();
  }
  let delivered: u32 = 0;
  for (let e: u32 = 0; e < event_count; e++) {
    const path = events.add(e * EVENT_SLOT);
    const token = path.add(strlen(path) + 1);
    for (let i: u32 = 0; i < MAX_WATCHES; i++) {
      const w = watches.add(i);
      if (w.token != NULL && strcmp(w.token, token) == 0) {
        w.cb(path, token);
        delivered++;
      }
    }
  }
  event_count = 0;
  return delivered;
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

/** Adds one to the decimal number in a node, atomically: read and write in a transaction, redone on EAGAIN. */
export function xs_increment(path: CharPtr): i32 {
  const value = stack_buffer<u8>(16);
  while (true) {
    const tx = xs_transaction_start();
    if (tx < 0) return tx;
    const n = xs_read(u32(tx), path, value, 16);
    if (n < 0) {
      xs_transaction_end(u32(tx), false);
      return n;
    }
    let v: u32 = 0;
    for (let i: u32 = 0; value[i] >= char('0') && value[i] <= char('9'); i++) v = v * 10 + u32(value[i] - char('0'));
    v++;
    u32_to_dec(v, value);
    const w = xs_write(u32(tx), path, value);
    if (w < 0) {
      xs_transaction_end(u32(tx), false);
      return w;
    }
    const rc = xs_transaction_end(u32(tx), true);
    if (rc == -11) continue; // EAGAIN: someone changed what we read; everything we did is void, so do it again
    return rc < 0 ? rc : i32(v);
  }
}

