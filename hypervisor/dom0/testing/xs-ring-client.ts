// A guest's side of the xenstore ring, for tests and fuzzing: writes requests
// into req[], reads replies out of rsp[], with free-running indexes that may
// start anywhere (to cross the 2^32 wrap).
import type { FakeGuestPort } from './fake-port.js';
import { copyIn, copyOut, frameMemory, readU32, type RingMemory, writeU32 } from '../ring.js';
import { encodeMessage, splitStrings, XENSTORE_RING_SIZE, XS_RING, XSD_SOCKMSG_SIZE, type XsMessage } from '../xenstore/wire.js';

const REQ = { data: XS_RING.req, size: XENSTORE_RING_SIZE, cons: XS_RING.req_cons, prod: XS_RING.req_prod };
const RSP = { data: XS_RING.rsp, size: XENSTORE_RING_SIZE, cons: XS_RING.rsp_cons, prod: XS_RING.rsp_prod };

export class XsRingClient {
  readonly mem: RingMemory;
  private rx = new Uint8Array(0);
  private reqId = 1;

  constructor(readonly port: FakeGuestPort, readonly mfn: number, startIndex = 0) {
    port.frame(mfn);
    this.mem = frameMemory(port, mfn);
    for (const off of [REQ.cons, REQ.prod, RSP.cons, RSP.prod]) writeU32(this.mem, off, startIndex);
  }

  /** Put raw bytes into req[] (as much as fits); returns how many went in. */
  push(data: Uint8Array): number {
    const cons = readU32(this.mem, REQ.cons);
    const prod = readU32(this.mem, REQ.prod);
    const room = REQ.size - ((prod - cons) >>> 0);
    const n = Math.max(0, Math.min(room, data.length));
    copyIn(this.mem, REQ, prod, data.subarray(0, n));
    writeU32(this.mem, REQ.prod, (prod + n) >>> 0);
    return n;
  }

  /** Take everything in rsp[]; returns complete messages parsed so far. */
  pull(): XsMessage[] {
    const cons = readU32(this.mem, RSP.cons);
    const prod = readU32(this.mem, RSP.prod);
    const used = (prod - cons) >>> 0;
    const fresh = copyOut(this.mem, RSP, cons, Math.min(used, RSP.size));
    writeU32(this.mem, RSP.cons, prod);
    const all = new Uint8Array(this.rx.length + fresh.length);
    all.set(this.rx); all.set(fresh, this.rx.length);
    const out: XsMessage[] = [];
    let at = 0;
    while (all.length - at >= XSD_SOCKMSG_SIZE) {
      const dv = new DataView(all.buffer, at);
      const len = dv.getUint32(12, true);
      if (all.length - at < XSD_SOCKMSG_SIZE + len) break;
      out.push({ type: dv.getUint32(0, true), reqId: dv.getUint32(4, true), txId: dv.getUint32(8, true), payload: all.slice(at + 16, at + 16 + len) });
      at += 16 + len;
    }
    this.rx = all.slice(at);
    return out;
  }

  encode(type: number, payload: Uint8Array, txId = 0): Uint8Array {
    return encodeMessage({ type, reqId: this.reqId++, txId, payload });
  }
}

export const strings = (m: XsMessage): string[] => splitStrings(m.payload);
