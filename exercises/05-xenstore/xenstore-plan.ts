// Exercise 05: what each seed prepares in XenStore, what Dom0 does during the run, and what it records.
// Before the guest runs, Dom0 fills the guest's data/xenlab/ (a question, a directory of items, a counter, a node the
// guest may not read) and moves the store ring's four indices to where this seed's run starts them (from 0, or just
// below a multiple of the ring size near 2^32, so that the first header of a request or a reply runs over the ring's
// end and the u32 counters wrap). During the run Dom0 watches the guest's requests as xenstored receives them:
// - the first request after the guest's XS_WATCH makes Dom0 ring the doorbell (write data/xenlab/doorbell) before
//   xenstored answers it, so the watch event lands in rsp[] between that request and its reply;
// - the guest's first commit (XS_TRANSACTION_END "T") makes Dom0 change the counter first, so that the commit fails
//   with EAGAIN and only a transaction done again from its start gets the counter right.
// Everything xenstored received and sent on the guest's connection is kept for the checks (run.extra).
import type { RunHooks, SetupContext } from '../../grader/api.js';
import type { Domain } from '../../hypervisor/index.js';
import type { XsClient } from '../../hypervisor/dom0/index.js';
import { XS, XS_RING } from '../../hypervisor/dom0/xenstore/wire.js';
import type { XsMessage } from '../../hypervisor/dom0/xenstore/wire.js';

export const SESSION_BUDGET = 5_000_000;
export const RING_SIZE = 1024;
export const BASE = 'data/xenlab';

export interface XenStorePlan {
  seed: number;
  question: string;
  items: string[];
  counter: number;
  /** What Dom0 adds to the counter just before the guest's first commit. */
  bump: number;
  doorbell: string;
  secret: string;
  /** Where the request and reply rings' indices start (cons = prod). */
  reqStart: number;
  rspStart: number;
}

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = (seed * 0x9e3779b1 + 0x7f4a7c15) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['xen', 'ring', 'event', 'grant', 'domain', 'store', 'watch', 'frame', 'vcpu', 'node', 'token', 'path', 'index', 'reply', 'page', 'port'];
const ITEMS = ['vif', 'vbd', 'console', 'vkbd', 'vfb', 'pci', 'tpm', 'qdisk', 'usb', 'p9'];

export function xenstorePlan(seed: number): XenStorePlan {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const word = () => WORDS[int(0, WORDS.length - 1)]!;
  const U32 = 2 ** 32;
  // Seed 1 starts both rings at 0, as a fresh domain does; the others where a long-lived connection may be: req[]
  // wrapping in the first header it sends (2), rsp[] in the first header it gets (3), or anywhere unaligned (4).
  const kind = ((seed - 1) % 4 + 4) % 4;
  const starts: [number, number][] = [
    [0, 0],
    [U32 - int(3, 13), U32 - RING_SIZE * int(1, 3) - int(20, 300)],
    [int(1, 0x7fffffff) * 2 + 1, U32 - int(2, 14)],
    [U32 - RING_SIZE * int(2, 5) - int(1, 15), int(1, U32 - 1)],
  ];
  const [reqStart, rspStart] = starts[kind]!;
  const pool = [...ITEMS];
  const items: string[] = [];
  for (let n = int(3, 5); n > 0; n--) items.push(pool.splice(int(0, pool.length - 1), 1)[0]!);
  return {
    seed,
    question: `${word()}-${word()}-${int(10, 9999)}`,
    items: items.sort(),
    counter: int(100, 999),
    bump: int(10, 90),
    doorbell: `ding-${word()}-${int(100, 999)}`,
    secret: `s3cret-${int(1000, 9999)}`,
    reqStart: reqStart >>> 0,
    rspStart: rspStart >>> 0,
  };
}

// ------------------------------------------------------------------------------------------------ the run
/** One request as xenstored received it from the guest, and what went back before the next one. */
export interface RequestRecord {
  type: number;
  reqId: number;
  txId: number;
  /** The payload with NULs shown as \0. */
  payload: string;
  /** Length of the payload in bytes. */
  len: number;
  /** The reply: type and payload (NULs as \0). */
  reply?: { type: number; reqId: number; payload: string };
  /** Watch events xenstored sent the guest after this request arrived and before its reply. */
  eventsBefore: string[];
}

export interface XenStoreObservation {
  reqStart: number;
  rspStart: number;
  requests: RequestRecord[];
  /** Index into requests of the request during which Dom0 rang the doorbell, and of the commit it made conflict. */
  doorbellDuring?: number;
  conflictDuring?: number;
  /** Why xenstored stopped the connection, if it did, and the page's error field. */
  broken?: string;
  error: number;
  final: { req_cons: number; req_prod: number; rsp_cons: number; rsp_prod: number };
}

export const shown = (b: Uint8Array, max = 160): string => {
  let s = '';
  for (const c of b.subarray(0, max)) s += c === 0 ? '\\0' : c >= 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return b.length > max ? `${s}...` : s;
};

function u32le(b: Uint8Array): number { return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0; }
function u32bytes(v: number): Uint8Array { return new Uint8Array([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255]); }

const MAX_RECORDS = 400;

export function setupXenStore(ctx: SetupContext): RunHooks {
  const { host } = ctx;
  const plan = xenstorePlan(ctx.seed);
  const store = host.dom0.store;
  const xs = host.dom0.xs;
  let dom: Domain | undefined;
  const requests: RequestRecord[] = [];
  let current: RequestRecord | undefined;
  let watched = false;
  let doorbellDuring: number | undefined;
  let conflictDuring: number | undefined;
  const page = () => {
    const b = host.hv.port(dom!.domid).readFrame(dom!.storeMfn, XS_RING.req_cons, 28);
    return {
      final: { req_cons: u32le(b), req_prod: u32le(b.subarray(4)), rsp_cons: u32le(b.subarray(8)), rsp_prod: u32le(b.subarray(12)) },
      error: u32le(b.subarray(24)),
    };
  };
  return {
    started(doms) {
      dom = doms[0]!;
      const home = `/local/domain/${dom.domid}`;
      const base = `${home}/${BASE}`;
      const mine = [`n${dom.domid}`];
      const put = (path: string, value: string, perms = mine) => { xs.write(path, value); xs.setPerms(path, perms); };
      xs.mkdir(base);
      xs.setPerms(base, mine);
      put(`${base}/question`, plan.question);
      xs.mkdir(`${base}/items`);
      xs.setPerms(`${base}/items`, mine);
      plan.items.forEach((name, i) => put(`${base}/items/${name}`, String(i + 1)));
      put(`${base}/counter`, String(plan.counter));
      put(`${base}/secret`, plan.secret, ['n0']);
      const port = host.hv.port(dom.domid);
      for (const [off, v] of [[XS_RING.req_cons, plan.reqStart], [XS_RING.req_prod, plan.reqStart], [XS_RING.rsp_cons, plan.rspStart], [XS_RING.rsp_prod, plan.rspStart]] as const) {
        port.writeFrame(dom.storeMfn, off, u32bytes(v));
      }
      const ring = host.dom0.storeRings.get(dom.domid);
      if (!ring) return;
      const conn: XsClient = ring.connection;
      const deliver = conn.deliver.bind(conn);
      (conn as { deliver(msg: XsMessage): void }).deliver = (msg) => {
        if (current && !current.reply) {
          if (msg.type === XS.WATCH_EVENT) current.eventsBefore.push(shown(msg.payload));
          else current.reply = { type: msg.type, reqId: msg.reqId, payload: shown(msg.payload) };
        }
        deliver(msg);
      };
      const handle = store.handle.bind(store);
      store.handle = (client, msg) => {
        if (client !== conn) { handle(client, msg); return; }
        current = { type: msg.type, reqId: msg.reqId, txId: msg.txId, payload: shown(msg.payload), len: msg.payload.length, eventsBefore: [] };
        if (requests.length < MAX_RECORDS) requests.push(current);
        const index = requests.length - 1;
        if (watched && doorbellDuring === undefined) {
          doorbellDuring = index;
          xs.write(`${base}/doorbell`, plan.doorbell);
        }
        if (msg.type === XS.TRANSACTION_END && conflictDuring === undefined && msg.payload[0] === 0x54 /* T */) {
          conflictDuring = index;
          xs.write(`${base}/counter`, String(plan.counter + plan.bump));
        }
        handle(client, msg);
        if (msg.type === XS.WATCH && current.reply?.type === XS.WATCH) watched = true;
      };
    },
    observe() {
      if (!dom) return {};
      const ring = host.dom0.storeRings.get(dom.domid);
      const o: XenStoreObservation = {
        reqStart: plan.reqStart, rspStart: plan.rspStart, requests,
        ...(doorbellDuring !== undefined ? { doorbellDuring } : {}),
        ...(conflictDuring !== undefined ? { conflictDuring } : {}),
        ...(ring?.broken ? { broken: ring.broken } : {}),
        ...page(),
      };
      return o as unknown as Record<string, unknown>;
    },
  };
}
