// A Xen host: the hypervisor with the TypeScript Dom0 attached (xenstored, console backend, block backend).
// What `xenlab run`, `xenlab demo` and the grader boot guests on. Guest output from both consoles (Xen's emergency
// console_io and the console ring Dom0 drains) reaches one callback, in the order the guest produced it.
import { Hypervisor, type HypervisorOptions, type RunResult } from './hypervisor.js';
import type { Domain } from './domain.js';
import { Dom0, writeDomainNodes, writeVbdNodes } from './dom0/index.js';

export interface HostDisk {
  /** Raw image file. */
  target: string;
  /** Guest device name, 'xvda' by default. */
  vdev?: string;
  mode?: 'r' | 'w';
}

export interface HostDomainSpec {
  kernel: Uint8Array;
  name: string;
  memoryMiB?: number;
  cmdline?: string;
  disks?: HostDisk[];
}

export class HostSetupError extends Error {
  constructor(message: string) { super(message); this.name = 'HostSetupError'; }
}

export class XenHost {
  readonly hv: Hypervisor;
  readonly dom0 = new Dom0();
  private consoleListeners: ((domid: number, text: string) => void)[] = [];
  private readonly decoders = new Map<number, TextDecoder>();

  constructor(opts: HypervisorOptions = {}) {
    this.hv = new Hypervisor(opts);
    this.hv.attachDom0({ onEvent: (port) => { this.dom0.handleDom0Event(port); } });
    this.dom0.onConsoleOutput((domid, data) => {
      let text: string;
      if (typeof data === 'string') text = data;
      else {
        let dec = this.decoders.get(domid);
        if (!dec) this.decoders.set(domid, (dec = new TextDecoder()));
        text = dec.decode(data, { stream: true });
      }
      if (!text) return;
      for (const l of this.consoleListeners) l(domid, text);
    });
  }

  /** Everything any guest prints, on either console. */
  onConsole(listener: (domid: number, text: string) => void): void {
    this.consoleListeners.push(listener);
  }

  /**
   * Builds a domain (BadKernelError for a bad image), writes its XenStore nodes as xl does, connects its store and
   * console rings to Dom0 and adds its disks. HostSetupError when Dom0 cannot take it.
   */
  createDomain(spec: HostDomainSpec): Domain {
    const memoryMiB = spec.memoryMiB ?? 32;
    const dom = this.hv.createDomain({ kernel: spec.kernel, memoryMiB, cmdline: spec.cmdline ?? '', name: spec.name });
    dom.onConsole = (text) => { for (const l of this.consoleListeners) l(dom.domid, text); };
    const rings = { storeMfn: dom.storeMfn, storeEvtchn: dom.storeEvtchn, consoleMfn: dom.consoleMfn, consoleEvtchn: dom.consoleEvtchn };
    const fail = (why: string): never => {
      this.dom0.detachDomain(dom.domid);
      this.hv.destroyDomain(dom);
      throw new HostSetupError(`setting up domain '${spec.name}' failed: ${why}`);
    };
    const nodes = writeDomainNodes(this.dom0.xs, { domid: dom.domid, name: spec.name, memoryMiB, ...rings });
    if (nodes) fail(`writing its XenStore nodes: ${nodes}`);
    const attached = this.dom0.attachDomain(this.hv.port(dom.domid), rings);
    if (attached) fail(attached);
    for (const disk of spec.disks ?? []) {
      const r = writeVbdNodes(this.dom0.xs, dom.domid, { target: disk.target, vdev: disk.vdev ?? 'xvda', mode: disk.mode ?? 'w', format: 'raw' });
      if (typeof r === 'string') fail(`adding disk ${disk.target}: ${r}`);
    }
    return dom;
  }

  run(opts: { budget: number }): RunResult {
    return this.hv.run(opts);
  }

  /** Releases Dom0's resources (open disk images, sockets). */
  async close(): Promise<void> {
    for (const d of this.hv.domains) this.dom0.detachDomain(d.domid);
    await this.dom0.close();
  }
}
