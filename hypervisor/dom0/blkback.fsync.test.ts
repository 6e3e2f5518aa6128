// FLUSH_DISKCACHE and WRITE_BARRIER are fsyncs of the image (after the
// barrier's own data is written, before the response); plain reads and
// writes are not. node:fs is wrapped so the calls can be counted in order.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlkbackDriver } from './blkback.js';
import { BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_OKAY, XenbusState } from './blkif.js';
import { FakeGuestPort } from './testing/fake-port.js';
import { FakeBlkfront } from './testing/fake-blkfront.js';
import { XenStore } from './xenstore/xenstored.js';
import { XsHandle } from './xenstore/handle.js';
import { writeDomainNodes, writeVbdNodes } from './toolstack/nodes.js';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, fsyncSync: vi.fn(real.fsyncSync), writeSync: vi.fn(real.writeSync) };
});

const DOMID = 3, FE_EVTCHN = 5;
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

describe('blkback flushes', () => {
  it('fsyncs the image for FLUSH_DISKCACHE and after a WRITE_BARRIER\'s data, never for plain I/O', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'xenlab-fsync-'));
    dirs.push(dir);
    const image = join(dir, 'disk.img');
    fs.writeFileSync(image, new Uint8Array(64 * 512));
    const store = new XenStore();
    const xs = new XsHandle(store);
    const port = new FakeGuestPort(DOMID);
    port.unboundGuestPorts.add(FE_EVTCHN);
    writeDomainNodes(xs, { domid: DOMID, name: 'g', memoryMiB: 16, storeMfn: 1, storeEvtchn: 1, consoleMfn: 2, consoleEvtchn: 2 });
    const driver = new BlkbackDriver(xs, (d) => (d === DOMID ? port : undefined));
    const nodes = writeVbdNodes(xs, DOMID, { target: image, vdev: 'xvda', mode: 'w', format: 'raw' });
    if (typeof nodes === 'string') throw new Error(nodes);
    const guest = new XsHandle(store, DOMID);
    const front = new FakeBlkfront(port, 0x900, 8, 0);
    port.grant(100, 0x1000);
    port.frame(0x1000).fill(0xab);
    guest.write(`${nodes.frontendPath}/ring-ref`, '8');
    guest.write(`${nodes.frontendPath}/event-channel`, String(FE_EVTCHN));
    guest.write(`${nodes.frontendPath}/state`, String(XenbusState.Initialised));
    const kick = () => {
      const local = [...port.bound.entries()].find(([, r]) => r === FE_EVTCHN)?.[0];
      if (local === undefined) throw new Error('event channel not bound');
      driver.handleEvent(DOMID, local);
    };
    const fsync = vi.mocked(fs.fsyncSync), write = vi.mocked(fs.writeSync);
    fsync.mockClear(); write.mockClear();

    front.queue(BLKIF_OP_WRITE, 1n, 0n, [{ gref: 100, first: 0, last: 7 }]);
    front.queue(BLKIF_OP_READ, 2n, 0n, [{ gref: 100, first: 0, last: 0 }]);
    front.push(); kick();
    expect(front.responses().map((r) => r.status)).toEqual([BLKIF_RSP_OKAY, BLKIF_RSP_OKAY]);
    expect(fsync).not.toHaveBeenCalled();
    expect(write).toHaveBeenCalledTimes(1);

    front.queue(BLKIF_OP_FLUSH_DISKCACHE, 3n, 0n, [], 0);
    front.push(); kick();
    expect(front.responses().map((r) => [r.id, r.status])).toEqual([[3n, BLKIF_RSP_OKAY]]);
    expect(fsync).toHaveBeenCalledTimes(1);

    write.mockClear(); fsync.mockClear();
    front.queue(BLKIF_OP_WRITE_BARRIER, 4n, 16n, [{ gref: 100, first: 0, last: 3 }]);
    front.push(); kick();
    expect(front.responses().map((r) => [r.id, r.status])).toEqual([[4n, BLKIF_RSP_OKAY]]);
    expect(write).toHaveBeenCalledTimes(1);
    expect(fsync).toHaveBeenCalledTimes(1);
    expect(write.mock.invocationCallOrder[0]).toBeLessThan(fsync.mock.invocationCallOrder[0]); // data first, then the fsync
    expect(fs.readFileSync(image).subarray(16 * 512, 20 * 512).every((b) => b === 0xab)).toBe(true);
  });
});
