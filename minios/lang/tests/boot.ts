// Boots compiled kernels on the hypervisor (with Dom0 when a test needs its services) and reports what they did.
import { Hypervisor } from '../../../hypervisor/index.js';
import type { Domain } from '../../../hypervisor/index.js';
import { compileOk } from './helpers.js';

export interface BootResult {
  outcome: string;
  state: string;
  console: string;
  dom: Domain;
  hv: Hypervisor;
}

export function boot(files: Record<string, string>, opts: { budget?: number; memoryMiB?: number } = {}): BootResult {
  const r = compileOk(files);
  const hv = new Hypervisor({ wallclock: { sec: 1_700_000_000, nsec: 0 } });
  const dom = hv.createDomain({ kernel: r.elf, memoryMiB: opts.memoryMiB ?? 16 });
  const res = hv.run({ budget: opts.budget ?? 20_000_000 });
  return { outcome: res.outcome, state: dom.state, console: dom.consoleOutput, dom, hv };
}
