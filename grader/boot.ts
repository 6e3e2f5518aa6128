// Booting a built kernel on a fresh hypervisor, bounded by an instruction budget, and recording what it did.
// Deterministic: the virtual clock, the wall clock the guest sees, the hypervisor's seed and every exercise hook
// (which runs at fixed points of virtual time) come from the seed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BadKernelError, type Domain } from '../hypervisor/index.js';
import { HostSetupError, XenHost, type HostDisk } from '../hypervisor/host.js';
import type { DomainObservation, Exercise, RunObservation } from './api.js';

export interface BootOptions {
  budget: number;
  seed: number;
  memoryMiB?: number;
  cmdline?: string;
}

/** The wall clock every graded guest sees at boot: fixed, so that a run never depends on when it happened. */
export const GRADING_EPOCH_SEC = 1_767_225_600; // 2026-01-01T00:00:00Z

export type BootResult = { ok: true; run: RunObservation } | { ok: false; message: string };

/** One domain to boot: its kernel image and how to build the domain. */
export interface BootDomain {
  name: string;
  elf: Uint8Array;
  memoryMiB?: number;
  cmdline?: string;
}

/** Boots `elf` alone (Dom0 attached) and runs it until it shuts down, crashes or spends the budget. Never throws on a bad kernel. */
export function bootKernel(elf: Uint8Array, opts: BootOptions): BootResult {
  return bootDomains([{ name: 'submission', elf, memoryMiB: opts.memoryMiB, cmdline: opts.cmdline }], { budget: opts.budget, seed: opts.seed });
}

/**
 * Boots every domain on one XenHost (the hypervisor with Dom0), runs them until all have shut down or crashed or the
 * budget (virtual time, in instructions) is spent, and records what happened. The first domain is the one the
 * top-level fields of the observation describe. Never throws on a bad kernel; exercise hooks run at fixed points of
 * virtual time, so a run is a function of the kernels and the seed.
 */
export function bootDomains(domains: BootDomain[], opts: { budget: number; seed: number; exercise?: Pick<Exercise, 'setup' | 'hypervisor'> }): BootResult {
  const tuned = opts.exercise?.hypervisor?.(opts.seed) ?? {};
  // Host memory sized to the domains (plus room for Xen's own frames): a fresh 256 MiB machine per seed costs more to
  // allocate and collect than a short graded run costs to execute.
  const hostMemoryMiB = Math.min(2048, domains.reduce((sum, d) => sum + (d.memoryMiB ?? 32), 0) + 16);
  const host = new XenHost({ seed: opts.seed, wallclock: { sec: GRADING_EPOCH_SEC + (opts.seed % 86_400), nsec: 0 }, hostMemoryMiB, ...tuned });
  const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-grade-'));
  try {
    const disks = new Map<string, HostDisk[]>();
    const hooks = opts.exercise?.setup?.({
      host, seed: opts.seed, tmpdir,
      addDisk(domain, disk) { (disks.get(domain) ?? disks.set(domain, []).get(domain)!).push(disk); },
    }) ?? {};
    const consoles = new Map<number, string>();
    host.onConsole((domid, text) => { consoles.set(domid, (consoles.get(domid) ?? '') + text); });
    const doms: Domain[] = [];
    for (const d of domains) {
      try {
        doms.push(host.createDomain({ kernel: d.elf, name: d.name, memoryMiB: d.memoryMiB ?? 32, cmdline: d.cmdline ?? '', disks: disks.get(d.name) ?? [] }));
      } catch (e) {
        if (e instanceof BadKernelError || e instanceof HostSetupError) {
          return { ok: false, message: `Xen's domain builder rejected the kernel image${domains.length > 1 ? ` of domain '${d.name}'` : ''}: ${e.message}` };
        }
        throw e;
      }
    }
    hooks.started?.(doms);
    const every = hooks.tick ? Math.max(1, Math.floor(hooks.every ?? 100_000)) : opts.budget;
    const start = host.hv.clock.instructions;
    let result = { outcome: 'budget' as 'shutdown' | 'crashed' | 'budget', instructions: 0 };
    for (;;) {
      const spent = host.hv.clock.instructions - start;
      if (spent >= opts.budget) break;
      const r = host.run({ budget: Math.min(every, opts.budget - spent) });
      result = { outcome: r.outcome, instructions: result.instructions + r.instructions };
      if (r.outcome !== 'budget') break; // every domain stopped
      if (r.note) {
        // Every domain is blocked with no timer set: only a hook (console input, a store write) can wake one.
        if (!hooks.tick) break;
        const now = host.hv.clock.instructions - start;
        host.hv.clock.instructions = start + Math.min(opts.budget, (Math.floor(now / every) + 1) * every);
      }
      hooks.tick?.(host.hv.clock.instructions - start);
    }
    const extra = hooks.observe?.();
    const observed = doms.map((dom) => observeDomain(dom, consoles.get(dom.domid) ?? ''));
    const first = observed[0]!;
    const run: Omit<RunObservation, 'traceHash'> = {
      end: doms.some((d) => d.alive) ? 'budget' : result.outcome,
      instructions: result.instructions,
      budget: opts.budget,
      state: first.state,
      ...(first.shutdownReason ? { shutdownReason: first.shutdownReason } : {}),
      ...(first.shutdownCode !== undefined ? { shutdownCode: first.shutdownCode } : {}),
      ...(first.crash ? { crash: first.crash } : {}),
      console: first.console,
      hypercalls: first.hypercalls,
      domains: observed,
      xenstore: snapshotStore(host, tmpdir),
      ...(extra ? { extra } : {}),
    };
    if (!run.crash) {
      const crashed = observed.find((o) => o.crash);
      if (crashed) run.crash = crashed.crash;
    }
    return { ok: true, run: { ...run, traceHash: traceHash(run) } };
  } finally {
    void host.close();
    fs.rmSync(tmpdir, { recursive: true, force: true });
  }
}

function observeDomain(dom: Domain, console: string): DomainObservation {
  return {
    name: dom.name,
    domid: dom.domid,
    state: dom.state,
    ...(dom.shutdownReason ? { shutdownReason: dom.shutdownReason } : {}),
    ...(dom.shutdownCode !== undefined ? { shutdownCode: dom.shutdownCode } : {}),
    ...(dom.crash ? { crash: { reason: dom.crash.reason, eip: dom.crash.eip, insn: dom.crash.insn, regs: { ...dom.crash.regs } } } : {}),
    console,
    hypercalls: dom.hypercalls.map((h) => ({ nr: h.nr, name: h.name, args: [...h.args], result: h.result, callerEip: h.callerEip, viaHypercallPage: h.viaHypercallPage, instructions: h.instructions })),
    instructions: dom.instructionsRun,
  };
}

/**
 * Every node of the store (path -> value), read as Dom0 sees it. The run's temporary folder (in disk paths) reads
 * `<tmpdir>`, so that equal runs give equal observations wherever their disks were.
 */
function snapshotStore(host: XenHost, tmpdir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, depth: number) => {
    if (depth > 32) return;
    const names = host.dom0.xs.directory(dir);
    if (typeof names === 'string') return;
    for (const n of [...names].sort()) {
      const p = dir === '/' ? `/${n}` : `${dir}/${n}`;
      out[p] = (host.dom0.xs.read(p) ?? '').split(tmpdir).join('<tmpdir>');
      walk(p, depth + 1);
    }
  };
  walk('/', 0);
  return out;
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
