// The library's event callback must not lose an event that arrives at any instruction of the callback, its
// register restore or its return (Mini-OS's "safe return"). Dom0 sends the guest a first event, then a second one
// k instructions later, for every k from the moment the callback clears the first one to past the end of the callback's
// return: the guest must see both every time.
import { describe, expect, it } from 'vitest';
import { Hypervisor } from '../../../hypervisor/index.js';
import { SI } from '../../../hypervisor/shared_info.js';
import { compileOk } from './helpers.js';

const KERNEL = `import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { map_shared_info, local_irq_disable, local_irq_enable } from "minios/hypervisor";
import { init_events, evtchn_alloc_unbound } from "minios/events";
import { SCHEDOP_block, SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

let received: u32 = 0;
let port: u32 = 0;

function on_event(p: u32, regs: VoidPtr, data: VoidPtr): void {
  received++;
}

export function start_kernel(si: Ptr<start_info_t>): void {
  map_shared_info(si);
  init_events();
  const rc = evtchn_alloc_unbound(0, on_event, NULL, addr_of(port));
  printk("port %u rc %d\\n", port, rc);
  // Block with events masked; SCHEDOP_block unmasks them atomically, so no wakeup is lost between test and block.
  local_irq_disable();
  while (volatile_read(addr_of(received)) < 2) {
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    local_irq_disable();
  }
  local_irq_enable();
  printk("received %u\\n", received);
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`;

const elf = compileOk({ 'window.ts': KERNEL }).elf;

/** Boots until the guest blocks waiting, binds Dom0 to its port, sends one event and runs `gap` instructions. */
function bootAndSendFirst(gap: number) {
  const hv = new Hypervisor({ wallclock: { sec: 1_700_000_000, nsec: 0 } });
  hv.attachDom0({ onEvent: () => {} });
  const dom = hv.createDomain({ kernel: elf, memoryMiB: 16, name: 'window' });
  const r = hv.run({ budget: 50_000_000 });
  const m = /^port (\d+) rc 0\n$/.exec(dom.consoleOutput);
  if (!m || dom.state !== 'blocked') throw new Error(`guest did not set up: ${JSON.stringify(dom.consoleOutput)} ${dom.state} ${r.outcome}`);
  const port = hv.port(dom.domid);
  const local = port.bindInterdomain(Number(m[1]));
  if (local < 0) throw new Error(`bind failed: ${local}`);
  port.notify(local);
  const before = hv.clock.instructions;
  if (gap > 0) hv.run({ budget: gap });
  const guestPort = Number(m[1]);
  // While the first event is still pending (the callback has not cleared it yet), a second send merges with it, as in Xen.
  const stillPending = () => ((hv.mem.read32(dom.sharedInfoMfn * 4096 + SI.evtchnPending + (guestPort >> 5) * 4) >>> (guestPort & 31)) & 1) === 1;
  return { hv, dom, stillPending, send: () => port.notify(local), ran: hv.clock.instructions - before };
}

describe('event callback return window', () => {
  it('loses no event sent at any instruction of the callback and its return', () => {
    // How long the guest runs for one event before it blocks again: the window to sweep.
    const probe = bootAndSendFirst(0);
    let window = 0;
    while (probe.dom.state !== 'blocked' && window < 5000) { probe.hv.run({ budget: 1 }); window++; }
    expect(probe.dom.state).toBe('blocked');
    expect(window).toBeGreaterThan(30); // the callback saves, dispatches, restores and returns: dozens of instructions
    const lost: number[] = [];
    const merged: number[] = [];
    for (let k = 0; k <= window + 2; k++) {
      const { hv, dom, send, stillPending } = bootAndSendFirst(k);
      if (stillPending()) { merged.push(k); continue; }
      send();
      hv.run({ budget: 5_000_000 });
      if (!dom.consoleOutput.endsWith('received 2\n') || dom.shutdownReason !== 'poweroff') lost.push(k);
    }
    expect(lost).toEqual([]);
    // The merged sends are exactly those before the handler cleared the first event; everything after was checked.
    expect(merged).toEqual(merged.map((_, i) => i));
    expect(window + 3 - merged.length).toBeGreaterThan(100);
  });
});
