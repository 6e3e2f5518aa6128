// A block frontend driven from TypeScript, for tests and fuzzing: it owns the
// shared ring page and data pages in a FakeGuestPort, grants them, and puts
// blkif requests on the ring as blkfront does.
import type { FakeGuestPort } from './fake-port.js';
import { readU32, writeU32, type RingMemory } from '../ring.js';
import { BLKIF_ENTRY_SIZE, BLKIF_REQ, BLKIF_RING_SIZE, BLKIF_RSP, BLKIF_SEG, BLKIF_SRING } from '../blkif.js';

export interface SegmentSpec { gref: number; first: number; last: number }
export interface Response { id: bigint; operation: number; status: number }

export class FakeBlkfront {
  readonly ring: RingMemory;
  reqProdPvt: number;
  rspCons: number;

  constructor(readonly port: FakeGuestPort, readonly ringMfn: number, readonly ringRef: number, start = 0) {
    port.grant(ringRef, ringMfn);
    const f = port.frame(ringMfn);
    this.ring = { read: (o, l) => f.slice(o, o + l), write: (o, d) => f.set(d, o) };
    for (const o of [BLKIF_SRING.req_prod, BLKIF_SRING.rsp_prod]) writeU32(this.ring, o, start);
    writeU32(this.ring, BLKIF_SRING.req_event, start + 1);
    writeU32(this.ring, BLKIF_SRING.rsp_event, start + 1);
    this.reqProdPvt = start;
    this.rspCons = start;
  }

  /** Queue a request in the next slot (not yet visible to the backend). */
  queue(op: number, id: bigint, sector: bigint, segs: SegmentSpec[], nrSegments = segs.length): void {
    const b = new Uint8Array(BLKIF_REQ.size);
    const dv = new DataView(b.buffer);
    dv.setUint8(BLKIF_REQ.operation, op);
    dv.setUint8(BLKIF_REQ.nr_segments, nrSegments);
    dv.setUint16(BLKIF_REQ.handle, 0, true);
    dv.setBigUint64(BLKIF_REQ.id, id, true);
    dv.setBigUint64(BLKIF_REQ.sector_number, sector, true);
    segs.slice(0, 11).forEach((s, i) => {
      const o = BLKIF_REQ.seg + i * BLKIF_SEG.size;
      dv.setUint32(o + BLKIF_SEG.gref, s.gref, true);
      dv.setUint8(o + BLKIF_SEG.first_sect, s.first);
      dv.setUint8(o + BLKIF_SEG.last_sect, s.last);
    });
    this.queueRaw(b);
  }

  queueRaw(entry: Uint8Array): void {
    const slot = BLKIF_SRING.ring + (this.reqProdPvt & (BLKIF_RING_SIZE - 1)) * BLKIF_ENTRY_SIZE;
    this.ring.write(slot, entry.subarray(0, BLKIF_ENTRY_SIZE));
    this.reqProdPvt = (this.reqProdPvt + 1) >>> 0;
  }

  /** RING_PUSH_REQUESTS: publish queued requests; returns whether the backend asked to be notified. */
  push(): boolean {
    const old = readU32(this.ring, BLKIF_SRING.req_prod);
    writeU32(this.ring, BLKIF_SRING.req_prod, this.reqProdPvt);
    const ev = readU32(this.ring, BLKIF_SRING.req_event);
    return ((this.reqProdPvt - ev) >>> 0) < ((this.reqProdPvt - old) >>> 0);
  }

  /** Take all responses the backend produced. */
  responses(): Response[] {
    const prod = readU32(this.ring, BLKIF_SRING.rsp_prod);
    const out: Response[] = [];
    while (this.rspCons !== prod) {
      const slot = BLKIF_SRING.ring + (this.rspCons & (BLKIF_RING_SIZE - 1)) * BLKIF_ENTRY_SIZE;
      const b = this.ring.read(slot, BLKIF_RSP.size);
      const dv = new DataView(b.buffer, b.byteOffset);
      out.push({ id: dv.getBigUint64(BLKIF_RSP.id, true), operation: dv.getUint8(BLKIF_RSP.operation), status: dv.getInt16(BLKIF_RSP.status, true) });
      this.rspCons = (this.rspCons + 1) >>> 0;
    }
    writeU32(this.ring, BLKIF_SRING.rsp_event, (this.rspCons + 1) >>> 0);
    return out;
  }
}
