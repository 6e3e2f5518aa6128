// Our backends against guest-side ring code written in C with Xen's own
// headers and ring.h macros (gcc -m32, libxen-dev): the shared page travels
// between the C program and the FakeGuestPort as a 4096-byte file.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeGuestPort } from '../testing/fake-port.js';
import { XenStore } from '../xenstore/xenstored.js';
import { XsHandle } from '../xenstore/handle.js';
import { XenStoreRing } from '../xenstore/ring-transport.js';
import { BlkbackDriver } from '../blkback.js';
import { writeVbdNodes } from '../toolstack/nodes.js';
import { BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_READ, BLKIF_OP_WRITE, XenbusState } from '../blkif.js';
import { XS } from '../xenstore/wire.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'xenlab-coracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(name: string): string {
  const out = join(dir, name);
  // Fails loudly without gcc-multilib / libxen-dev (CI installs both).
  execFileSync('gcc', ['-m32', '-Wall', '-Werror', '-o', out, join(here, 'c', `${name}.c`)], { stdio: 'pipe' });
  return out;
}

describe('xenstore ring against a C client built with xs_wire.h', () => {
  it('answers requests written with MASK_XENSTORE_IDX across the index wrap', () => {
    const xc = build('xs_ring_client');
    const pageFile = join(dir, 'xs.page');
    execFileSync(xc, ['init', pageFile, '0xffffffc0']);
    const store = new XenStore();
    const dom0 = new XsHandle(store);
    dom0.mkdir('/local/domain/4');
    dom0.setPerms('/local/domain/4', ['b4']);
    const port = new FakeGuestPort(4);
    const frame = port.frame(0x77);
    const ring = new XenStoreRing(store, port, 0x77, 3);
    const step = (args: string[]): string => {
      writeFileSync(pageFile, frame);
      const out = execFileSync(xc, [args[0], pageFile, ...args.slice(1)], { encoding: 'utf8' });
      frame.set(readFileSync(pageFile));
      return out;
    };
    step(['send', String(XS.WRITE), '1', 'data/greeting', 'hello from C']);
    step(['send', String(XS.READ), '2', 'data/greeting']);
    step(['send', String(XS.READ), '3', 'data/missing']);
    step(['send', String(XS.DIRECTORY), '4', 'data']);
    step(['send', String(XS.WATCH), '5', 'data', 'tok']);
    ring.handleEvent();
    expect(step(['recv']).trim().split('\n')).toEqual([
      `msg ${XS.WRITE} 1 3 OK|`,
      `msg ${XS.READ} 2 12 hello from C`,
      `msg ${XS.ERROR} 3 7 ENOENT|`,
      `msg ${XS.DIRECTORY} 4 9 greeting|`,
      `msg ${XS.WATCH} 5 3 OK|`,
      `msg ${XS.WATCH_EVENT} 0 9 data|tok|`,
    ]);
    expect(dom0.read('/local/domain/4/data/greeting')).toBe('hello from C');
    expect(port.notifyCount(3)).toBe(1);
  });
});

describe('blkback against a blkfront ring built with ring.h', () => {
  it('serves requests put on the ring by RING_PUSH_REQUESTS_AND_CHECK_NOTIFY', () => {
    const bf = build('blkfront_ring');
    const pageFile = join(dir, 'blk.page');
    const stateFile = join(dir, 'blk.state');
    expect(execFileSync(bf, ['init', pageFile, stateFile], { encoding: 'utf8' })).toBe('entries 32\n');
    const image = join(dir, 'disk.img');
    writeFileSync(image, new Uint8Array(256 * 512));
    const store = new XenStore();
    const xs = new XsHandle(store);
    const port = new FakeGuestPort(6);
    port.unboundGuestPorts.add(11);
    const ringFrame = port.frame(0x300);
    port.grant(20, 0x300);
    port.grant(21, 0x301);
    port.grant(22, 0x302);
    port.frame(0x301).fill(0xc3);
    const driver = new BlkbackDriver(xs, (d) => (d === 6 ? port : undefined));
    const nodes = writeVbdNodes(xs, 6, { target: image, vdev: 'xvda', mode: 'w', format: 'raw' });
    if (typeof nodes === 'string') throw new Error(nodes);
    const guest = new XsHandle(store, 6);
    const step = (args: string[]): string => {
      writeFileSync(pageFile, ringFrame);
      const out = execFileSync(bf, [args[0], pageFile, stateFile, ...args.slice(1)], { encoding: 'utf8' });
      ringFrame.set(readFileSync(pageFile));
      return out;
    };
    guest.write(`${nodes.frontendPath}/ring-ref`, '20');
    guest.write(`${nodes.frontendPath}/event-channel`, '11');
    guest.write(`${nodes.frontendPath}/state`, String(XenbusState.Initialised));
    expect(xs.read(`${nodes.backendPath}/state`)).toBe(String(XenbusState.Connected));
    const local = [...port.bound.keys()][0];
    let total = 0;
    // 12 rounds of write+read+flush: 36 requests, more than the 32 entries, so the ring wraps.
    for (let round = 0; round < 12; round++) {
      const sector = String(round * 3);
      step(['req', String(BLKIF_OP_WRITE), String(1000 + round), sector, '21:0:1', '21:4:4']);
      step(['req', String(BLKIF_OP_READ), String(2000 + round), sector, '22:5:7']);
      step(['req', String(BLKIF_OP_FLUSH_DISKCACHE), String(3000 + round), '0']);
      const push = step(['push']);
      if (push === 'notify 1\n') driver.handleEvent(6, local);
      const lines = step(['collect']).trim().split('\n');
      expect(lines).toEqual([
        `rsp ${1000 + round} ${BLKIF_OP_WRITE} 0`, `rsp ${2000 + round} ${BLKIF_OP_READ} 0`, `rsp ${3000 + round} ${BLKIF_OP_FLUSH_DISKCACHE} 0`,
      ]);
      total += lines.length;
    }
    expect(total).toBe(36);
    expect(port.frame(0x302).subarray(5 * 512, 8 * 512).every((b) => b === 0xc3)).toBe(true);
    expect(readFileSync(image).subarray(0, 36 * 512).every((b) => b === 0xc3)).toBe(true);
    expect(port.notifyCount(local)).toBeGreaterThan(0);
  });
});
