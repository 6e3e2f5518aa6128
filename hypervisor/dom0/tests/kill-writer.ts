// Child process for kill.test.ts: connects a fake frontend to blkback on the
// image named in argv[2] and writes sector n with byte (n % 255) + 1 until
// killed, printing "ack n" only after blkback answered OK.
import { BlkbackDriver } from '../blkback.js';
import { BLKIF_OP_WRITE, XenbusState } from '../blkif.js';
import { FakeBlkfront } from '../testing/fake-blkfront.js';
import { FakeGuestPort } from '../testing/fake-port.js';
import { writeVbdNodes } from '../toolstack/nodes.js';
import { XsHandle } from '../xenstore/handle.js';
import { XenStore } from '../xenstore/xenstored.js';

const store = new XenStore();
const xs = new XsHandle(store);
const port = new FakeGuestPort(1);
port.unboundGuestPorts.add(3);
port.grant(100, 0x1000);
const driver = new BlkbackDriver(xs, () => port);
const nodes = writeVbdNodes(xs, 1, { target: process.argv[2], vdev: 'xvda', mode: 'w', format: 'raw' });
if (typeof nodes === 'string') throw new Error(nodes);
const front = new FakeBlkfront(port, 0x900, 8);
xs.write(`${nodes.frontendPath}/ring-ref`, '8');
xs.write(`${nodes.frontendPath}/event-channel`, '3');
xs.write(`${nodes.frontendPath}/state`, String(XenbusState.Initialised));
const local = [...port.bound.keys()][0];
const pause = new Int32Array(new SharedArrayBuffer(4));
for (let n = 0; n < 4096; n++) {
  // Pacing only (1 ms per write), so the parent's kill lands mid-way through the disk.
  Atomics.wait(pause, 0, 0, 1);
  port.frame(0x1000).fill((n % 255) + 1);
  front.queue(BLKIF_OP_WRITE, BigInt(n), BigInt(n), [{ gref: 100, first: 0, last: 0 }]);
  if (front.push()) driver.handleEvent(1, local);
  for (const r of front.responses()) if (r.status === 0) process.stdout.write(`ack ${r.id}\n`);
}
