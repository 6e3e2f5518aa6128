import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dom0 } from '../dom0.js';
import { FakeGuestPort } from '../testing/fake-port.js';
import { strings, XsRingClient } from '../testing/xs-ring-client.js';
import { Toolstack, ToolstackError, type HypervisorControl } from './toolstack.js';
import { ConfigError } from './config.js';
import { XsHandle } from '../xenstore/handle.js';
import { copyIn, frameMemory, readU32, writeU32 } from '../ring.js';
import { XENCONS } from '../console.js';
import { joinStrings, XS } from '../xenstore/wire.js';
import { XenbusState } from '../blkif.js';

const STORE_MFN = 0x100, CONSOLE_MFN = 0x101, STORE_EVTCHN = 1, CONSOLE_EVTCHN = 2;

/** A hypervisor stand-in: domains are FakeGuestPorts with their two ring pages and unbound channels. */
class FakeHypervisor implements HypervisorControl {
  readonly ports = new Map<number, FakeGuestPort>();
  readonly states = new Map<number, string>();
  readonly log: string[] = [];
  failNext: string | undefined;
  private next = 1;
  createDomain(spec: { name: string; kernel: string; memoryMiB: number; cmdline: string }) {
    if (this.failNext) { const error = this.failNext; this.failNext = undefined; return { error }; }
    const domid = this.next++;
    const port = new FakeGuestPort(domid);
    port.frame(STORE_MFN);
    port.frame(CONSOLE_MFN);
    port.unboundGuestPorts.add(STORE_EVTCHN).add(CONSOLE_EVTCHN).add(3);
    this.ports.set(domid, port);
    this.states.set(domid, 'paused');
    this.log.push(`create ${spec.name} ${spec.memoryMiB}`);
    return { domid, port, storeMfn: STORE_MFN, storeEvtchn: STORE_EVTCHN, consoleMfn: CONSOLE_MFN, consoleEvtchn: CONSOLE_EVTCHN };
  }
  destroyDomain(domid: number) { this.states.delete(domid); this.log.push(`destroy ${domid}`); }
  pauseDomain(domid: number) { this.states.set(domid, 'paused'); }
  unpauseDomain(domid: number) { this.states.set(domid, 'running'); }
  domainState(domid: number) { return this.states.get(domid); }
  readonly reasons = new Map<number, string>();
  shutdownReason(domid: number) { return this.reasons.get(domid); }
}

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-ts-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'kernel.elf'), 'ELF');
  writeFileSync(join(dir, 'disk.img'), new Uint8Array(1 << 20));
  const cfg = join(dir, 'guest.cfg');
  writeFileSync(cfg, 'name = "guest"\nkernel = "kernel.elf"\nmemory = 32\ndisk = [ \'file:disk.img,xvda,w\' ]\non_crash = "destroy"\n');
  const dom0 = new Dom0();
  const hv = new FakeHypervisor();
  const ts = new Toolstack(dom0, hv);
  /** The Dom0-side port bound to the guest's `remote` channel. */
  const localFor = (domid: number, remote: number) => [...hv.ports.get(domid)!.bound.entries()].find(([, r]) => r === remote)![0];
  return { dir, cfg, dom0, hv, ts, localFor };
}

describe('toolstack create', () => {
  it('builds the domain, writes its XenStore nodes, introduces it, and adds its disk', () => {
    const { cfg, dom0, hv, ts, dir } = setup();
    const d = ts.createFromFile(cfg);
    expect(d).toMatchObject({ domid: 1, name: 'guest', memoryMiB: 32 });
    expect(hv.states.get(1)).toBe('running');
    const xs = dom0.xs;
    expect(xs.read('/local/domain/1/name')).toBe('guest');
    expect(xs.read('/local/domain/1/domid')).toBe('1');
    expect(xs.read('/local/domain/1/memory/target')).toBe('32768');
    expect(xs.read('/local/domain/1/store/ring-ref')).toBe(String(STORE_MFN));
    expect(xs.read('/local/domain/1/store/port')).toBe(String(STORE_EVTCHN));
    expect(xs.read('/local/domain/1/console/ring-ref')).toBe(String(CONSOLE_MFN));
    expect(xs.read('/local/domain/1/console/port')).toBe(String(CONSOLE_EVTCHN));
    expect(xs.read('/local/domain/1/device/vbd/51712/backend')).toBe('/local/domain/0/backend/vbd/1/51712');
    expect(xs.read('/local/domain/0/backend/vbd/1/51712/params')).toBe(join(dir, 'disk.img'));
    expect(xs.read('/local/domain/0/backend/vbd/1/51712/state')).toBe(String(XenbusState.InitWait));
    expect(xs.read('/local/domain/0/backend/vbd/1/51712/sectors')).toBe('2048');
    expect(dom0.isIntroduced(1)).toBe(true);
    // The guest reads its home but may not rename itself; it may write data/.
    const guest = new XsHandle(dom0.store, 1);
    expect(guest.read('name')).toBe('guest');
    expect(guest.write('name', 'evil')).toBe('EACCES');
    expect(guest.write('data/result', 'ok')).toBeUndefined();
    expect(guest.read('/local/domain/0/name')).toBeUndefined();
    expect(ts.list().map((x) => [x.domid, x.name, x.state])).toEqual([[1, 'guest', 'running']]);
  });

  it('serves the guest\'s store and console rings through Dom0.handleEvent', () => {
    const { cfg, dom0, hv, ts, localFor } = setup();
    ts.createFromFile(cfg);
    const port = hv.ports.get(1)!;
    const client = new XsRingClient(port, STORE_MFN);
    client.push(client.encode(XS.READ, joinStrings(['name'])));
    expect(dom0.handleEvent(1, localFor(1, STORE_EVTCHN))).toBe(true);
    const [r] = client.pull();
    expect(strings(r)).toEqual(['guest']);
    const seen: string[] = [];
    dom0.onConsoleOutput((d, data) => seen.push(`${d}:${new TextDecoder().decode(data)}`));
    const mem = frameMemory(port, CONSOLE_MFN);
    const msg = new TextEncoder().encode('Hello from guest\n');
    copyIn(mem, { data: XENCONS.out, size: XENCONS.outSize, cons: 0, prod: 0 }, 0, msg);
    writeU32(mem, XENCONS.out_prod, msg.length);
    expect(dom0.handleEvent(1, localFor(1, CONSOLE_EVTCHN))).toBe(true);
    expect(seen).toEqual(['1:Hello from guest\n']);
    expect(dom0.consoles.get(1)!.logText()).toBe('Hello from guest\n');
    expect(readU32(mem, XENCONS.out_cons)).toBe(msg.length);
    expect(dom0.handleEvent(1, 999)).toBe(false);
  });

  it('pauses, unpauses, asks for shutdown and destroys, cleaning up XenStore', () => {
    const { cfg, dom0, hv, ts } = setup();
    ts.createFromFile(cfg, { paused: true });
    expect(hv.states.get(1)).toBe('paused');
    ts.unpause('guest');
    expect(ts.list()[0].state).toBe('running');
    ts.pause(1);
    expect(ts.list()[0].state).toBe('paused');
    ts.shutdown('guest', 'reboot');
    expect(dom0.xs.read('/local/domain/1/control/shutdown')).toBe('reboot');
    ts.destroy('guest');
    expect(hv.log).toContain('destroy 1');
    expect(dom0.xs.read('/local/domain/1/name')).toBeUndefined();
    expect(dom0.xs.directory('/local/domain/0/backend/vbd')).toEqual([]);
    expect(dom0.blkback.devices.size).toBe(0);
    expect(dom0.isIntroduced(1)).toBe(false);
    expect(hv.ports.get(1)!.bound.size).toBe(0);
    expect(ts.list()).toEqual([]);
    expect(() => ts.destroy('guest')).toThrow("no domain 'guest' (running: none)");
  });

  it('explains what is wrong instead of throwing raw errors', () => {
    const { cfg, dir, hv, ts } = setup();
    expect(() => ts.createFromFile(join(dir, 'missing.cfg'))).toThrow(`cannot read ${join(dir, 'missing.cfg')}: no such file`);
    writeFileSync(join(dir, 'typo.cfg'), 'name = "t"\nkernel = "kernel.elf"\nmemmory = 3\n');
    expect(() => ts.createFromFile(join(dir, 'typo.cfg'))).toThrow(ConfigError);
    writeFileSync(join(dir, 'nokernel.cfg'), 'name = "t"\nkernel = "nothere.elf"\nmemory = 3\n');
    expect(() => ts.createFromFile(join(dir, 'nokernel.cfg'))).toThrow(/kernel '.*nothere\.elf' does not exist/);
    writeFileSync(join(dir, 'nodisk.cfg'), 'name = "t"\nkernel = "kernel.elf"\nmemory = 3\ndisk = [ "gone.img,xvda,w" ]\n');
    expect(() => ts.createFromFile(join(dir, 'nodisk.cfg'))).toThrow(/disk image '.*gone\.img' \(xvda\) does not exist; create it first/);
    hv.failNext = 'out of memory';
    expect(() => ts.createFromFile(cfg)).toThrow(ToolstackError);
    ts.createFromFile(cfg);
    expect(() => ts.createFromFile(cfg)).toThrow(/a domain named 'guest' already exists/);
  });
});

describe('toolstack scenarios', () => {
  it('starts all domains of a scenario, and none if one fails', () => {
    const { dir, dom0, hv, ts } = setup();
    const scn = join(dir, 'share.scn');
    writeFileSync(scn, '[granter]\nkernel = "kernel.elf"\nmemory = 8\n\n[mapper]\nkernel = "kernel.elf"\nmemory = 8\n');
    const started = ts.createScenario(scn);
    expect(started.map((d) => [d.domid, d.name])).toEqual([[1, 'granter'], [2, 'mapper']]);
    expect(dom0.xs.read('/local/domain/2/name')).toBe('mapper');
    expect([...hv.states.values()]).toEqual(['running', 'running']);
    const bad = join(dir, 'bad.scn');
    writeFileSync(bad, '[a]\nkernel = "kernel.elf"\nmemory = 8\n[b]\nkernel = "kernel.elf"\nmemory = 8\ndisk = [ "none.img,xvda,w" ]\n');
    expect(() => ts.createScenario(bad)).toThrow(/none\.img/);
    expect(ts.list().map((d) => d.name)).toEqual(['granter', 'mapper']);
    expect(hv.log.filter((l) => l.startsWith('destroy'))).toEqual(['destroy 3']);
  });
});

describe('toolstack on_poweroff / on_crash', () => {
  it('destroys, restarts or preserves stopped domains as their configs say', () => {
    const { dir, hv, ts } = setup();
    const cfg = (name: string, extra: string) => {
      const f = join(dir, `${name}.cfg`);
      writeFileSync(f, `name = "${name}"\nkernel = "kernel.elf"\nmemory = 8\n${extra}`);
      return ts.createFromFile(f);
    };
    const a = cfg('a', 'on_crash = "restart"\n');
    const b = cfg('b', '');
    const c = cfg('c', 'on_poweroff = "preserve"\n');
    const e = cfg('e', '');
    hv.states.set(a.domid, 'crashed');
    hv.states.set(b.domid, 'shutdown');
    hv.states.set(c.domid, 'shutdown');
    expect(ts.reapStopped()).toEqual(['a (1) crashed: restarted as domain 5', 'b (2) shutdown: destroyed']);
    expect(ts.list().map((d) => [d.name, d.domid, d.state])).toEqual([['c', 3, 'shutdown'], ['e', e.domid, 'running'], ['a', 5, 'running']]);
    expect(ts.reapStopped()).toEqual([]);
  });

  it('takes on_reboot for a reboot and on_crash for SCHEDOP_shutdown(SHUTDOWN_crash)', () => {
    const { dir, hv, ts } = setup();
    const cfg = (name: string, extra: string) => {
      const f = join(dir, `${name}.cfg`);
      writeFileSync(f, `name = "${name}"\nkernel = "kernel.elf"\nmemory = 8\n${extra}`);
      return ts.createFromFile(f);
    };
    const r = cfg('r', 'on_poweroff = "preserve"\non_reboot = "restart"\n');
    const c = cfg('c', 'on_poweroff = "preserve"\non_crash = "destroy"\n');
    hv.states.set(r.domid, 'shutdown'); hv.reasons.set(r.domid, 'reboot');
    hv.states.set(c.domid, 'shutdown'); hv.reasons.set(c.domid, 'crash');
    expect(ts.reapStopped()).toEqual(['r (1) shutdown: restarted as domain 3', 'c (2) shutdown: destroyed']);
  });
});
