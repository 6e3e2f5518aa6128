// Protocol fuzzing of xenstored through guest rings: two hostile domains send
// well-formed, malformed and truncated messages, corrupt their ring indexes
// and never read replies; a third domain and Dom0's private nodes must come
// through untouched, the tree must stay consistent, and nothing may throw.
import { describe, expect, it } from 'vitest';
import { Dom0 } from '../dom0.js';
import { FakeGuestPort } from '../testing/fake-port.js';
import { fuzzSeeds, Rng } from '../testing/rng.js';
import { strings, XsRingClient } from '../testing/xs-ring-client.js';
import { writeU32 } from '../ring.js';
import { removeDomainNodes, writeDomainNodes } from '../toolstack/nodes.js';
import { treeProblems } from './invariants.js';
import { bytes, joinStrings, XS, XS_RING } from './wire.js';

const STORE_MFN = 0x200, CONS_MFN = 0x201;
const PATHS = ['data/x', 'data/a/b/c', 'name', '/local/domain/3/data/secret', '/local/domain/3', '/local/domain/0/backend', '/private',
  '/', '', 'data//x', '../3/data', '@introduceDomain', '@releaseDomain', 'data/' + 'z'.repeat(3000), '/local', 'device/vbd/768/state',
  '/local/domain/1/data/y', '/local/domain/2/data/y', 'control/shutdown', 'data/\u00ff'];
const TYPES = Object.values(XS) as number[];

function makeDomain(dom0: Dom0, domid: number, rng?: Rng) {
  const port = new FakeGuestPort(domid);
  port.frame(STORE_MFN);
  port.frame(CONS_MFN);
  port.unboundGuestPorts.add(1).add(2);
  const client = new XsRingClient(port, STORE_MFN, rng ? rng.u32() : 0);
  writeDomainNodes(dom0.xs, { domid, name: `d${domid}`, memoryMiB: 8, storeMfn: STORE_MFN, storeEvtchn: 1, consoleMfn: CONS_MFN, consoleEvtchn: 2 });
  const err = dom0.attachDomain(port, { storeMfn: STORE_MFN, storeEvtchn: 1, consoleMfn: CONS_MFN, consoleEvtchn: 2 });
  if (err) throw new Error(err);
  const local = [...port.bound.entries()].find(([, r]) => r === 1)![0];
  return { domid, port, client, kick: () => dom0.handleEvent(domid, local) };
}

function randomMessage(rng: Rng, c: XsRingClient): Uint8Array {
  const type = rng.chance(0.9) ? rng.pick(TYPES) : rng.int(0x10000);
  const path = rng.pick(PATHS);
  let payload: Uint8Array;
  switch (rng.int(6)) {
    case 0: payload = joinStrings([path]); break;
    case 1: payload = bytes(`${path}\0${'v'.repeat(rng.int(2500))}`); break;
    case 2: payload = joinStrings([path, rng.pick(['tok', 'n0', 'b1', 'r2', 'q', '99999', 'T', 'F'])]); break;
    case 3: payload = joinStrings([String(rng.int(8)), String(rng.u32()), String(rng.int(10))]); break;
    case 4: payload = rng.bytes(rng.int(64)); break;
    default: payload = new Uint8Array(0);
  }
  const txId = rng.chance(0.7) ? 0 : rng.chance(0.5) ? rng.int(20) : rng.u32();
  const msg = c.encode(type, payload, txId);
  if (rng.chance(0.02)) new DataView(msg.buffer).setUint32(12, 4097 + rng.int(100000), true); // oversized header
  return msg;
}

describe('xenstored ring fuzzing', () => {
  for (const seed of fuzzSeeds(6, 50)) {
    it(`seed ${seed.toString(16)}: hostile domains cannot hurt others or the host`, () => {
      const rng = new Rng(seed);
      const dom0 = new Dom0({ quotas: { entriesPerDomain: 200 } });
      dom0.xs.write('/private/key', 'dom0 only');
      const victim = makeDomain(dom0, 3);
      victim.client.push(victim.client.encode(XS.WRITE, bytes('data/secret\0precious')));
      victim.kick();
      victim.client.pull();
      const attackers = [makeDomain(dom0, 1, rng), makeDomain(dom0, 2, rng)];
      let nextDomid = 10;
      const seen = { ok: 0, error: 0, event: 0, restarts: 0 };
      const count = (ms: { type: number }[]) => {
        for (const m of ms) { if (m.type === XS.ERROR) seen.error++; else if (m.type === XS.WATCH_EVENT) seen.event++; else seen.ok++; }
      };
      const before = dom0.store.snapshot('/local/domain/3') + dom0.store.snapshot('/private') + dom0.store.snapshot('/local/domain/0');
      const steps = process.env.XENLAB_FUZZ_LONG ? 5000 : 400;
      for (let i = 0; i < steps; i++) {
        const which = rng.int(attackers.length);
        if (dom0.storeRings.get(attackers[which].domid)?.broken) {
          // xenstored gave up on that ring: the toolstack destroys the domain, and the attacker comes back as a new one.
          dom0.detachDomain(attackers[which].domid);
          removeDomainNodes(dom0.xs, attackers[which].domid);
          attackers[which] = makeDomain(dom0, nextDomid++, rng);
          seen.restarts++;
        }
        const a = attackers[which];
        const r = rng.next();
        if (r < 0.75) {
          const msg = randomMessage(rng, a.client);
          const cut = rng.chance(0.2) ? rng.int(msg.length + 1) : msg.length;
          a.client.push(msg.subarray(0, cut));
        } else if (r < 0.85) {
          a.client.push(rng.bytes(rng.int(200)));
        } else if (r < 0.87) {
          writeU32(a.client.mem, rng.pick([XS_RING.req_prod, XS_RING.req_cons, XS_RING.rsp_prod, XS_RING.rsp_cons]), rng.u32());
        }
        if (rng.chance(0.6)) count(a.client.pull());
        a.kick();
      }
      if (process.env.XENLAB_FUZZ_STATS) console.log(JSON.stringify(seen));
      // The slice exercised real requests, not only broken rings.
      expect(seen.ok).toBeGreaterThan(steps / 20);
      expect(seen.error).toBeGreaterThan(steps / 20);
      expect(dom0.store.snapshot('/local/domain/3') + dom0.store.snapshot('/private') + dom0.store.snapshot('/local/domain/0')).toBe(before);
      expect(treeProblems(dom0.store.tree)).toEqual([]);
      // The victim's connection still works.
      victim.client.push(victim.client.encode(XS.READ, joinStrings(['data/secret'])));
      victim.kick();
      const replies = victim.client.pull().filter((m) => m.type !== XS.WATCH_EVENT);
      expect(replies.map(strings)).toEqual([['precious']]);
    });
  }
});
