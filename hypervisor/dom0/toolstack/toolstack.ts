// The toolstack (what xl does): create domains from config files or
// scenarios, list, shut down, pause, unpause and destroy them, and read or
// write XenStore for the user. Building and running a domain is the
// hypervisor's job, reached through the HypervisorControl interface; Dom0's
// side (XenStore nodes, console, disks) is done here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { GuestPort } from '../port.js';
import type { Dom0, DomainRings } from '../dom0.js';
import { ConfigError, type DomainConfig, parseDomainConfig } from './config.js';
import { parseScenario } from './scenario.js';
import { removeDomainNodes, writeDomainNodes, writeVbdNodes } from './nodes.js';

/** What the toolstack needs from the hypervisor (the lead / hypervisor engineer implement it). */
export interface HypervisorControl {
  /** Build a paused PV domain from an ELF kernel; its store and console channels are left unbound for Dom0. */
  createDomain(spec: { name: string; kernel: string; memoryMiB: number; cmdline: string }): ({ domid: number; port: GuestPort } & DomainRings) | { error: string };
  destroyDomain(domid: number): void;
  pauseDomain(domid: number): void;
  unpauseDomain(domid: number): void;
  /** Running, blocked, paused, shutdown or crashed, as xl list shows it. */
  domainState(domid: number): string | undefined;
  /** For a domain that shut down: the reason it gave (poweroff, reboot, suspend, crash). */
  shutdownReason?(domid: number): string | undefined;
}

export interface DomainInfo { domid: number; name: string; memoryMiB: number; state: string; config: DomainConfig }

export class ToolstackError extends Error {
  constructor(message: string) { super(message); this.name = 'ToolstackError'; }
}

export class Toolstack {
  private readonly domains = new Map<number, DomainInfo>();

  constructor(readonly dom0: Dom0, readonly hv: HypervisorControl) {}

  /** xl create FILE: parse, check, build, wire up, unpause (unless `paused`). Throws ConfigError / ToolstackError for the user. */
  createFromFile(file: string, opts: { paused?: boolean } = {}): DomainInfo {
    const cfg = parseDomainConfig(readText(file), file);
    return this.create(resolvePaths(cfg), opts);
  }

  /** Start every domain of a scenario file, in order; on failure the ones already started are destroyed. */
  createScenario(file: string, opts: { paused?: boolean } = {}): DomainInfo[] {
    const sc = parseScenario(readText(file), file);
    const started: DomainInfo[] = [];
    try {
      for (const cfg of sc.domains) started.push(this.create(resolvePaths(cfg), { paused: true }));
    } catch (e) {
      for (const d of started) this.destroy(d.domid);
      throw e;
    }
    if (!opts.paused) for (const d of started) this.unpause(d.domid);
    return started;
  }

  create(cfg: DomainConfig, opts: { paused?: boolean } = {}): DomainInfo {
    for (const d of this.domains.values()) {
      if (d.name === cfg.name) throw new ToolstackError(`${cfg.file}: a domain named '${cfg.name}' already exists (domid ${d.domid}); destroy it or pick another name`);
    }
    if (!existsSync(cfg.kernel)) throw new ToolstackError(`${cfg.file}: kernel '${cfg.kernel}' does not exist`);
    for (const disk of cfg.disks) {
      if (!existsSync(disk.target)) throw new ToolstackError(`${cfg.file}: disk image '${disk.target}' (${disk.vdev}) does not exist; create it first, e.g. truncate -s 16M ${disk.target}`);
    }
    const built = this.hv.createDomain({ name: cfg.name, kernel: cfg.kernel, memoryMiB: cfg.memory, cmdline: cfg.cmdline });
    if ('error' in built) throw new ToolstackError(`${cfg.file}: building domain '${cfg.name}' failed: ${built.error}`);
    const { domid, port } = built;
    const fail = (why: string): never => {
      this.dom0.detachDomain(domid);
      removeDomainNodes(this.dom0.xs, domid);
      this.hv.destroyDomain(domid);
      throw new ToolstackError(`${cfg.file}: setting up domain '${cfg.name}' failed: ${why}`);
    };
    const err = writeDomainNodes(this.dom0.xs, { ...built, domid, name: cfg.name, memoryMiB: cfg.memory });
    if (err) fail(`writing its XenStore nodes: ${err}`);
    const attach = this.dom0.attachDomain(port, built);
    if (attach) fail(attach);
    for (const disk of cfg.disks) {
      const r = writeVbdNodes(this.dom0.xs, domid, disk);
      if (typeof r === 'string') fail(`adding disk ${disk.vdev}: ${r}`);
    }
    const info: DomainInfo = { domid, name: cfg.name, memoryMiB: cfg.memory, state: 'paused', config: cfg };
    this.domains.set(domid, info);
    if (!opts.paused) this.unpause(domid);
    return info;
  }

  list(): DomainInfo[] {
    return [...this.domains.values()].map((d) => ({ ...d, state: this.hv.domainState(d.domid) ?? d.state }));
  }

  /** A domain by name or number. */
  find(which: string | number): DomainInfo {
    const d = typeof which === 'number' || /^\d+$/.test(which)
      ? this.domains.get(Number(which))
      : [...this.domains.values()].find((x) => x.name === which);
    if (!d) throw new ToolstackError(`no domain '${which}' (running: ${[...this.domains.values()].map((x) => `${x.name} (${x.domid})`).join(', ') || 'none'})`);
    return d;
  }

  /**
   * What xl does when domains stop: apply on_poweroff to each domain that
   * shut down and on_crash to each that crashed (destroy, restart = destroy
   * and create again from the same config, preserve = leave it for
   * inspection; coredump-* act as destroy/restart, without a dump).
   * Call after running the hypervisor; returns what was done.
   */
  reapStopped(): string[] {
    const done: string[] = [];
    for (const d of [...this.domains.values()]) {
      const state = this.hv.domainState(d.domid);
      if (state !== 'shutdown' && state !== 'crashed') continue;
      // As xl: a crash (a fault, or SCHEDOP_shutdown with SHUTDOWN_crash) takes on_crash, a reboot on_reboot.
      const reason = this.hv.shutdownReason?.(d.domid);
      const action = state === 'crashed' || reason === 'crash' ? d.config.onCrash : reason === 'reboot' ? d.config.onReboot : d.config.onPoweroff;
      if (action === 'preserve') continue;
      this.destroy(d.domid);
      if (action === 'restart' || action === 'coredump-restart') {
        const again = this.create(d.config);
        done.push(`${d.name} (${d.domid}) ${state}: restarted as domain ${again.domid}`);
      } else {
        done.push(`${d.name} (${d.domid}) ${state}: destroyed`);
      }
    }
    return done;
  }

  /** xl shutdown: ask the guest through control/shutdown, as xl does for PV guests. */
  shutdown(which: string | number, reason: 'poweroff' | 'reboot' | 'halt' = 'poweroff'): void {
    const d = this.find(which);
    this.dom0.xs.write(`/local/domain/${d.domid}/control/shutdown`, reason);
  }

  pause(which: string | number): void { const d = this.find(which); this.hv.pauseDomain(d.domid); d.state = 'paused'; }
  unpause(which: string | number): void { const d = this.find(which); this.hv.unpauseDomain(d.domid); d.state = 'running'; }

  destroy(which: string | number): void {
    const d = this.find(which);
    this.hv.destroyDomain(d.domid);
    this.dom0.detachDomain(d.domid);
    removeDomainNodes(this.dom0.xs, d.domid);
    this.domains.delete(d.domid);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ToolstackError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Kernel and disk paths are relative to the config file, as xl resolves them. */
function resolvePaths(cfg: DomainConfig): DomainConfig {
  const base = dirname(cfg.file);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return { ...cfg, kernel: abs(cfg.kernel), disks: cfg.disks.map((d) => ({ ...d, target: abs(d.target) })) };
}

export { ConfigError };
