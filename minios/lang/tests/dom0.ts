// Boots a compiled kernel with Dom0 attached (xenstored, the console backend; the block backend when a disk is
// given), stepping the hypervisor in slices and handing Dom0 the events guests sent it in between.
import { Hypervisor } from '../../../hypervisor/index.js';
import { Dom0, writeDomainNodes, writeVbdNodes } from '../../../hypervisor/dom0/index.js';
import { compileOk } from './helpers.js';

export interface Dom0Boot {
  outcome: string;
  state: string;
  /** What the guest printed through console_io (Xen's emergency console). */
  xenConsole: string;
  /** What Dom0's console backend drained from the guest's console ring. */
  ringConsole: string;
  dom0: Dom0;
}

export function bootWithDom0(files: Record<string, string>, opts: { budget?: number; disk?: string; input?: string } = {}): Dom0Boot {
  const r = compileOk(files);
  const hv = new Hypervisor({ wallclock: { sec: 1_700_000_000, nsec: 0 } });
  const dom0 = new Dom0();
  const fired: number[] = [];
  hv.attachDom0({ onEvent: (p) => fired.push(p) });
  const dom = hv.createDomain({ kernel: r.elf, memoryMiB: 16, name: 'guest' });
  const rings = { storeMfn: dom.storeMfn, storeEvtchn: dom.storeEvtchn, consoleMfn: dom.consoleMfn, consoleEvtchn: dom.consoleEvtchn };
  writeDomainNodes(dom0.xs, { domid: dom.domid, name: 'guest', memoryMiB: 16, ...rings });
  const err = dom0.attachDomain(hv.port(dom.domid), rings);
  if (err) throw new Error(err);
  // Keyboard input waits in Dom0's console backend and goes into the ring as the guest makes room.
  if (opts.input !== undefined) dom0.consoles.get(dom.domid)!.input(opts.input);
  // After attaching: blkback probes new vbd directories for domains it has a port for.
  if (opts.disk) writeVbdNodes(dom0.xs, dom.domid, { target: opts.disk, vdev: 'xvda', mode: 'w', format: 'raw' });
  let ringConsole = '';
  dom0.onConsoleOutput((domid, data) => { if (domid === dom.domid) ringConsole += typeof data === 'string' ? data : new TextDecoder().decode(data); });
  let left = opts.budget ?? 200_000_000;
  let outcome = 'budget';
  while (left > 0) {
    const res = hv.run({ budget: Math.min(left, 200_000) });
    left -= Math.max(res.instructions, 1);
    while (fired.length) dom0.handleDom0Event(fired.shift()!);
    if (dom.state !== 'running' && dom.state !== 'blocked') {
      outcome = res.outcome;
      break;
    }
  }
  return { outcome, state: dom.state, xenConsole: dom.consoleOutput, ringConsole, dom0 };
}
