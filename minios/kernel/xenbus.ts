// XenBus: requests to xenstored over the shared ring (io/xs_wire.h), as Mini-OS's xenbus.c but synchronous:
// one request at a time, the reply read before the call returns. Watch events that arrive meanwhile are queued
// and delivered by xenbus_poll_watches(). A transaction that ends in EAGAIN is for the caller to retry. A request
// that xenstored does not answer within 2 s of virtual time fails with -ETIMEDOUT (needs init_time).
import { printk } from "minios/console";
import { bind_evtchn, notify_remote_via_evtchn } from "minios/events";
import { mfn_to_virt } from "minios/mm";
import { monotonic_clock, block_domain } from "minios/time";
import { memcpy, strcmp, strlen } from "minios/string";
import { type start_info_t, type xenstore_domain_interface_t, type xsd_sockmsg_t } from "xen/public";

/** Message types (enum xsd_sockmsg_type). */
export const enum XS {
  CONTROL = 0, DIRECTORY = 1, READ = 2, GET_PERMS = 3, WATCH = 4, UNWATCH = 5, TRANSACTION_START = 6,
  TRANSACTION_END = 7, INTRODUCE = 8, RELEASE = 9, GET_DOMAIN_PATH = 10, WRITE = 11, MKDIR = 12, RM = 13,
  SET_PERMS = 14, WATCH_EVENT = 15, ERROR = 16,
}

const RING_SIZE: u32 = 1024;
const MAX_PAYLOAD: u32 = 4096;

export type xenbus_watch_cb = (path: Ptr<u8>, token: Ptr<u8>) => void;

interface watch_slot {
  token: Ptr<u8>;
  cb: xenbus_watch_cb;
}

let ring: Ptr<xenstore_domain_interface_t> = NULL;
let store_port: u32 = 0;
let req_id: u32 = 0;
/** The last reply's header and payload (NUL-terminated). */
const reply_hdr = static_struct<xsd_sockmsg_t>();
const reply = static_buffer<u8>(4097);
export let reply_len: u32 = 0;
const watches = static_buffer<watch_slot>(8);
/** Watch events received but not yet delivered: payload "path\0token\0" each, up to 4. */
const pending_events = static_buffer<u8>(4 * 512);
let pending_count: u32 = 0;

function xenbus_event(port: u32, regs: VoidPtr, data: VoidPtr): void {
  // Nothing to do here: waiters look at the ring themselves after they wake.
}

/** Points xenbus at the ring page and event channel Xen gave us; -ENODEV when the domain has no XenStore. */
export function init_xenbus(si: Ptr<start_info_t>): i32 {
  if (si.store_mfn == 0 || si.store_evtchn == 0) return -19;
  ring = ptr<xenstore_domain_interface_t>(mfn_to_virt(si.store_mfn));
  store_port = si.store_evtchn;
  bind_evtchn(store_port, xenbus_event, NULL);
  return 0;
}

/** For tests: a ring at a known address and a port. */
export function xenbus_use_ring(r: Ptr<xenstore_domain_interface_t>, port: u32): void {
  ring = r;
  store_port = port;
}

/** How long a request may wait for xenstored (virtual ns) before it fails with ETIMEDOUT. */
const TIMEOUT_NS: u64 = 2000000000n;
/** When the current request gives up; 0 until it first has to wait (so no clock is read on the fast path). */
let deadline: u64 = 0n;

/** Sleeps until the next event or the deadline; returns false once the deadline has passed. */
function wait_event(): bool {
  const now = monotonic_clock();
  if (deadline == 0n) deadline = now + TIMEOUT_NS;
  if (now >= deadline) return false;
  block_domain(deadline);
  return true;
}

/** Copies len bytes into the request ring, waiting for room; the index moves only after the bytes are there. */
function xb_write(data: Ptr<u8>, len: u32): bool {
  let done: u32 = 0;
  while (done < len) {
    const cons = volatile_read(addr_of(ring.req_cons));
    let prod = volatile_read(addr_of(ring.req_prod));
    mb();
    if (prod - cons >= RING_SIZE) {
      notify_remote_via_evtchn(store_port);
      if (!wait_event()) return false;
      continue;
    }
    while (done < len && prod - cons < RING_SIZE) {
      ring.req[prod & (RING_SIZE - 1)] = i8(data[done]);
      prod++;
      done++;
    }
    wmb();
    volatile_write(addr_of(ring.req_prod), prod);
    notify_remote_via_evtchn(store_port);
  }
  return true;
}

/** Reads len bytes from the reply ring (wrapping at its end), waiting for them to arrive. */
function xb_read(dst: Ptr<u8>, len: u32): bool {
  let done: u32 = 0;
  while (done < len) {
    let cons = volatile_read(addr_of(ring.rsp_cons));
    const prod = volatile_read(addr_of(ring.rsp_prod));
    rmb();
    if (prod == cons) {
      if (!wait_event()) return false;
      continue;
    }
    while (done < len && cons != prod) {
      dst[done] = u8(ring.rsp[cons & (RING_SIZE - 1)]);
      cons++;
      done++;
    }
    mb();
    volatile_write(addr_of(ring.rsp_cons), cons);
    notify_remote_via_evtchn(store_port);
  }
  return true;
}

/** Error replies carry an errno name; hypercall-style negative numbers are easier for C-like callers. */
function errno_of(name: Ptr<u8>): i32 {
  if (strcmp(name, "ENOENT") == 0) return -2;
  if (strcmp(name, "EIO") == 0) return -5;
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
  if (strcmp(name, "E2BIG") == 0) return -7;
  if (strcmp(name, "EQUOTA") == 0) return -122;
  return -5;
}

function queue_watch_event(len: u32): void {
  if (pending_count >= 4 || len > 511) {
    printk("[xenbus] dropped a watch event\n");
    return;
  }
  const slot = pending_events.add(pending_count * 512);
  memcpy(slot, reply, len);
  slot[len] = 0;
  pending_count++;
}

/**
 * Sends one request made of up to three NUL-terminated parts (a part of NULL is left out; the last is sent
 * without its NUL when `last_nul` is false, as XS_WRITE wants), and reads its reply into `reply`.
 * Returns the reply length, or a negative errno for an XS_ERROR reply.
 */
function xenbus_msg(type: u32, tx: u32, p1: CharPtr, p2: CharPtr, last_nul: bool): i32 {
  const hdr = stack_struct<xsd_sockmsg_t>();
  const a = ptr<u8>(p1);
  const b = ptr<u8>(p2);
  const la: u32 = a == NULL ? 0 : strlen(a) + (b != NULL || last_nul ? 1 : 0);
  const lb: u32 = b == NULL ? 0 : strlen(b) + (last_nul ? 1 : 0);
  req_id++;
  hdr.type = type;
  hdr.req_id = req_id;
  hdr.tx_id = tx;
  hdr.len = la + lb;
  deadline = 0n;
  if (!xb_write(ptr<u8>(hdr), sizeof<xsd_sockmsg_t>())) return -110;
  if (la != 0 && !xb_write(a, la)) return -110;
  if (lb != 0 && !xb_write(b, lb)) return -110;
  while (true) {
    if (!xb_read(ptr<u8>(reply_hdr), sizeof<xsd_sockmsg_t>())) return -110;
    const len = reply_hdr.len;
    if (len > MAX_PAYLOAD) {
      printk("[xenbus] reply of %u bytes is too long\n", len);
      return -5;
    }
    if (!xb_read(reply, len)) return -110;
    reply[len] = 0;
    reply_len = len;
    if (reply_hdr.type == XS.WATCH_EVENT) {
      queue_watch_event(len);
      continue;
    }
    if (reply_hdr.type == XS.ERROR) return errno_of(reply);
    return i32(len);
  }
}

/** Reads a node into value (NUL-terminated, at most size-1 bytes); returns its length or a negative errno. */
export function xenbus_read(xbt: u32, path: CharPtr, value: Ptr<u8>, size: u32): i32 {
  const rc = xenbus_msg(XS.READ, xbt, path, NULL, true);
  if (rc < 0) return rc;
  let n = u32(rc);
  if (n >= size) n = size - 1;
  memcpy(value, reply, n);
  value[n] = 0;
  return i32(n);
}

export function xenbus_write(xbt: u32, path: CharPtr, value: CharPtr): i32 {
  const rc = xenbus_msg(XS.WRITE, xbt, path, value, false);
  return rc < 0 ? rc : 0;
}

export function xenbus_rm(xbt: u32, path: CharPtr): i32 {
  const rc = xenbus_msg(XS.RM, xbt, path, NULL, true);
  return rc < 0 ? rc : 0;
}

/** Lists a directory into buf as NUL-separated names; returns how many, or a negative errno. */
export function xenbus_ls(xbt: u32, path: CharPtr, buf: Ptr<u8>, size: u32): i32 {
  const rc = xenbus_msg(XS.DIRECTORY, xbt, path, NULL, true);
  if (rc < 0) return rc;
  const n = u32(rc);
  if (n > size) return -7;
  memcpy(buf, reply, n);
  let count: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (reply[i] == 0) count++;
  return i32(count);
}

/** Reads a node holding a decimal number; returns it, or a negative errno. */
export function xenbus_read_integer(path: CharPtr): i32 {
  const rc = xenbus_msg(XS.READ, 0, path, NULL, true);
  if (rc < 0) return rc;
  let v: i32 = 0;
  for (let i: u32 = 0; i < u32(rc); i++) {
    const c = reply[i];
    if (c < char('0') || c > char('9')) break;
    v = v * 10 + i32(c - char('0'));
  }
  return v;
}

export function xenbus_transaction_start(xbt: Ptr<u32>): i32 {
  const rc = xenbus_msg(XS.TRANSACTION_START, 0, "", NULL, true);
  if (rc < 0) return rc;
  let id: u32 = 0;
  for (let i: u32 = 0; i < u32(rc) && reply[i] != 0; i++) id = id * 10 + u32(reply[i] - char('0'));
  xbt[0] = id;
  return 0;
}

/** Commits (or aborts) a transaction; *retry is 1 when xenstored said EAGAIN and the whole transaction must be redone. */
export function xenbus_transaction_end(xbt: u32, abort: bool, retry: Ptr<u32>): i32 {
  retry[0] = 0;
  const rc = xenbus_msg(XS.TRANSACTION_END, xbt, abort ? "F" : "T", NULL, true);
  if (rc == -11) {
    retry[0] = 1;
    return 0;
  }
  return rc < 0 ? rc : 0;
}

/** Watches a path; cb(path, token) runs from xenbus_poll_watches() for each change (and once at once). */
export function xenbus_watch_path_token(path: CharPtr, token: CharPtr, cb: xenbus_watch_cb): i32 {
  let slot: u32 = 0;
  while (slot < 8 && watches.add(slot).token != NULL) slot++;
  if (slot == 8) return -28;
  watches.add(slot).token = ptr<u8>(token);
  watches.add(slot).cb = cb;
  const rc = xenbus_msg(XS.WATCH, 0, path, token, true);
  if (rc < 0) {
    watches.add(slot).token = NULL;
    return rc;
  }
  return 0;
}

export function xenbus_unwatch_path_token(path: CharPtr, token: CharPtr): i32 {
  for (let i: u32 = 0; i < 8; i++) {
    const w = watches.add(i);
    if (w.token != NULL && strcmp(w.token, token) == 0) w.token = NULL;
  }
  const rc = xenbus_msg(XS.UNWATCH, 0, path, token, true);
  return rc < 0 ? rc : 0;
}

/** Reads any watch events waiting in the ring, then delivers every queued one; returns how many were delivered. */
export function xenbus_poll_watches(): u32 {
  // Events that arrived while no request was outstanding are still in the ring.
  while (volatile_read(addr_of(ring.rsp_prod)) != volatile_read(addr_of(ring.rsp_cons))) {
    deadline = 0n;
    if (!xb_read(ptr<u8>(reply_hdr), sizeof<xsd_sockmsg_t>())) return 0;
    const len = reply_hdr.len;
    if (len > MAX_PAYLOAD) return 0;
    if (!xb_read(reply, len)) return 0;
    if (reply_hdr.type == XS.WATCH_EVENT) queue_watch_event(len);
  }
  let delivered: u32 = 0;
  for (let e: u32 = 0; e < pending_count; e++) {
    const path = pending_events.add(e * 512);
    const token = path.add(strlen(path) + 1);
    for (let i: u32 = 0; i < 8; i++) {
      const w = watches.add(i);
      if (w.token != NULL && strcmp(w.token, token) == 0) {
        w.cb(path, token);
        delivered++;
      }
    }
  }
  pending_count = 0;
  return delivered;
}

/** The last reply's payload (for callers that want more than the copied value). */
export function xenbus_reply(): Ptr<u8> {
  return reply;
}
