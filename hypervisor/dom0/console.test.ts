import { describe, expect, it } from 'vitest';
import { ConsoleBackend, XENCONS } from './console.js';
import { FakeGuestPort } from './testing/fake-port.js';
import { copyIn, copyOut, frameMemory, readU32, writeU32 } from './ring.js';

const MFN = 0x50;
const PORT = 9;
const OUT = { data: XENCONS.out, size: XENCONS.outSize, cons: XENCONS.out_cons, prod: XENCONS.out_prod };
const IN = { data: XENCONS.in, size: XENCONS.inSize, cons: XENCONS.in_cons, prod: XENCONS.in_prod };

function setup(start = 0) {
  const port = new FakeGuestPort(2);
  port.frame(MFN);
  const mem = frameMemory(port, MFN);
  for (const o of [XENCONS.in_cons, XENCONS.in_prod, XENCONS.out_cons, XENCONS.out_prod]) writeU32(mem, o, start);
  const con = new ConsoleBackend(port, MFN, PORT);
  /** The guest's console write: as much as fits, like xencons_ring_send. */
  const guestWrite = (s: Uint8Array): number => {
    const cons = readU32(mem, OUT.cons);
    const prod = readU32(mem, OUT.prod);
    const n = Math.min(s.length, OUT.size - ((prod - cons) >>> 0));
    copyIn(mem, OUT, prod, s.subarray(0, n));
    writeU32(mem, OUT.prod, (prod + n) >>> 0);
    return n;
  };
  const guestRead = (): string => {
    const cons = readU32(mem, IN.cons);
    const prod = readU32(mem, IN.prod);
    const b = copyOut(mem, IN, cons, (prod - cons) >>> 0);
    writeU32(mem, IN.cons, prod);
    return new TextDecoder().decode(b);
  };
  return { port, mem, con, guestWrite, guestRead };
}

describe('console backend', () => {
  it('drains a message longer than the ring, in order, across the index wrap', () => {
    const { con, guestWrite, port } = setup(0xfffff000);
    const msg = new TextEncoder().encode(Array.from({ length: 600 }, (_, i) => `line ${i}\n`).join(''));
    expect(msg.length).toBeGreaterThan(2 * XENCONS.outSize);
    const seen: number[] = [];
    con.onOutput((d, data) => { expect(d).toBe(2); seen.push(data.length); });
    let sent = 0;
    while (sent < msg.length) {
      sent += guestWrite(msg.subarray(sent));
      con.handleEvent();
    }
    expect(con.logText()).toBe(new TextDecoder().decode(msg));
    expect(seen.reduce((a, b) => a + b, 0)).toBe(msg.length);
    expect(port.notifyCount(PORT)).toBe(seen.length);
  });

  it('feeds input with flow control: nothing is lost when in[] is full', () => {
    const { con, guestRead, port } = setup(0x7ffffff0);
    const text = 'k'.repeat(1500) + 'END';
    con.input(text);
    expect(con.inputBacklog).toBe(text.length - XENCONS.inSize);
    expect(port.notifyCount(PORT)).toBe(1);
    let got = guestRead();
    expect(got.length).toBe(XENCONS.inSize);
    con.handleEvent(); // the guest notifies after reading
    got += guestRead();
    expect(got).toBe(text);
    expect(con.inputBacklog).toBe(0);
  });

  it('stops on impossible indexes instead of reading garbage', () => {
    const { con, mem } = setup();
    writeU32(mem, XENCONS.out_prod, 999999);
    con.handleEvent();
    expect(con.broken).toMatch(/out_prod/);
    expect(con.log().length).toBe(0);
  });

  it('keeps only the last maxLog bytes', () => {
    const port = new FakeGuestPort(1);
    port.frame(MFN);
    const con = new ConsoleBackend(port, MFN, PORT, 100);
    const mem = frameMemory(port, MFN);
    for (let i = 0; i < 10; i++) {
      const prod = readU32(mem, OUT.prod);
      copyIn(mem, OUT, prod, new TextEncoder().encode(`${i}`.repeat(50)));
      writeU32(mem, OUT.prod, prod + 50);
      con.handleEvent();
    }
    expect(con.logText()).toBe('8'.repeat(50) + '9'.repeat(50));
  });
});

describe('console backend on a frame the guest does not own', () => {
  it('reads nothing and never throws', () => {
    const port = new FakeGuestPort(4);
    const con = new ConsoleBackend(port, 0xdead, PORT);
    con.handleEvent();
    con.input('hello');
    expect(con.log().length).toBe(0);
    expect(con.broken).toBeUndefined();
  });
});
