import { describe, expect, it } from 'vitest';
import { FakeGuestPort } from '../testing/fake-port.js';
import { strings, XsRingClient } from '../testing/xs-ring-client.js';
import { readU32, writeU32 } from '../ring.js';
import { XenStoreRing } from './ring-transport.js';
import { XenStore } from './xenstored.js';
import { XsHandle } from './handle.js';
import { bytes, joinStrings, XENSTORE_ERROR_PROTO, XENSTORE_ERROR_RINGIDX, XS, XS_RING } from './wire.js';

const STORE_MFN = 0x1234;
const LOCAL_PORT = 7;

function setup(startIndex = 0) {
  const store = new XenStore();
  const dom0 = new XsHandle(store);
  dom0.mkdir('/local/domain/3');
  dom0.setPerms('/local/domain/3', ['b3']);
  const port = new FakeGuestPort(3);
  const guest = new XsRingClient(port, STORE_MFN, startIndex);
  const ring = new XenStoreRing(store, port, STORE_MFN, LOCAL_PORT);
  return { store, dom0, port, guest, ring };
}

describe('xenstore ring transport', () => {
  it('answers requests across the u32 index wrap', () => {
    const { guest, ring, port, dom0 } = setup(0xffffff00);
    const replies = [];
    for (let i = 0; i < 40; i++) {
      guest.push(guest.encode(XS.WRITE, bytes(`k${i}\0value-${i}-${'x'.repeat(i * 7)}`)));
      ring.handleEvent();
      replies.push(...guest.pull());
    }
    expect(replies).toHaveLength(40);
    expect(replies.every((r) => r.type === XS.WRITE && strings(r)[0] === 'OK')).toBe(true);
    expect(readU32(guest.mem, XS_RING.req_prod)).toBeLessThan(0x10000); // the producer wrapped past 2^32
    expect(dom0.read('/local/domain/3/k39')).toBe(`value-39-${'x'.repeat(273)}`);
    expect(port.notifyCount(LOCAL_PORT)).toBe(40);
  });

  it('waits for the rest of a message split across notifications', () => {
    const { guest, ring } = setup(1000);
    const msg = guest.encode(XS.READ, joinStrings(['/local/domain/3']));
    guest.push(msg.subarray(0, 5));
    ring.handleEvent();
    expect(guest.pull()).toHaveLength(0);
    guest.push(msg.subarray(5, 20));
    ring.handleEvent();
    expect(guest.pull()).toHaveLength(0);
    guest.push(msg.subarray(20));
    ring.handleEvent();
    const [r] = guest.pull();
    expect(r.type).toBe(XS.READ);
  });

  it('streams replies larger than free space in rsp[] as the guest consumes', () => {
    const { guest, ring, dom0 } = setup(0xfffffff0);
    dom0.write('/local/domain/3/big', 'B'.repeat(3000));
    guest.push(guest.encode(XS.READ, joinStrings(['big'])));
    ring.handleEvent();
    const got = [];
    for (let i = 0; i < 5 && got.length === 0; i++) {
      got.push(...guest.pull());
      ring.handleEvent(); // the guest notifies after consuming
    }
    expect(got).toHaveLength(1);
    expect(got[0].payload.length).toBe(3000);
  });

  it('delivers watch events caused by other clients without a guest notification', () => {
    const { guest, ring, dom0 } = setup();
    guest.push(guest.encode(XS.WATCH, joinStrings(['device', 'tok'])));
    ring.handleEvent();
    expect(guest.pull().map((m) => m.type)).toEqual([XS.WATCH, XS.WATCH_EVENT]);
    dom0.write('/local/domain/3/device/vbd/768/state', '1');
    const ev = guest.pull();
    expect(ev).toHaveLength(1);
    expect(strings(ev[0])).toEqual(['device/vbd/768/state', 'tok']);
  });

  it('flags impossible indexes and oversized payloads in the error field', () => {
    const a = setup();
    writeU32(a.guest.mem, XS_RING.req_prod, 5000);
    a.ring.handleEvent();
    expect(readU32(a.guest.mem, XS_RING.error)).toBe(XENSTORE_ERROR_RINGIDX);
    expect(a.ring.broken).toMatch(/apart/);

    const b = setup();
    const hdr = new Uint8Array(16);
    new DataView(hdr.buffer).setUint32(12, 5000, true);
    b.guest.push(hdr);
    b.ring.handleEvent();
    expect(readU32(b.guest.mem, XS_RING.error)).toBe(XENSTORE_ERROR_PROTO);
    // A stopped ring stays quiet.
    b.guest.push(b.guest.encode(XS.READ, joinStrings(['x'])));
    b.ring.handleEvent();
    expect(b.guest.pull()).toHaveLength(0);
  });
});
