// End to end: a gcc-built PV guest (against libxen-dev headers) boots on the
// xenlab hypervisor with this Dom0 attached, talks to xenstored through its
// ring and writes a console message longer than the console ring.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hypervisor } from '../../hypervisor.js';
import { Dom0 } from '../dom0.js';
import { writeDomainNodes, writeVbdNodes } from '../toolstack/nodes.js';
import { Toolstack } from '../toolstack/toolstack.js';
import { xenControl } from '../toolstack/xen-control.js';

const here = dirname(fileURLToPath(import.meta.url));
const common = join(here, '../../../tests/guests/common');

/** Build a guest from tests/guests/<name>/kernel.c with the shared test-guest bootstrap (gcc -m32, ld -m elf_i386). */
function buildGuest(name: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), `xenlab-dom0-guest-${name}-`));
  const flags = ['-m32', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-nostdlib', '-O1', '-Wall', '-I', common];
  const objs = [join(common, 'bootstrap.S'), join(here, 'guests', name, 'kernel.c')].map((src, i) => {
    const o = join(dir, `${i}.o`);
    execFileSync('gcc', [...flags, '-c', src, '-o', o], { stdio: 'pipe' });
    return o;
  });
  const libgcc = execFileSync('gcc', ['-m32', '-print-libgcc-file-name']).toString().trim();
  execFileSync('ld', ['-m', 'elf_i386', '-Ttext', '0x0', '-e', '_start', '-o', join(dir, 'kernel.elf'), ...objs, libgcc], { stdio: 'pipe' });
  return new Uint8Array(readFileSync(join(dir, 'kernel.elf')));
}

describe('a gcc-built PV guest with Dom0', () => {
  it('uses xenstored and the console ring', () => {
    const hv = new Hypervisor();
    const dom0 = new Dom0();
    hv.attachDom0({ onEvent: (p) => { dom0.handleDom0Event(p); } });
    const dom = hv.createDomain({ kernel: buildGuest('xs-console'), memoryMiB: 16, name: 'xs-guest' });
    const rings = { storeMfn: dom.storeMfn, storeEvtchn: dom.storeEvtchn, consoleMfn: dom.consoleMfn, consoleEvtchn: dom.consoleEvtchn };
    expect(writeDomainNodes(dom0.xs, { domid: dom.domid, name: 'xs-guest', memoryMiB: 16, ...rings })).toBeUndefined();
    expect(dom0.attachDomain(hv.port(dom.domid), rings)).toBeUndefined();
    const result = hv.run({ budget: 200_000_000 });
    const out = dom.consoleOutput;
    if (process.env.XENLAB_SHOW) console.log(out);
    expect(result.outcome, out).toBe('shutdown');
    const home = `/local/domain/${dom.domid}`;
    expect(out).toContain([
      'write: type=11 reply=OK', 'read: type=2 reply=hello from a C guest', 'missing: type=16 reply=ENOENT',
      'directory: type=1 reply=a|b', 'name: type=2 reply=xs-guest', 'denied: type=16 reply=EACCES',
      'watched-write: type=11 reply=OK', 'events=2 last=data/watched/x|tok|', '',
    ].join('\n'));
    expect(out).toContain('done');
    expect(dom0.xs.read(`${home}/data/greeting`)).toBe('hello from a C guest');
    const log = dom0.consoles.get(dom.domid)!.logText();
    const expected = Array.from({ length: 100 }, (_, i) => `console line ${String(i).padStart(3, '0')} of a message longer than the ring\n`).join('');
    expect(expected.length).toBeGreaterThan(2048);
    expect(log).toBe(expected);
  });

  it('connects a block front end and reads back what it wrote to the image', () => {
    const hv = new Hypervisor();
    const dom0 = new Dom0();
    hv.attachDom0({ onEvent: (p) => { dom0.handleDom0Event(p); } });
    const dom = hv.createDomain({ kernel: buildGuest('blkfront'), memoryMiB: 16, name: 'blk-guest' });
    const rings = { storeMfn: dom.storeMfn, storeEvtchn: dom.storeEvtchn, consoleMfn: dom.consoleMfn, consoleEvtchn: dom.consoleEvtchn };
    writeDomainNodes(dom0.xs, { domid: dom.domid, name: 'blk-guest', memoryMiB: 16, ...rings });
    expect(dom0.attachDomain(hv.port(dom.domid), rings)).toBeUndefined();
    const image = join(mkdtempSync(join(tmpdir(), 'xenlab-e2e-blk-')), 'disk.img');
    writeFileSync(image, new Uint8Array(1 << 20));
    expect(writeVbdNodes(dom0.xs, dom.domid, { target: image, vdev: 'xvda', mode: 'w', format: 'raw' })).toMatchObject({ devid: 51712 });
    const result = hv.run({ budget: 200_000_000 });
    const out = dom.consoleOutput;
    if (process.env.XENLAB_SHOW) console.log(out);
    expect(result.outcome, out).toBe('shutdown');
    expect(out).toContain([
      `backend=/local/domain/0/backend/vbd/${dom.domid}/51712`, 'backend state=2', 'backend state=4', 'sectors=2048', 'flush=1',
      'write=0', 'flush=0', 'read=0', 'readback_matches=1', 'past_end=-1', 'discard=-2',
      'after closing backend state=5', 'after closed backend state=6', '',
    ].join('\n'));
    const disk = readFileSync(image);
    const expected = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + 3) & 0xff);
    expect(Buffer.compare(disk.subarray(16 * 512, 16 * 512 + 4096), expected)).toBe(0);
    expect(disk.subarray(0, 16 * 512).every((b) => b === 0)).toBe(true);
  });

  it('starts from an xl config file through the toolstack (xenlab create)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenlab-e2e-create-'));
    writeFileSync(join(dir, 'kernel.elf'), buildGuest('blkfront'));
    writeFileSync(join(dir, 'disk.img'), new Uint8Array(1 << 20));
    writeFileSync(join(dir, 'guest.cfg'), 'name = "disky"\nkernel = "kernel.elf"\nmemory = 16\ndisk = [ \'file:disk.img,xvda,w\' ]\n');
    const hv = new Hypervisor();
    const dom0 = new Dom0();
    const ts = new Toolstack(dom0, xenControl(hv, dom0));
    const d = ts.createFromFile(join(dir, 'guest.cfg'));
    expect(ts.list().map((x) => [x.name, x.state])).toEqual([['disky', 'running']]);
    const result = hv.run({ budget: 200_000_000 });
    expect(result.outcome).toBe('shutdown');
    expect(hv.domain(d.domid)!.consoleOutput).toContain('readback_matches=1');
    expect(ts.list()[0].state).toBe('shutdown');
    ts.destroy('disky');
    expect(ts.list()).toEqual([]);
    expect(dom0.xs.read(`/local/domain/${d.domid}/name`)).toBeUndefined();
    expect(readFileSync(join(dir, 'disk.img'))[16 * 512]).toBe(3);
  });
});
