import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlkbackDriver } from './blkback.js';
import {
  BLKIF_OP_DISCARD, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_EOPNOTSUPP,
  BLKIF_RSP_ERROR, BLKIF_RSP_OKAY, XenbusState,
} from './blkif.js';
import { FakeGuestPort } from './testing/fake-port.js';
import { FakeBlkfront } from './testing/fake-blkfront.js';
import { XenStore } from './xenstore/xenstored.js';
import { XsHandle } from './xenstore/handle.js';
import { writeDomainNodes, writeVbdNodes } from './toolstack/nodes.js';

const DOMID = 3;
const FE_EVTCHN = 5;
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function setup(opts: { mode?: 'r' | 'w'; sectors?: number; start?: number; image?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-blk-'));
  dirs.push(dir);
  const image = opts.image ?? join(dir, 'disk.img');
  if (!opts.image) writeFileSync(image, new Uint8Array((opts.sectors ?? 2048) * 512));
  const store = new XenStore();
  const xs = new XsHandle(store);
  const port = new FakeGuestPort(DOMID);
  port.unboundGuestPorts.add(FE_EVTCHN);
  writeDomainNodes(xs, { domid: DOMID, name: 'g', memoryMiB: 16, storeMfn: 1, storeEvtchn: 1, consoleMfn: 2, consoleEvtchn: 2 });
  const driver = new BlkbackDriver(xs, (d) => (d === DOMID ? port : undefined));
  const nodes = writeVbdNodes(xs, DOMID, { target: image, vdev: 'xvda', mode: opts.mode ?? 'w', format: 'raw' });
  if (typeof nodes === 'string') throw new Error(nodes);
  const guest = new XsHandle(store, DOMID);
  const front = new FakeBlkfront(port, 0x900, 8, opts.start ?? 0);
  // Data pages: grant refs 100.. over frames 0x1000..
  for (let i = 0; i < 16; i++) port.grant(100 + i, 0x1000 + i);
  const fe = nodes.frontendPath;
  const be = nodes.backendPath;
  /** What blkfront does once the backend is in InitWait. */
  const connectFrontend = () => {
    guest.write(`${fe}/ring-ref`, '8');
    guest.write(`${fe}/event-channel`, String(FE_EVTCHN));
    guest.write(`${fe}/protocol`, 'x86_32-abi');
    guest.write(`${fe}/state`, String(XenbusState.Initialised));
  };
  const kick = () => {
    const local = [...port.bound.entries()].find(([, r]) => r === FE_EVTCHN)?.[0];
    if (local === undefined) throw new Error('event channel not bound');
    expect(driver.handleEvent(DOMID, local)).toBe(true);
  };
  return { image, xs, guest, port, driver, front, fe, be, connectFrontend, kick, state: () => Number(xs.read(`${be}/state`)) };
}

const page = (port: FakeGuestPort, i: number) => port.frame(0x1000 + i);

describe('blkback XenBus handshake', () => {
  it('publishes the disk and waits, then connects on Initialised, and closes', () => {
    const t = setup({ sectors: 4096 });
    expect(t.state()).toBe(XenbusState.InitWait);
    expect(t.xs.read(`${t.be}/sectors`)).toBe('4096');
    expect(t.xs.read(`${t.be}/sector-size`)).toBe('512');
    expect(t.xs.read(`${t.be}/info`)).toBe('0');
    expect(t.xs.read(`${t.be}/feature-flush-cache`)).toBe('1');
    expect(t.xs.read(`${t.be}/feature-barrier`)).toBe('1');
    // The guest can read its backend's nodes (as blkfront must).
    expect(t.guest.read(`${t.be}/sectors`)).toBe('4096');
    t.connectFrontend();
    expect(t.state()).toBe(XenbusState.Connected);
    expect(t.port.mappedCount).toBe(1);
    expect([...t.port.bound.values()]).toEqual([FE_EVTCHN]);
    t.guest.write(`${t.fe}/state`, String(XenbusState.Connected));
    expect(t.state()).toBe(XenbusState.Connected);
    t.guest.write(`${t.fe}/state`, String(XenbusState.Closing));
    expect(t.state()).toBe(XenbusState.Closing);
    expect(t.port.mappedCount).toBe(0);
    expect(t.port.bound.size).toBe(0);
    t.guest.write(`${t.fe}/state`, String(XenbusState.Closed));
    expect(t.state()).toBe(XenbusState.Closed);
    // A frontend that comes back (Initialising) finds the backend in InitWait again.
    t.guest.write(`${t.fe}/state`, String(XenbusState.Initialising));
    expect(t.state()).toBe(XenbusState.InitWait);
  });

  it('refuses a frontend with bad nodes, with an error node and Closing', () => {
    const t = setup();
    t.guest.write(`${t.fe}/ring-ref`, 'banana');
    t.guest.write(`${t.fe}/event-channel`, '5');
    t.guest.write(`${t.fe}/state`, String(XenbusState.Initialised));
    expect(t.state()).toBe(XenbusState.Closing);
    expect(t.xs.read(`/local/domain/0/error/backend/vbd/${DOMID}/51712/error`)).toMatch(/ring-ref/);
  });

  it('refuses an unknown protocol and an ungranted ring', () => {
    const a = setup();
    a.guest.write(`${a.fe}/ring-ref`, '8');
    a.guest.write(`${a.fe}/event-channel`, '5');
    a.guest.write(`${a.fe}/protocol`, 'x86_64-abi');
    a.guest.write(`${a.fe}/state`, String(XenbusState.Initialised));
    expect(a.state()).toBe(XenbusState.Closing);
    const b = setup();
    b.guest.write(`${b.fe}/ring-ref`, '77');
    b.guest.write(`${b.fe}/event-channel`, '5');
    b.guest.write(`${b.fe}/state`, String(XenbusState.Initialised));
    expect(b.state()).toBe(XenbusState.Closing);
    expect(b.port.bound.size).toBe(0);
  });

  it('reports a missing image instead of throwing', () => {
    const t = setup({ image: '/nonexistent/disk.img' });
    expect(t.state()).toBe(XenbusState.Closing);
    expect(t.xs.read(`/local/domain/0/error/backend/vbd/${DOMID}/51712/error`)).toMatch(/cannot open disk image/);
  });
});

describe('blkback requests', () => {
  it('writes through grants to the file before answering, reads back, flushes', () => {
    const t = setup();
    t.connectFrontend();
    // 3 segments: sectors 2-7 of page 0, 0-7 of page 1, 0-0 of page 2 = 15 sectors at sector 100.
    for (let i = 0; i < 3; i++) page(t.port, i).forEach((_, j, a) => { a[j] = (i * 37 + j) & 0xff; });
    t.front.queue(BLKIF_OP_WRITE, 0x1122334455667788n, 100n, [
      { gref: 100, first: 2, last: 7 }, { gref: 101, first: 0, last: 7 }, { gref: 102, first: 0, last: 0 },
    ]);
    expect(t.front.push()).toBe(true);
    t.kick();
    expect(t.front.responses()).toEqual([{ id: 0x1122334455667788n, operation: BLKIF_OP_WRITE, status: BLKIF_RSP_OKAY }]);
    const disk = readFileSync(t.image);
    const expected = new Uint8Array([...page(t.port, 0).subarray(1024), ...page(t.port, 1), ...page(t.port, 2).subarray(0, 512)]);
    expect(Buffer.compare(disk.subarray(100 * 512, 115 * 512), expected)).toBe(0);
    expect(disk.subarray(0, 100 * 512).every((b) => b === 0)).toBe(true);

    t.front.queue(BLKIF_OP_READ, 7n, 100n, [{ gref: 105, first: 0, last: 7 }, { gref: 106, first: 1, last: 7 }]);
    t.front.queue(BLKIF_OP_FLUSH_DISKCACHE, 8n, 0n, [], 0);
    t.front.queue(BLKIF_OP_WRITE_BARRIER, 9n, 0n, [{ gref: 100, first: 0, last: 0 }]);
    t.front.push();
    t.kick();
    expect(t.front.responses().map((r) => [r.id, r.status])).toEqual([[7n, 0], [8n, 0], [9n, 0]]);
    expect(Buffer.compare(page(t.port, 5), disk.subarray(100 * 512, 108 * 512))).toBe(0);
    expect(Buffer.compare(page(t.port, 6).subarray(512), disk.subarray(108 * 512, 115 * 512))).toBe(0);
    expect(readFileSync(t.image).subarray(0, 512)).toEqual(Buffer.from(page(t.port, 0).subarray(0, 512)));
    const dev = [...t.driver.devices.values()][0];
    expect(dev.stats).toMatchObject({ requests: 4, reads: 1, writes: 2, flushes: 2, errors: 0 });
  });

  it('shows every request to its hooks, and answers one with the status a hook gives without touching the disk', () => {
    const t = setup();
    t.connectFrontend();
    const dev = [...t.driver.devices.values()][0];
    const seen: string[] = [];
    let failNext = true;
    dev.hooks = {
      request(req) {
        seen.push(`req ${req.operation} id ${req.id} sector ${req.sector} segs ${req.segs.map((s) => `${s.gref}:${s.first}-${s.last}`).join(',')}`);
        if (req.operation === BLKIF_OP_WRITE && failNext) { failNext = false; return BLKIF_RSP_ERROR; }
        return undefined;
      },
      response(req, status) { seen.push(`rsp ${req.id} ${status}`); },
    };
    page(t.port, 0).fill(0xab);
    t.front.queue(BLKIF_OP_WRITE, 1n, 20n, [{ gref: 100, first: 0, last: 1 }]);
    t.front.queue(BLKIF_OP_WRITE, 2n, 10n, [{ gref: 100, first: 0, last: 1 }]);
    t.front.push();
    t.kick();
    expect(t.front.responses().map((r) => [r.id, r.status])).toEqual([[1n, BLKIF_RSP_ERROR], [2n, BLKIF_RSP_OKAY]]);
    expect(seen).toEqual(['req 1 id 1 sector 20 segs 100:0-1', 'rsp 1 -1', 'req 1 id 2 sector 10 segs 100:0-1', 'rsp 2 0']);
    expect(dev.stats).toMatchObject({ requests: 2, writes: 1, errors: 1 });
    expect(readFileSync(t.image).subarray(10 * 512, 12 * 512).every((b) => b === 0xab)).toBe(true);
    expect(readFileSync(t.image).subarray(20 * 512, 22 * 512).every((b) => b === 0)).toBe(true);
  });

  it('answers bad requests with status codes and changes nothing', () => {
    const t = setup({ sectors: 64 });
    t.connectFrontend();
    page(t.port, 0).fill(0xaa);
    const segs11 = Array.from({ length: 11 }, (_, i) => ({ gref: 100 + i, first: 0, last: 0 }));
    t.front.queue(BLKIF_OP_WRITE, 1n, 60n, [{ gref: 100, first: 0, last: 7 }]); // past the end
    t.front.queue(BLKIF_OP_WRITE, 2n, 0n, [{ gref: 999, first: 0, last: 0 }]); // no such grant
    t.front.queue(BLKIF_OP_WRITE, 3n, 0n, [{ gref: 100, first: 5, last: 2 }]); // first > last
    t.front.queue(BLKIF_OP_WRITE, 4n, 0n, [{ gref: 100, first: 0, last: 8 }]); // past the page
    t.front.queue(BLKIF_OP_WRITE, 5n, 0n, segs11, 12); // too many segments
    t.front.queue(BLKIF_OP_READ, 6n, 0n, [], 0); // no segments
    t.front.queue(BLKIF_OP_DISCARD, 7n, 0n, [], 0);
    t.front.queue(200, 8n, 0n, [], 0);
    t.front.queue(BLKIF_OP_WRITE, 9n, 0n, [{ gref: 100, first: 0, last: 0 }, { gref: 998, first: 0, last: 0 }]); // second grant bad
    t.front.queue(BLKIF_OP_WRITE, 10n, 53n, segs11); // 11 segments fit exactly at the end
    t.front.push();
    t.kick();
    expect(t.front.responses().map((r) => Number(r.id) + ':' + r.status)).toEqual([
      `1:${BLKIF_RSP_ERROR}`, `2:${BLKIF_RSP_ERROR}`, `3:${BLKIF_RSP_ERROR}`, `4:${BLKIF_RSP_ERROR}`, `5:${BLKIF_RSP_ERROR}`,
      `6:${BLKIF_RSP_ERROR}`, `7:${BLKIF_RSP_EOPNOTSUPP}`, `8:${BLKIF_RSP_EOPNOTSUPP}`, `9:${BLKIF_RSP_ERROR}`, `10:${BLKIF_RSP_OKAY}`,
    ]);
    const disk = readFileSync(t.image);
    expect(disk.subarray(0, 53 * 512).every((b) => b === 0)).toBe(true);
    expect(disk.subarray(53 * 512, 54 * 512).every((b) => b === 0xaa)).toBe(true);
    expect(t.port.mappedCount).toBe(1); // only the ring stays mapped
  });

  it('refuses writes to a read-only disk and says so in info', () => {
    const t = setup({ mode: 'r' });
    expect(t.xs.read(`${t.be}/info`)).toBe('4');
    t.connectFrontend();
    t.front.queue(BLKIF_OP_WRITE, 1n, 0n, [{ gref: 100, first: 0, last: 0 }]);
    t.front.queue(BLKIF_OP_READ, 2n, 0n, [{ gref: 100, first: 0, last: 0 }]);
    t.front.push();
    t.kick();
    expect(t.front.responses().map((r) => r.status)).toEqual([BLKIF_RSP_ERROR, BLKIF_RSP_OKAY]);
  });

  it('runs many requests round the 32-entry ring and across the u32 index wrap', () => {
    const t = setup({ start: 0xfffffff0 });
    t.connectFrontend();
    let answered = 0;
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 20; k++) {
        const n = round * 20 + k;
        page(t.port, k % 16).fill(n & 0xff);
        t.front.queue(BLKIF_OP_WRITE, BigInt(n), BigInt(n), [{ gref: 100 + (k % 16), first: 0, last: 0 }]);
        // Pages are reused, so serve each write before its page changes.
        if (t.front.push()) t.kick();
        answered += t.front.responses().filter((r) => r.status === 0).length;
      }
    }
    expect(answered).toBe(200);
    const disk = readFileSync(t.image);
    for (let n = 0; n < 200; n++) expect(disk[n * 512 + 17]).toBe(n & 0xff);
  });

  it('stops on a frontend that claims more requests than the ring holds', () => {
    const t = setup();
    t.connectFrontend();
    t.front.reqProdPvt = 1000;
    t.front.push();
    t.kick();
    expect(t.state()).toBe(XenbusState.Closing);
    expect([...t.driver.devices.values()][0].lastError).toMatch(/32-entry ring/);
  });

  it('tears the device down when the toolstack removes it', () => {
    const t = setup();
    t.connectFrontend();
    t.xs.rm(`/local/domain/0/backend/vbd/${DOMID}`);
    expect(t.driver.devices.size).toBe(0);
    expect(t.port.mappedCount).toBe(0);
  });
});
