// Block backend (Linux blkback's job): virtual block devices backed by raw
// image files. The toolstack writes a device's backend and frontend
// directories; the backend watches them and walks the XenBus handshake as
// blkback does: InitWait with the disk's size and features, then on the
// frontend's Initialised it maps ring-ref, binds event-channel and goes
// Connected; Closing/Closed tear down. Requests come off the blkif ring, each
// segment through a grant; a write is on the file (writeSync) before its OK
// response goes out, and FLUSH_DISKCACHE / WRITE_BARRIER fsync the image.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { GrantMapping, GuestPort } from './port.js';
import { readU32, writeU32 } from './ring.js';
import {
  BLKIF_ENTRY_SIZE, BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER,
  BLKIF_REQ, BLKIF_RING_SIZE, BLKIF_RSP, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_RSP_OKAY, BLKIF_SECTOR, BLKIF_SEG, BLKIF_SRING,
  VDISK_READONLY, XenbusState,
} from './blkif.js';
import type { XsHandle } from './xenstore/handle.js';

export interface BlkbackStats { requests: number; reads: number; writes: number; flushes: number; errors: number; unsupported: number }

interface Segment { gref: number; first: number; last: number }

/** A request as the backend read it off the ring, shown to a VbdBackend's hooks. */
export interface BlkRequestView { operation: number; nrSegments: number; id: bigint; sector: bigint; segs: readonly Segment[] }

/** Observers of one device (graders): every request and its answer, and seeded fault injection. */
export interface VbdHooks {
  /** Before a request is served; a status returned answers it with that status instead, touching neither disk nor grants. */
  request?(req: BlkRequestView): number | undefined;
  /** After the request's response is on the ring (not yet pushed). */
  response?(req: BlkRequestView, status: number): void;
}
interface Request { operation: number; nrSegments: number; handle: number; idLo: number; idHi: number; sector: bigint; segs: Segment[] }

/** One virtual block device: backend/vbd/<domid>/<devid>. */
export class VbdBackend {
  readonly stats: BlkbackStats = { requests: 0, reads: 0, writes: 0, flushes: 0, errors: 0, unsupported: 0 };
  hooks: VbdHooks = {};
  private fd: number | undefined;
  private sectors = 0;
  private readonly readonly: boolean;
  private ring: GrantMapping | undefined;
  private localPort: number | undefined;
  private reqCons = 0;
  private rspProdPvt = 0;
  /** Why the device stopped (bad frontend data, a missing image): also written to XenStore. */
  lastError: string | undefined;
  private readonly frontendPath: string;

  constructor(
    private readonly xs: XsHandle,
    private readonly port: GuestPort,
    readonly backendPath: string,
  ) {
    this.frontendPath = xs.read(`${backendPath}/frontend`) ?? '';
    this.readonly = (xs.read(`${backendPath}/mode`) ?? 'w') !== 'w';
    const params = xs.read(`${backendPath}/params`) ?? '';
    try {
      this.fd = openSync(params, this.readonly ? 'r' : 'r+');
      this.sectors = Math.floor(fstatSync(this.fd).size / BLKIF_SECTOR);
    } catch (e) {
      this.fail(`cannot open disk image '${params}': ${(e as Error).message}`);
      return;
    }
    // What blkback publishes before waiting for the frontend (InitWait).
    xs.write(`${backendPath}/feature-flush-cache`, '1');
    xs.write(`${backendPath}/feature-barrier`, '1');
    this.writeDiskInfo();
    this.switchState(XenbusState.InitWait);
    xs.watch(`${this.frontendPath}/state`, `blkback:${backendPath}`, () => this.frontendChanged());
  }

  get domid(): number { return this.port.domid; }
  get state(): number { return Number(this.xs.read(`${this.backendPath}/state`) ?? '0'); }
  get connected(): boolean { return this.ring !== undefined; }
  get eventPort(): number | undefined { return this.localPort; }

  private writeDiskInfo(): void {
    this.xs.write(`${this.backendPath}/sectors`, String(this.sectors));
    this.xs.write(`${this.backendPath}/sector-size`, String(BLKIF_SECTOR));
    this.xs.write(`${this.backendPath}/info`, String(this.readonly ? VDISK_READONLY : 0));
  }

  private switchState(s: number): void {
    if (this.state !== s) this.xs.write(`${this.backendPath}/state`, String(s));
  }

  /** xenbus_dev_fatal: record the error where xl looks for it and close. */
  private fail(why: string): void {
    this.lastError = why;
    this.xs.write(`/local/domain/0/error${this.backendPath.replace('/local/domain/0', '')}/error`, why);
    this.disconnect();
    this.switchState(XenbusState.Closing);
  }

  private frontendChanged(): void {
    const fe = Number(this.xs.read(`${this.frontendPath}/state`) ?? String(XenbusState.Unknown));
    switch (fe) {
      case XenbusState.Initialising:
        // A frontend starting over after Closed (a reboot, or after we gave up on it) gets a fresh InitWait.
        if (this.state === XenbusState.Closed && this.fd !== undefined) { this.lastError = undefined; this.switchState(XenbusState.InitWait); }
        break;
      case XenbusState.Initialised:
      case XenbusState.Connected:
        if (this.state !== XenbusState.Connected && this.fd !== undefined && !this.lastError) this.connect();
        break;
      case XenbusState.Closing:
        this.disconnect();
        this.switchState(XenbusState.Closing);
        break;
      case XenbusState.Closed:
      case XenbusState.Unknown:
        this.disconnect();
        this.switchState(XenbusState.Closed);
        break;
      default:
        break;
    }
  }

  private connect(): void {
    const ringRef = parseU32(this.xs.read(`${this.frontendPath}/ring-ref`));
    const evtchn = parseU32(this.xs.read(`${this.frontendPath}/event-channel`));
    const protocol = this.xs.read(`${this.frontendPath}/protocol`) ?? 'x86_32-abi';
    if (ringRef === undefined) return this.fail(`reading ${this.frontendPath}/ring-ref: missing or not a number`);
    if (evtchn === undefined) return this.fail(`reading ${this.frontendPath}/event-channel: missing or not a number`);
    if (protocol !== 'x86_32-abi') return this.fail(`unknown fe protocol ${protocol} (only x86_32-abi is served)`);
    const ring = this.port.mapGrant(ringRef, true);
    if (typeof ring === 'number') return this.fail(`mapping ring-ref ${ringRef}: error ${ring}`);
    const local = this.port.bindInterdomain(evtchn);
    if (local < 0) { ring.unmap(); return this.fail(`binding event-channel ${evtchn}: error ${local}`); }
    this.ring = ring;
    this.localPort = local;
    // A fresh ring: the frontend's SHARED_RING_INIT left the indexes at 0.
    this.reqCons = readU32(ring, BLKIF_SRING.rsp_prod);
    this.rspProdPvt = this.reqCons;
    this.writeDiskInfo();
    this.switchState(XenbusState.Connected);
    this.handleEvent();
  }

  private disconnect(): void {
    this.ring?.unmap();
    this.ring = undefined;
    if (this.localPort !== undefined) this.port.unbind(this.localPort);
    this.localPort = undefined;
  }

  /** The frontend notified the device's event channel: serve the ring. */
  handleEvent(): void {
    const ring = this.ring;
    if (!ring) return;
    for (;;) {
      const prod = readU32(ring, BLKIF_SRING.req_prod);
      const pending = (prod - this.reqCons) >>> 0;
      if (pending > BLKIF_RING_SIZE) return this.fail(`frontend produced ${pending} requests on a ${BLKIF_RING_SIZE}-entry ring (req_prod ${prod}, req_cons ${this.reqCons})`);
      // Responses not yet consumed bound how far we may run ahead (RING_REQUEST_CONS_OVERFLOW).
      while (this.reqCons !== prod && ((this.reqCons - this.rspProdPvt) >>> 0) < BLKIF_RING_SIZE) {
        const slot = BLKIF_SRING.ring + (this.reqCons & (BLKIF_RING_SIZE - 1)) * BLKIF_ENTRY_SIZE;
        const req = parseRequest(ring.read(slot, BLKIF_REQ.size));
        this.reqCons = (this.reqCons + 1) >>> 0;
        const status = this.serve(req);
        this.respond(ring, req, status);
        this.hooks.response?.({ operation: req.operation, nrSegments: req.nrSegments, id: (BigInt(req.idHi) << 32n) | BigInt(req.idLo), sector: req.sector, segs: req.segs }, status);
        if (!this.ring) return;
      }
      this.pushResponses(ring);
      // RING_FINAL_CHECK_FOR_REQUESTS: ask for a notification, then look once more.
      writeU32(ring, BLKIF_SRING.req_event, (this.reqCons + 1) >>> 0);
      if (readU32(ring, BLKIF_SRING.req_prod) === this.reqCons) return;
    }
  }

  private serve(req: Request): number {
    this.stats.requests++;
    const view: BlkRequestView = { operation: req.operation, nrSegments: req.nrSegments, id: (BigInt(req.idHi) << 32n) | BigInt(req.idLo), sector: req.sector, segs: req.segs };
    const status = this.hooks.request?.(view) ?? this.io(req);
    if (status === BLKIF_RSP_ERROR) this.stats.errors++;
    if (status === BLKIF_RSP_EOPNOTSUPP) this.stats.unsupported++;
    return status;
  }

  private io(req: Request): number {
    const { operation: op } = req;
    const isFlush = op === BLKIF_OP_FLUSH_DISKCACHE || op === BLKIF_OP_WRITE_BARRIER;
    if (op !== BLKIF_OP_READ && op !== BLKIF_OP_WRITE && !isFlush) return BLKIF_RSP_EOPNOTSUPP;
    if (this.fd === undefined) return BLKIF_RSP_ERROR;
    const writing = op !== BLKIF_OP_READ;
    if (req.nrSegments > BLKIF_MAX_SEGMENTS_PER_REQUEST) return BLKIF_RSP_ERROR;
    if (req.nrSegments === 0 && !isFlush) return BLKIF_RSP_ERROR;
    if (writing && this.readonly && req.nrSegments > 0) return BLKIF_RSP_ERROR;
    let total = 0;
    for (const s of req.segs) {
      if (s.first > s.last || s.last >= 4096 / BLKIF_SECTOR) return BLKIF_RSP_ERROR;
      total += s.last - s.first + 1;
    }
    if (req.sector + BigInt(total) > BigInt(this.sectors)) return BLKIF_RSP_ERROR;
    // Map every segment before touching the disk, so a bad grant changes nothing.
    const maps: GrantMapping[] = [];
    const release = () => { for (const m of maps) m.unmap(); };
    for (const s of req.segs) {
      const m = this.port.mapGrant(s.gref, !writing);
      if (typeof m === 'number') { release(); return BLKIF_RSP_ERROR; }
      maps.push(m);
    }
    try {
      let pos = Number(req.sector) * BLKIF_SECTOR;
      req.segs.forEach((s, i) => {
        const off = s.first * BLKIF_SECTOR;
        const len = (s.last - s.first + 1) * BLKIF_SECTOR;
        if (writing) {
          writeSync(this.fd!, maps[i].read(off, len), 0, len, pos);
        } else {
          const buf = new Uint8Array(len);
          readSync(this.fd!, buf, 0, len, pos);
          maps[i].write(off, buf);
        }
        pos += len;
      });
      if (isFlush) { fsyncSync(this.fd); this.stats.flushes++; }
      if (op === BLKIF_OP_READ) this.stats.reads++; else if (req.nrSegments > 0) this.stats.writes++;
      return BLKIF_RSP_OKAY;
    } catch {
      return BLKIF_RSP_ERROR;
    } finally {
      release();
    }
  }

  private respond(ring: GrantMapping, req: Request, status: number): void {
    const rsp = new Uint8Array(BLKIF_RSP.size);
    const dv = new DataView(rsp.buffer);
    dv.setUint32(BLKIF_RSP.id, req.idLo, true);
    dv.setUint32(BLKIF_RSP.id + 4, req.idHi, true);
    dv.setUint8(BLKIF_RSP.operation, req.operation);
    dv.setInt16(BLKIF_RSP.status, status, true);
    const slot = BLKIF_SRING.ring + (this.rspProdPvt & (BLKIF_RING_SIZE - 1)) * BLKIF_ENTRY_SIZE;
    ring.write(slot, rsp);
    this.rspProdPvt = (this.rspProdPvt + 1) >>> 0;
  }

  /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY. */
  private pushResponses(ring: GrantMapping): void {
    const old = readU32(ring, BLKIF_SRING.rsp_prod);
    const now = this.rspProdPvt;
    if (old === now) return;
    writeU32(ring, BLKIF_SRING.rsp_prod, now);
    const event = readU32(ring, BLKIF_SRING.rsp_event);
    if (((now - event) >>> 0) < ((now - old) >>> 0) && this.localPort !== undefined) this.port.notify(this.localPort);
  }

  /** The toolstack removed the device. */
  destroy(): void {
    this.xs.unwatch(`${this.frontendPath}/state`, `blkback:${this.backendPath}`);
    this.disconnect();
    if (this.fd !== undefined) { try { closeSync(this.fd); } catch { /* already closed */ } }
    this.fd = undefined;
  }
}

function parseRequest(raw: Uint8Array): Request {
  // A port may hand back fewer bytes than asked (a frame it no longer maps): read zeroes then.
  const b = raw.length >= BLKIF_REQ.size ? raw : new Uint8Array(BLKIF_REQ.size);
  if (b !== raw) b.set(raw.subarray(0, BLKIF_REQ.size));
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const nrSegments = dv.getUint8(BLKIF_REQ.nr_segments);
  const segs: Segment[] = [];
  for (let i = 0; i < Math.min(nrSegments, BLKIF_MAX_SEGMENTS_PER_REQUEST); i++) {
    const o = BLKIF_REQ.seg + i * BLKIF_SEG.size;
    segs.push({ gref: dv.getUint32(o + BLKIF_SEG.gref, true), first: dv.getUint8(o + BLKIF_SEG.first_sect), last: dv.getUint8(o + BLKIF_SEG.last_sect) });
  }
  return {
    operation: dv.getUint8(BLKIF_REQ.operation), nrSegments, handle: dv.getUint16(BLKIF_REQ.handle, true),
    idLo: dv.getUint32(BLKIF_REQ.id, true), idHi: dv.getUint32(BLKIF_REQ.id + 4, true),
    sector: dv.getBigUint64(BLKIF_REQ.sector_number, true), segs,
  };
}

function parseU32(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n : undefined;
}

/**
 * Watches Dom0's backend/vbd directory and runs a VbdBackend for every device
 * the toolstack adds there (what the blkback driver's xenbus probe does).
 */
export class BlkbackDriver {
  readonly devices = new Map<string, VbdBackend>();

  constructor(private readonly xs: XsHandle, private readonly portFor: (domid: number) => GuestPort | undefined) {
    xs.watch('/local/domain/0/backend/vbd', 'blkback-driver', () => this.scan());
  }

  /** Route an event on a Dom0 port to the device bound to it; true if one was. */
  handleEvent(domid: number, localPort: number): boolean {
    for (const d of this.devices.values()) {
      if (d.domid === domid && d.eventPort === localPort) { d.handleEvent(); return true; }
    }
    return false;
  }

  private scan(): void {
    const base = '/local/domain/0/backend/vbd';
    const live = new Set<string>();
    const doms = this.xs.directory(base);
    for (const d of typeof doms === 'string' ? [] : doms) {
      const devs = this.xs.directory(`${base}/${d}`);
      for (const v of typeof devs === 'string' ? [] : devs) {
        const path = `${base}/${d}/${v}`;
        live.add(path);
        if (this.devices.has(path)) continue;
        // Probe once the toolstack has written the whole directory (state Initialising, params present).
        if (this.xs.read(`${path}/state`) !== String(XenbusState.Initialising) || this.xs.read(`${path}/params`) === undefined) continue;
        const domid = Number(this.xs.read(`${path}/frontend-id`));
        const port = Number.isInteger(domid) ? this.portFor(domid) : undefined;
        if (!port) continue;
        this.devices.set(path, new VbdBackend(this.xs, port, path));
      }
    }
    for (const [path, dev] of this.devices) {
      if (!live.has(path)) { dev.destroy(); this.devices.delete(path); }
    }
  }
}
