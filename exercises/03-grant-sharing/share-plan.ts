// Exercise 03's run setup: the two domains' XenStore directories and secrets, a watch on every write to the
// granter's grant entries (PhysicalMemory.watchWrites: by the guest or by Xen, as Xen on another CPU could see them),
// a log of both domains' grant-table operations read back from guest memory (Domain.onHypercall), a CPU budget per
// domain (a domain that spins is paused), and what is left mapped or granted at the end; all stored in run.extra for
// the checks.
//
// What a seed varies: the first grant reference the granter may use, both secrets, which domain runs first, how
// long each runs before the other gets the CPU (so XenStore replies and the peer's steps arrive at different points
// of each domain's code), and whether the granter is held (paused) the moment its share/ref reaches the store, until
// the mapper has acted on it: on Xen the granter can be preempted right there, and the mapper then sees only what was
// written before share/ref (so share/domid and the grant entry must be complete before it).
import type { RunHooks, SetupContext } from '../../grader/api.js';
import type { Domain, HypervisorOptions } from '../../hypervisor/index.js';
import type { Hypervisor } from '../../hypervisor/hypervisor.js';
import type { Scheduler } from '../../hypervisor/schedule.js';
import { grant_entry_v1 } from '../../hypervisor/public/structs.js';
import { GNTCOPY, GNTMAP, GNTTABOP, GTF, HYPERVISOR } from '../../hypervisor/public/xen.js';

export const GRANTER = 'granter';
export const MAPPER = 'mapper';
/**
 * Instructions each domain may run of its own (its CPU time; time asleep is free): the reference needs about 240,000.
 * A domain that spins instead of sleeping between looks at its peer uses it up and is paused there.
 */
export const CPU_BUDGET = 5_000_000;
/** Refs the granter's allocator hands out from first-ref on (kernel/grant.ts's NR_REFS). */
export const WATCHED_REFS = 16;

function rng(seed: number): () => number {
  let a = (seed * 0x9e3779b1 + 0x6d2b79f5) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SharePlan {
  firstRef: number;
  secrets: { granter: string; mapper: string };
  /** Instructions each domain runs per turn. */
  granterSlice: number;
  mapperSlice: number;
  mapperFirst: boolean;
  /** Hold the granter from the moment its share/ref appears in the store until the mapper makes a grant operation. */
  holdAfterRef: boolean;
}

/** The longest the granter is held after publishing share/ref (instructions of the run: ten of the mapper's naps). */
export const HOLD_MAX = 2_000_000;

export function sharePlan(seed: number): SharePlan {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const word = () => Array.from({ length: 3 }, () => 'bcdfghjklmnpqrstvwxz'[int(0, 19)]! + 'aeiou'[int(0, 4)]!).join('');
  return {
    firstRef: int(8, 400),
    secrets: { granter: `A-${word()}-${int(1000, 9999)}`, mapper: `B-${word()}-${int(1000, 9999)}` },
    granterSlice: int(300, 20_000),
    mapperSlice: int(300, 20_000),
    mapperFirst: r() < 0.5,
    holdAfterRef: r() < 2 / 3,
  };
}

/** Round robin over the two domains with seeded slices; `after` runs after every slice. */
export class SteppingScheduler implements Scheduler {
  readonly name = 'grader-stepping';
  private queue: Domain[] = [];
  private at = 0;
  after?: (dom: Domain) => void;
  constructor(private readonly plan: SharePlan) {}
  add(dom: Domain): void {
    if (this.queue.includes(dom)) return;
    this.queue.push(dom);
    if (this.queue.length === 2 && this.plan.mapperFirst) this.at = 1;
  }
  remove(dom: Domain): void {
    const i = this.queue.indexOf(dom);
    if (i < 0) return;
    this.queue.splice(i, 1);
    if (this.at > i) this.at--;
    if (this.queue.length) this.at %= this.queue.length;
  }
  pick(): Domain | undefined {
    for (let k = 0; k < this.queue.length; k++) {
      const d = this.queue[(this.at + k) % this.queue.length]!;
      if (d.state === 'running') { this.at = (this.at + k + 1) % this.queue.length; return d; }
    }
    return undefined;
  }
  sliceFor(dom: Domain): number { return dom.name === GRANTER ? this.plan.granterSlice : this.plan.mapperSlice; }
  charge(dom: Domain): void { this.after?.(dom); }
}

export function hypervisorFor(seed: number): Partial<HypervisorOptions> {
  return { scheduler: new SteppingScheduler(sharePlan(seed)) };
}

/** One state of a watched grant entry of the granter, when the grader first saw it. */
export interface EntryState { ref: number; at: number; flags: number; domid: number; frame: number }

/** One grant-table operation either domain made, with the results Xen wrote back. */
export interface GrantOp {
  dom: string;
  at: number;
  op: 'map' | 'unmap' | 'copy' | 'other';
  /** map: the ref and granting domain asked for; readonly: GNTMAP_readonly; status, handle as Xen wrote them. */
  ref?: number;
  granter?: number;
  readonly?: boolean;
  status?: number;
  handle?: number;
  /** copy: GNTCOPY flags. */
  copyFlags?: number;
  /** The hypercall's own result. */
  rc: number;
}

export interface ShareObservation {
  plan: SharePlan;
  granter: number;
  mapper: number;
  /** Every state the watched entries of the granter passed through, in order (each seen before the next write to them). */
  entries: EntryState[];
  ops: GrantOp[];
  /** A watched entry changed while the mapper still had it mapped (first such moment). */
  earlyEnd?: { ref: number; at: number; mappedFrame: number; writable: boolean; flags: number; domid: number; frame: number };
  /** When share/domid and share/ref of the granter first appeared in the store (instructions of the run). */
  published: { node: 'domid' | 'ref'; at: number }[];
  /** The seed held the granter after its share/ref appeared: from when, until when, and why it was let go. */
  held?: { at: number; until?: number; why?: string };
  /** Domains that used up CPU_BUDGET and were paused: when (instructions of the run) and where (EIP). */
  spun: { dom: string; at: number; eip: number }[];
  cpuBudget: number;
  /** At the end: grants the mapper still has mapped, and granter entries still permitting access. */
  stillMapped: { ref: number; granter: number; writable: boolean }[];
  stillGranted: { ref: number; flags: number; domid: number; frame: number }[];
  /** Owner of each frame an entry pointed at (domid), to tell a real page from garbage. */
  frameOwners: Record<string, number>;
  /**
   * For an entry frame F that is also one of the granter's pfns: the machine frame of its pfn F, when that page held
   * the granter's secret as F was first granted and F's own page did not (the entry was given a pfn, not an mfn).
   */
  pfnGranted: Record<string, number>;
}

function readEntry(hv: Hypervisor, domid: number, ref: number): { flags: number; domid: number; frame: number } | undefined {
  const e = hv.grants.entry(domid, ref);
  return e && { flags: e.flags, domid: e.domid, frame: e.frame };
}

/** Reads back what Xen wrote into the guest's op struct(s) after a grant_table_op. */
function decodeOp(dom: Domain, args: number[], at: number, rc: number): GrantOp[] {
  const [cmd, uop, count] = args as [number, number, number];
  const out: GrantOp[] = [];
  const n = Math.min(count, 8);
  for (let i = 0; i < n; i++) {
    if (cmd === GNTTABOP.map_grant_ref) {
      const b = dom.guest.read((uop + i * 32) >>> 0, 32);
      if (!b) break;
      const v = new DataView(b.buffer);
      out.push({ dom: dom.name, at, op: 'map', rc, ref: v.getUint32(12, true), granter: v.getUint16(16, true), readonly: (v.getUint32(8, true) & GNTMAP.readonly) !== 0, status: v.getInt16(18, true), handle: v.getUint32(20, true) });
    } else if (cmd === GNTTABOP.unmap_grant_ref) {
      const b = dom.guest.read((uop + i * 24) >>> 0, 24);
      if (!b) break;
      const v = new DataView(b.buffer);
      out.push({ dom: dom.name, at, op: 'unmap', rc, handle: v.getUint32(16, true), status: v.getInt16(20, true) });
    } else if (cmd === GNTTABOP.copy) {
      const b = dom.guest.read((uop + i * 24) >>> 0, 24);
      if (!b) break;
      const v = new DataView(b.buffer);
      const flags = v.getUint16(18, true);
      out.push({ dom: dom.name, at, op: 'copy', rc, copyFlags: flags, ...(flags & GNTCOPY.source_gref ? { ref: v.getUint32(0, true), granter: v.getUint16(4, true) } : {}), status: v.getInt16(20, true) });
    } else {
      out.push({ dom: dom.name, at, op: 'other', rc });
      break;
    }
  }
  return out;
}

export function setupShare(ctx: SetupContext): RunHooks {
  const plan = sharePlan(ctx.seed);
  const hv = ctx.host.hv;
  const xs = ctx.host.dom0.xs;
  const sched = hv.scheduler instanceof SteppingScheduler ? hv.scheduler : undefined;
  const entries: EntryState[] = [];
  const ops: GrantOp[] = [];
  const last = new Map<number, string>();
  let earlyEnd: ShareObservation['earlyEnd'];
  let A: Domain | undefined, B: Domain | undefined;
  const handles = new Set<number>();
  const pfnGranted: Record<string, number> = {};
  const spun: ShareObservation['spun'] = [];
  const published: ShareObservation['published'] = [];
  let held: ShareObservation['held'];
  /** Lets the held granter go on (the mapper acted, stopped, or HOLD_MAX passed). */
  const release = (why: string) => {
    if (!A || !held || held.until !== undefined) return;
    held.until = hv.clock.instructions;
    held.why = why;
    hv.unpause(A);
  };
  const checkHold = () => {
    if (!held || held.until !== undefined || !B) return;
    if (!B.alive) release('the mapper stopped');
    else if (hv.clock.instructions - held.at >= HOLD_MAX) release(`${HOLD_MAX.toLocaleString('en-US')} instructions passed`);
  };
  const secret = new TextEncoder().encode(plan.secrets.granter);
  /** Whether machine frame `mfn` holds the granter's secret somewhere in its first 256 bytes. */
  const holdsSecret = (mfn: number): boolean => {
    if (!hv.frames.valid(mfn)) return false;
    const page = hv.mem.u8.subarray(mfn << 12, (mfn << 12) + 256);
    return page.some((_, i) => secret.every((b, k) => page[i + k] === b));
  };

  // Every entry up to the granter's range (0 and 1 are the toolstack's console and XenStore grants), so that a
  // kernel that takes refs from elsewhere is still seen.
  const refs = Array.from({ length: plan.firstRef + WATCHED_REFS - 1 }, (_, i) => i + 2);
  const watchedRefs = () => refs;
  const probe = () => {
    if (!A || !B) return;
    const at = hv.clock.instructions;
    for (const ref of watchedRefs()) {
      const e = readEntry(hv, A.domid, ref);
      if (!e) continue;
      const key = `${e.flags}/${e.domid}/${e.frame}`;
      if (last.get(ref) !== key) {
        last.set(ref, key);
        entries.push({ ref, at, ...e });
        if ((e.flags & GTF.type_mask) === GTF.permit_access && !(String(e.frame) in pfnGranted)) {
          const mfn = A.p2m[e.frame];
          if (mfn !== undefined && !holdsSecret(e.frame) && holdsSecret(mfn)) pfnGranted[String(e.frame)] = mfn;
        }
      }
    }
    if (earlyEnd) return;
    for (const h of handles) {
      const m = hv.grants.mapping(B.domid, h);
      if (!m || m.granter !== A.domid) continue;
      const e = readEntry(hv, A.domid, m.ref);
      if (!e) continue;
      if ((e.flags & GTF.type_mask) !== GTF.permit_access || e.domid !== B.domid || e.frame !== m.frame) {
        earlyEnd = { ref: m.ref, at, mappedFrame: m.frame, writable: m.writable, ...e };
      }
    }
  };

  return {
    started(doms) {
      A = doms.find((d) => d.name === GRANTER);
      B = doms.find((d) => d.name === MAPPER);
      if (!A || !B) return;
      for (const [me, peer, secret] of [[A, B, plan.secrets.granter], [B, A, plan.secrets.mapper]] as const) {
        const home = `/local/domain/${me.domid}`;
        xs.mkdir(`${home}/share`);
        xs.setPerms(`${home}/share`, [`n${me.domid}`, `r${peer.domid}`]);
        xs.write(`${home}/share/peer`, String(peer.domid));
        xs.setPerms(`${home}/share/peer`, [`n${me.domid}`, `r${peer.domid}`]);
        xs.write(`${home}/data/secret`, secret);
        xs.setPerms(`${home}/data/secret`, [`n${me.domid}`]);
      }
      xs.write(`/local/domain/${A.domid}/share/first-ref`, String(plan.firstRef));
      xs.setPerms(`/local/domain/${A.domid}/share/first-ref`, [`n${A.domid}`, `r${B.domid}`]);
      for (const d of [A, B]) {
        d.onHypercall((r) => {
          if (r.nr !== HYPERVISOR.grant_table_op) return;
          for (const o of decodeOp(d, r.args, r.instructions, r.result)) {
            ops.push(o);
            if (d === B && o.op === 'map' && o.status === 0 && o.handle !== undefined) handles.add(o.handle);
          }
          if (d === B) release('the mapper made a grant operation');
          probe();
        });
      }
      if (sched) sched.after = () => { probe(); checkHold(); };
      // When share/domid and share/ref appear; on a holding seed, the granter is paused right as share/ref lands.
      for (const node of ['domid', 'ref'] as const) {
        const at = `/local/domain/${A.domid}/share/${node}`;
        xs.watch(at, `grader-${node}`, () => {
          if (!A || published.some((p) => p.node === node) || xs.read(at) === undefined) return;
          published.push({ node, at: hv.clock.instructions });
          if (node === 'ref' && plan.holdAfterRef && !held && A.alive) {
            held = { at: hv.clock.instructions };
            hv.pause(A);
          }
        });
      }
      // Every write to a watched entry, by the guest or by Xen, is seen before it lands, as Xen on another CPU
      // could look at the entry at any moment.
      for (const ref of watchedRefs()) {
        const pa = hv.grants.entry(A.domid, ref)?.pa;
        if (pa !== undefined) hv.mem.watchWrites(pa, grant_entry_v1.size, probe);
      }
      probe();
    },
    every: 100_000,
    tick(now) {
      checkHold();
      for (const d of [A, B]) {
        if (d && d.alive && d.instructionsRun > CPU_BUDGET && !spun.some((x) => x.dom === d.name)) {
          spun.push({ dom: d.name, at: now, eip: d.ctx.eip });
          hv.pause(d);
        }
      }
    },
    observe(): Record<string, unknown> {
      if (!A || !B) return {};
      probe();
      const stillMapped: ShareObservation['stillMapped'] = [];
      for (const h of handles) {
        const m = hv.grants.mapping(B.domid, h);
        if (m) stillMapped.push({ ref: m.ref, granter: m.granter, writable: m.writable });
      }
      const stillGranted: ShareObservation['stillGranted'] = [];
      for (const ref of watchedRefs()) {
        const e = readEntry(hv, A.domid, ref);
        if (e && (e.flags & GTF.type_mask) !== 0) stillGranted.push({ ref, ...e });
      }
      const frameOwners: Record<string, number> = {};
      for (const e of entries) if (hv.frames.valid(e.frame)) frameOwners[String(e.frame)] = hv.frames.owner[e.frame]!;
      const o: ShareObservation = { plan, granter: A.domid, mapper: B.domid, entries, ops, ...(earlyEnd ? { earlyEnd } : {}), published, ...(held ? { held } : {}), stillMapped, stillGranted, frameOwners, pfnGranted, spun, cpuBudget: CPU_BUDGET };
      return o as unknown as Record<string, unknown>;
    },
  };
}
