// Booting a built kernel on a fresh hypervisor, bounded by an instruction budget, and recording what it did.
// Deterministic: the virtual clock, the wall clock the guest sees and the hypervisor's seed all come from the seed.
import crypto from 'node:crypto';
import { BadKernelError, Hypervisor } from '../hypervisor/index.js';
import type { RunObservation } from './api.js';

export interface BootOptions {
  budget: number;
  seed: number;
  memoryMiB?: number;
  cmdline?: string;
}

/** The wall clock every graded guest sees at boot: fixed, so that a run never depends on when it happened. */
export const GRADING_EPOCH_SEC = 1_767_225_600; // 2026-01-01T00:00:00Z

export type BootResult = { ok: true; run: RunObservation } | { ok: false; message: string };

/** Boots `elf` and runs it until it shuts down, crashes or spends the budget. Never throws on a bad kernel. */
export function bootKernel(elf: Uint8Array, opts: BootOptions): BootResult {
  const hv = new Hypervisor({ seed: opts.seed, wallclock: { sec: GRADING_EPOCH_SEC + (opts.seed % 86_400), nsec: 0 } });
  let dom;
  try {
    dom = hv.createDomain({ kernel: elf, memoryMiB: opts.memoryMiB ?? 32, cmdline: opts.cmdline ?? '', name: 'submission' });
  } catch (e) {
    if (e instanceof BadKernelError) return { ok: false, message: `Xen's domain builder rejected the kernel image: ${e.message}` };
    throw e;
  }
  const result = hv.run({ budget: opts.budget });
  const run: Omit<RunObservation, 'traceHash'> = {
    end: result.outcome,
    instructions: result.instructions,
    budget: opts.budget,
    state: dom.state,
    ...(dom.shutdownReason ? { shutdownReason: dom.shutdownReason } : {}),
    ...(dom.shutdownCode !== undefined ? { shutdownCode: dom.shutdownCode } : {}),
    ...(dom.crash ? { crash: { reason: dom.crash.reason, eip: dom.crash.eip, insn: dom.crash.insn, regs: { ...dom.crash.regs } } } : {}),
    console: dom.consoleOutput,
    hypercalls: dom.hypercalls.map((h) => ({ nr: h.nr, name: h.name, args: [...h.args], result: h.result, callerEip: h.callerEip, viaHypercallPage: h.viaHypercallPage, instructions: h.instructions })),
  };
  return { ok: true, run: { ...run, traceHash: traceHash(run) } };
}

/** SHA-256 over a canonical JSON form (sorted keys) of a run. */
export function traceHash(run: Omit<RunObservation, 'traceHash'>): string {
  return crypto.createHash('sha256').update(canonicalJson(run)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
