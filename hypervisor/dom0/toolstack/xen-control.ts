// HypervisorControl over xenlab's own hypervisor: the toolstack's link to
// domain building, pause/unpause and destroy. Typed structurally (only what
// is used), so the hypervisor core never has to import Dom0.
import { readFileSync } from 'node:fs';
import type { GuestPort } from '../port.js';
import type { Dom0 } from '../dom0.js';
import type { HypervisorControl } from './toolstack.js';

interface XenDomain {
  readonly domid: number;
  readonly state: string;
  readonly storeMfn: number;
  readonly storeEvtchn: number;
  readonly consoleMfn: number;
  readonly consoleEvtchn: number;
  readonly shutdownReason?: string;
}

/** The parts of hypervisor/hypervisor.ts's Hypervisor the toolstack drives. */
export interface XenHypervisor<D extends XenDomain = XenDomain> {
  attachDom0(opts: { onEvent: (port: number) => void }): void;
  createDomain(opts: { kernel: Uint8Array; memoryMiB?: number; cmdline?: string; name?: string }): D;
  domain(domid: number): D | undefined;
  port(domid: number): GuestPort;
  pause(dom: D): void;
  unpause(dom: D): void;
  destroyDomain(dom: D): void;
}

/** Attach `dom0` to `hv` (event routing) and return the toolstack's control of it. */
export function xenControl<D extends XenDomain>(hv: XenHypervisor<D>, dom0: Dom0): HypervisorControl {
  hv.attachDom0({ onEvent: (port) => { dom0.handleDom0Event(port); } });
  return {
    createDomain(spec) {
      let kernel: Uint8Array;
      try {
        kernel = new Uint8Array(readFileSync(spec.kernel));
      } catch (e) {
        return { error: `cannot read kernel ${spec.kernel}: ${(e as Error).message}` };
      }
      try {
        const dom = hv.createDomain({ kernel, memoryMiB: spec.memoryMiB, cmdline: spec.cmdline, name: spec.name });
        // xl builds domains paused; the toolstack unpauses once Dom0 is wired.
        hv.pause(dom);
        const { domid, storeMfn, storeEvtchn, consoleMfn, consoleEvtchn } = dom;
        return { domid, port: hv.port(domid), storeMfn, storeEvtchn, consoleMfn, consoleEvtchn };
      } catch (e) {
        return { error: (e as Error).message };
      }
    },
    destroyDomain(domid) { const d = hv.domain(domid); if (d) hv.destroyDomain(d); },
    pauseDomain(domid) { const d = hv.domain(domid); if (d) hv.pause(d); },
    unpauseDomain(domid) { const d = hv.domain(domid); if (d) hv.unpause(d); },
    domainState(domid) { return hv.domain(domid)?.state; },
    shutdownReason(domid) { return hv.domain(domid)?.shutdownReason; },
  };
}
