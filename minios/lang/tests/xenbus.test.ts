// xenbus on the bare machine, with the test playing xenstored: replies are placed in the ring before the call
// (the hypercall page only returns here), including ones that wrap around the ring's end.
import { describe, expect, it } from 'vitest';
import { KernelRunner } from './machine.js';

const REQ = 0, RSP = 1024, REQ_CONS = 2048, REQ_PROD = 2052, RSP_CONS = 2056, RSP_PROD = 2060;

const k = KernelRunner.of({
  'x.ts': `import { xenbus_use_ring, xenbus_read, xenbus_transaction_end, xenbus_watch_path_token, xenbus_poll_watches, xenbus_ls } from "minios/xenbus";
import type { xenstore_domain_interface_t } from "xen/public";
const ring = static_struct<xenstore_domain_interface_t>(4096);
const value = static_buffer<u8>(64);
let fired: u32 = 0;
let fired_path: Ptr<u8> = NULL;
export function ring_addr(): u32 { return u32(ring); }
export function value_addr(): u32 { return u32(value); }
export function use(): void { xenbus_use_ring(ring, 5); }
export function read_vbd(): i32 { return xenbus_read(0, "device/vbd", value, 64); }
export function end_tx(tx: u32): u32 { let retry: u32 = 7; const rc = xenbus_transaction_end(tx, false, addr_of(retry)); return u32(rc) * 16 + retry; }
function on_change(path: Ptr<u8>, token: Ptr<u8>): void { fired++; fired_path = path; }
export function watch(): i32 { return xenbus_watch_path_token("backend", "tok", on_change); }
export function poll(): u32 { return xenbus_poll_watches() * 100 + fired; }
export function ls(): i32 { return xenbus_ls(0, "device", value, 64); }
`,
});

const enc = new TextEncoder();
let base = 0;

function setIndexes(req: number, rsp: number) {
  k.mem.write32(base + REQ_CONS, req); k.mem.write32(base + REQ_PROD, req);
  k.mem.write32(base + RSP_CONS, rsp); k.mem.write32(base + RSP_PROD, rsp);
}

/** Appends a reply message at rsp_prod (wrapping) and advances rsp_prod. */
function putReply(type: number, reqId: number, payload: Uint8Array) {
  const msg = new Uint8Array(16 + payload.length);
  const v = new DataView(msg.buffer);
  v.setUint32(0, type, true); v.setUint32(4, reqId, true); v.setUint32(8, 0, true); v.setUint32(12, payload.length, true);
  msg.set(payload, 16);
  let prod = k.read32(base + RSP_PROD);
  for (const b of msg) { k.mem.write8(base + RSP + (prod & 1023), b); prod++; }
  k.mem.write32(base + RSP_PROD, prod >>> 0);
}

/** The request bytes between req_cons and req_prod (wrapping). */
function takeRequest(): { type: number; reqId: number; tx: number; payload: string } {
  let cons = k.read32(base + REQ_CONS);
  const prod = k.read32(base + REQ_PROD);
  const bytes: number[] = [];
  while (cons !== prod) { bytes.push(k.mem.read8(base + REQ + (cons & 1023))); cons = (cons + 1) >>> 0; }
  k.mem.write32(base + REQ_CONS, cons);
  const v = new DataView(new Uint8Array(bytes).buffer);
  const len = v.getUint32(12, true);
  expect(bytes.length).toBe(16 + len);
  return { type: v.getUint32(0, true), reqId: v.getUint32(4, true), tx: v.getUint32(8, true), payload: new TextDecoder().decode(new Uint8Array(bytes.slice(16))) };
}

describe('xenbus over the ring', () => {
  it('sends a request and reads a reply that both wrap around the ring end', () => {
    base = k.call('ring_addr').eax;
    k.call('use');
    setIndexes(1015, 1020);
    putReply(2, 1, enc.encode('backend/vbd/1/768'));
    const n = k.call('read_vbd').eax;
    expect(n).toBe(17);
    expect(new TextDecoder().decode(k.mem.readBytes(k.call('value_addr').eax, 18))).toBe('backend/vbd/1/768\0');
    expect(k.read32(base + RSP_CONS)).toBe(1020 + 16 + 17);
    expect(takeRequest()).toEqual({ type: 2, reqId: 1, tx: 0, payload: 'device/vbd\0' });
  });

  it('reports EAGAIN at transaction end as "retry"', () => {
    putReply(16, 2, enc.encode('EAGAIN\0'));
    expect(k.call('end_tx', [42]).eax).toBe(1); // rc 0, retry 1
    expect(takeRequest()).toEqual({ type: 7, reqId: 2, tx: 42, payload: 'T\0' });
    putReply(7, 3, enc.encode('OK\0'));
    expect(k.call('end_tx', [43]).eax).toBe(0);
    takeRequest();
  });

  it('queues a watch event that arrives before the reply and delivers it on poll', () => {
    putReply(15, 0, enc.encode('backend\0tok\0'));
    putReply(4, 4, enc.encode('OK\0'));
    expect(k.call('watch').eax).toBe(0);
    expect(takeRequest().payload).toBe('backend\0tok\0');
    expect(k.call('poll').eax).toBe(101);
    putReply(15, 0, enc.encode('backend/x\0tok\0'));
    expect(k.call('poll').eax).toBe(102); // an event that came while idle is read from the ring by poll
  });

  it('returns error replies as negative errno and lists directories', () => {
    putReply(16, 5, enc.encode('ENOENT\0'));
    expect(k.call('ls').eax | 0).toBe(-2);
    takeRequest();
    putReply(1, 6, enc.encode('vbd\0vif\0console\0'));
    expect(k.call('ls').eax).toBe(3);
    expect(takeRequest()).toEqual({ type: 1, reqId: 6, tx: 0, payload: 'device\0' });
  });
});
