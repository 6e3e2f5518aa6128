// xenstored's side of a guest's xenstore_domain_interface page: requests are
// read from req[] between req_cons and req_prod, replies and watch events
// written to rsp[] at rsp_prod. Indexes are free-running u32s owned by the
// guest, so they are re-read and checked on every event; impossible values
// set the page's error field and stop the connection, as xenstored does.
import type { GuestPort } from '../port.js';
import { copyIn, copyOut, frameMemory, readU32, type RingMemory, ringUsed, writeU32, type ByteRingLayout } from '../ring.js';
import { XsConnection } from './connection.js';
import type { XenStore } from './xenstored.js';
import {
  XENSTORE_ERROR_PROTO, XENSTORE_ERROR_RINGIDX, XENSTORE_PAYLOAD_MAX, XENSTORE_RING_SIZE, XENSTORE_SERVER_FEATURE_ERROR,
  XS_RING, XSD_SOCKMSG_SIZE,
} from './wire.js';

const REQ: ByteRingLayout = { data: XS_RING.req, size: XENSTORE_RING_SIZE, cons: XS_RING.req_cons, prod: XS_RING.req_prod };
const RSP: ByteRingLayout = { data: XS_RING.rsp, size: XENSTORE_RING_SIZE, cons: XS_RING.rsp_cons, prod: XS_RING.rsp_prod };

/** Replies waiting for room in rsp[] beyond this stop the reading of new requests (back-pressure). */
const BACKLOG_PAUSE = 4 * (XSD_SOCKMSG_SIZE + XENSTORE_PAYLOAD_MAX);
/** Watch events beyond this are dropped for a guest that does not read its ring. */
const BACKLOG_MAX = 64 * (XSD_SOCKMSG_SIZE + XENSTORE_PAYLOAD_MAX);

export class XenStoreRing {
  readonly connection: XsConnection;
  private readonly mem: RingMemory;
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private inEvent = false;
  /** Why the ring was stopped, if it was. */
  broken: string | undefined;
  droppedEvents = 0;

  constructor(store: XenStore, private readonly port: GuestPort, readonly mfn: number, readonly localPort: number) {
    this.mem = frameMemory(port, mfn);
    this.connection = new XsConnection(store, port.domid, false, (b) => this.queue(b));
    writeU32(this.mem, XS_RING.server_features, XENSTORE_SERVER_FEATURE_ERROR);
  }

  /** The guest notified the store event channel: take requests, push replies. */
  handleEvent(): void {
    if (this.broken) return;
    this.inEvent = true;
    let moved = false;
    try {
      for (;;) {
        moved = this.flush() || moved;
        if (this.broken || this.backlogBytes > BACKLOG_PAUSE) break;
        const cons = readU32(this.mem, REQ.cons);
        const prod = readU32(this.mem, REQ.prod);
        const used = ringUsed(prod, cons, REQ.size);
        if (used < 0) { this.stop(XENSTORE_ERROR_RINGIDX, `req_prod ${prod} and req_cons ${cons} are ${(prod - cons) >>> 0} apart (ring holds ${REQ.size})`); break; }
        if (used === 0) break;
        const data = copyOut(this.mem, REQ, cons, used);
        writeU32(this.mem, REQ.cons, (cons + used) >>> 0);
        moved = true;
        this.connection.feed(data);
        if (this.connection.broken) { this.stop(XENSTORE_ERROR_PROTO, this.connection.broken); break; }
      }
      moved = this.flush() || moved;
    } finally {
      this.inEvent = false;
    }
    if (moved) this.port.notify(this.localPort);
  }

  private queue(msg: Uint8Array): void {
    if (this.broken) return;
    const isEvent = msg.length >= 4 && msg[0] === 15 && msg[1] === 0 && msg[2] === 0 && msg[3] === 0;
    if (isEvent && this.backlogBytes + msg.length > BACKLOG_MAX) { this.droppedEvents++; return; }
    this.backlog.push(msg);
    this.backlogBytes += msg.length;
    // A watch fired by another client's change: deliver now.
    if (!this.inEvent && this.flush()) this.port.notify(this.localPort);
  }

  /** Copy as much backlog into rsp[] as fits (messages may be split); true if anything was written. */
  private flush(): boolean {
    if (this.backlog.length === 0 || this.broken) return false;
    const cons = readU32(this.mem, RSP.cons);
    const prod = readU32(this.mem, RSP.prod);
    const used = ringUsed(prod, cons, RSP.size);
    if (used < 0) { this.stop(XENSTORE_ERROR_RINGIDX, `rsp_prod ${prod} and rsp_cons ${cons} are ${(prod - cons) >>> 0} apart`); return false; }
    let room = RSP.size - used;
    let at = prod;
    while (room > 0 && this.backlog.length) {
      const head = this.backlog[0];
      const n = Math.min(room, head.length);
      copyIn(this.mem, RSP, at, head.subarray(0, n));
      at = (at + n) >>> 0;
      room -= n;
      this.backlogBytes -= n;
      if (n === head.length) this.backlog.shift(); else this.backlog[0] = head.subarray(n);
    }
    if (at === prod) return false;
    writeU32(this.mem, RSP.prod, at);
    return true;
  }

  private stop(code: number, why: string): void {
    this.broken = why;
    writeU32(this.mem, XS_RING.error, code);
    this.backlog = [];
    this.backlogBytes = 0;
    // As xenstored closing a connection: its watches and transactions go.
    this.connection.close();
  }

  close(): void { this.connection.close(); }
}
