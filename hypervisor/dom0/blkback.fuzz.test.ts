// Protocol fuzzing of blkback through its ring and its XenStore handshake: a
// hostile frontend sends random and malformed requests, bad grants, corrupt
// indexes and random state changes. Another domain's disk must not change,
// its device must keep working, nothing may throw, no grant may leak.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dom0 } from './dom0.js';
import { FakeGuestPort } from './testing/fake-port.js';
import { FakeBlkfront } from './testing/fake-blkfront.js';
import { fuzzSeeds, Rng } from './testing/rng.js';
import { XsHandle } from './xenstore/handle.js';
import { writeDomainNodes, writeVbdNodes } from './toolstack/nodes.js';
import { writeU32 } from './ring.js';
import { BLKIF_ENTRY_SIZE, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_SRING, XenbusState } from './blkif.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const SECTORS = 64;

function makeGuest(dom0: Dom0, dir: string, domid: number, fill: number) {
  const image = join(dir, `d${domid}.img`);
  writeFileSync(image, new Uint8Array(SECTORS * 512).fill(fill));
  const port = new FakeGuestPort(domid);
  port.frame(0x10); port.frame(0x11);
  port.unboundGuestPorts.add(1).add(2).add(7);
  writeDomainNodes(dom0.xs, { domid, name: `d${domid}`, memoryMiB: 8, storeMfn: 0x10, storeEvtchn: 1, consoleMfn: 0x11, consoleEvtchn: 2 });
  dom0.attachDomain(port, { storeMfn: 0x10, storeEvtchn: 1, consoleMfn: 0x11, consoleEvtchn: 2 });
  const nodes = writeVbdNodes(dom0.xs, domid, { target: image, vdev: 'xvda', mode: 'w', format: 'raw' });
  if (typeof nodes === 'string') throw new Error(nodes);
  const xs = new XsHandle(dom0.store, domid);
  for (let i = 0; i < 8; i++) port.grant(100 + i, 0x1000 + i, i === 7);
  let front = new FakeBlkfront(port, 0x900, 8);
  const fe = nodes.frontendPath;
  const connect = () => {
    xs.write(`${fe}/ring-ref`, '8');
    xs.write(`${fe}/event-channel`, '7');
    xs.write(`${fe}/protocol`, 'x86_32-abi');
    xs.write(`${fe}/state`, String(XenbusState.Initialised));
  };
  const kick = () => {
    const local = [...port.bound.entries()].find(([, r]) => r === 7)?.[0];
    if (local !== undefined) dom0.handleEvent(domid, local);
  };
  /** What a rebooted frontend does: Closed, Initialising, a fresh ring, connect. */
  const restart = () => {
    xs.write(`${fe}/state`, String(XenbusState.Closed));
    xs.write(`${fe}/state`, String(XenbusState.Initialising));
    front = new FakeBlkfront(port, 0x900, 8);
    port.unboundGuestPorts.add(7);
    connect();
  };
  return { image, port, xs, get front() { return front; }, fe, be: nodes.backendPath, connect, kick, restart };
}

describe('blkback ring fuzzing', () => {
  for (const seed of fuzzSeeds(4, 40)) {
    it(`seed ${seed.toString(16)}: a hostile frontend cannot hurt another domain's disk or the host`, () => {
      const rng = new Rng(seed);
      const dir = mkdtempSync(join(tmpdir(), 'xenlab-blkfuzz-'));
      dirs.push(dir);
      const dom0 = new Dom0();
      const victim = makeGuest(dom0, dir, 2, 0x5a);
      const attacker = makeGuest(dom0, dir, 1, 0);
      victim.connect();
      attacker.connect();
      const victimDisk = readFileSync(victim.image);
      let responses = 0;
      const steps = process.env.XENLAB_FUZZ_LONG ? 4000 : 300;
      for (let i = 0; i < steps; i++) {
        const r = rng.next();
        const f = attacker.front;
        if (r < 0.55) {
          const segs = Array.from({ length: rng.chance(0.8) ? 1 + rng.int(4) : rng.int(13) }, () => {
            const first = rng.int(8);
            return rng.chance(0.85)
              ? { gref: 100 + rng.int(7), first, last: first + rng.int(8 - first) }
              : { gref: rng.chance(0.5) ? 100 + rng.int(9) : rng.u32(), first: rng.int(10), last: rng.int(10) };
          });
          const op = rng.chance(0.8) ? rng.pick([BLKIF_OP_READ, BLKIF_OP_WRITE, 2, 3]) : rng.int(256);
          const sector = rng.chance(0.9) ? BigInt(rng.int(SECTORS - 8)) : BigInt(rng.u32()) << 32n;
          f.queue(op, BigInt(i), sector, segs, rng.chance(0.9) ? Math.min(segs.length, 11) : rng.int(256));
        } else if (r < 0.65) {
          f.queueRaw(rng.bytes(BLKIF_ENTRY_SIZE));
        } else if (r < 0.68) {
          writeU32(f.ring, rng.pick([BLKIF_SRING.req_prod, BLKIF_SRING.rsp_event, BLKIF_SRING.req_event]), rng.u32());
        } else if (r < 0.72) {
          // Random frontend XenStore moves, including garbage ring references.
          const node = rng.pick(['state', 'ring-ref', 'event-channel', 'protocol']);
          const value = node === 'state' ? String(rng.int(9)) : rng.pick(['8', '7', 'x', '4294967296', '', String(rng.u32())]);
          attacker.xs.write(`${attacker.fe}/${node}`, value);
          if (rng.chance(0.5)) { attacker.port.unboundGuestPorts.add(7); attacker.connect(); }
        }
        if (rng.chance(0.7)) f.push();
        attacker.kick();
        responses += f.responses().length;
        if (i % 25 === 24 && dom0.xs.read(`${attacker.be}/state`) !== String(XenbusState.Connected)) attacker.restart();
      }
      if (process.env.XENLAB_FUZZ_STATS) console.log(JSON.stringify({ responses, ...[...dom0.blkback.devices.values()].find((d) => d.domid === 1)!.stats }));
      expect(readFileSync(victim.image).equals(victimDisk)).toBe(true);
      expect(attacker.port.mappedCount).toBeLessThanOrEqual(1);
      expect(responses).toBeGreaterThan(steps / 5);
      // The victim's device still reads its disk.
      victim.front.queue(BLKIF_OP_READ, 42n, 3n, [{ gref: 100, first: 0, last: 7 }]);
      victim.front.push();
      victim.kick();
      expect(victim.front.responses()).toEqual([{ id: 42n, operation: BLKIF_OP_READ, status: 0 }]);
      expect(victim.port.frame(0x1000).every((b) => b === 0x5a)).toBe(true);
      expect(dom0.xs.read(`${victim.be}/state`)).toBe(String(XenbusState.Connected));
    });
  }
});
