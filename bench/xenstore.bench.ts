// xenstored throughput: host-side requests, guest ring round trips (request
// in req[], notify, reply out of rsp[]), transactions, watch fan-out, and the
// Unix socket. Prints operations per second for each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XenStore } from '../hypervisor/dom0/xenstore/xenstored.js';
import { XsHandle } from '../hypervisor/dom0/xenstore/handle.js';
import { XenStoreRing } from '../hypervisor/dom0/xenstore/ring-transport.js';
import { listenXenStore } from '../hypervisor/dom0/xenstore/socket-server.js';
import { XsSocketClient } from '../hypervisor/dom0/xenstore/socket-client.js';
import { FakeGuestPort } from '../hypervisor/dom0/testing/fake-port.js';
import { XsRingClient } from '../hypervisor/dom0/testing/xs-ring-client.js';
import { bytes, joinStrings, XS } from '../hypervisor/dom0/xenstore/wire.js';

function measure(label: string, n: number, body: (i: number) => void): void {
  body(0); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body(i);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label}: ${n} ops in ${s.toFixed(3)} s = ${Math.round(n / s)} ops/s`);
}

const store = new XenStore();
const h = new XsHandle(store);
for (let i = 0; i < 200; i++) h.write(`/local/domain/${i}/name`, `d${i}`);
console.log(`store: ${store.tree.size} nodes`);

measure('host write', 20000, (i) => h.write(`/bench/k${i % 500}`, `v${i}`));
measure('host read', 50000, (i) => h.read(`/bench/k${i % 500}`));
measure('transaction (read+write+commit)', 5000, (i) => {
  h.transaction((tx) => h.write(`/bench/t${i % 50}`, String(Number(h.read(`/bench/t${i % 50}`, tx) ?? 0) + 1), tx));
});

const watchers = Array.from({ length: 50 }, (_, i) => { const w = new XsHandle(store); w.watch(`/watched/${i % 5}`, `t${i}`, () => {}); return w; });
measure('write with 50 watches (10 fire)', 10000, (i) => h.write(`/watched/${i % 5}/x`, String(i)));
void watchers;

const port = new FakeGuestPort(7);
h.mkdir('/local/domain/7');
h.setPerms('/local/domain/7', ['b7']);
const guest = new XsRingClient(port, 0x100, 0xffff0000);
const ring = new XenStoreRing(store, port, 0x100, 1);
const readMsg = guest.encode(XS.READ, joinStrings(['name']));
h.write('/local/domain/7/name', 'bench');
measure('guest ring round trip (READ)', 50000, () => { guest.push(readMsg); ring.handleEvent(); guest.pull(); });
measure('guest ring round trip (WRITE 100 B)', 20000, (i) => {
  guest.push(guest.encode(XS.WRITE, bytes(`data/k${i % 100}\0${'x'.repeat(100)}`)));
  ring.handleEvent();
  guest.pull();
});

const dir = mkdtempSync(join(tmpdir(), 'xenlab-xsbench-'));
const sock = await listenXenStore(store, join(dir, 'socket'));
const client = await XsSocketClient.open(sock.path);
const n = 5000;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) await client.read('/local/domain/7/name');
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`unix socket round trip (READ): ${n} ops in ${s.toFixed(3)} s = ${Math.round(n / s)} ops/s`);
client.close();
await sock.close();
rmSync(dir, { recursive: true, force: true });
