// Exercise 06's run setup: the disk a seed gives the guest, the Dom0 side of the session, and what is recorded.
// - The disk: its size (so the last sector moves), its bytes (seeded noise), and in sector 0 the job main.ts runs:
//   copy `count` sectors from `src` to `dst` with buffers that start a few sectors into a page.
// - A slow backend (some seeds): the block backend driver probes the device late, so the backend's state stays
//   Initialising for a while; a frontend must wait for InitWait before it offers its ring.
// - One request answered with BLKIF_RSP_ERROR (every seed, a different one): a driver must return the status, and
//   main.ts then retries.
// - Recorded: every XenBus state change of both ends in order, with what the frontend had published at that moment;
//   every request the backend saw (segments, the grants behind them, the status), the grants still live at each
//   request, the grants left at the end, and how the disk image differs from what the job should leave there.
import fs from 'node:fs';
import path from 'node:path';
import type { RunHooks, SetupContext } from '../../grader/api.js';
import type { Domain } from '../../hypervisor/index.js';
import type { BlkRequestView, VbdBackend, XsClient } from '../../hypervisor/dom0/index.js';

export const SESSION_BUDGET = 60_000_000;
export const VDEV = 51712; // xvda
export const JOB_MAGIC = 'XENLAB06';
export const TRAILER = 'xenlab 06: the last sector of the disk\n';
export const OP = { READ: 0, WRITE: 1, WRITE_BARRIER: 2, FLUSH_DISKCACHE: 3 } as const;
export const STATE_NAMES = ['Unknown', 'Initialising', 'InitWait', 'Initialised', 'Connected', 'Closing', 'Closed', 'Reconfiguring', 'Reconfigured'];
export const stateName = (s: number) => `${STATE_NAMES[s] ?? 'not a state'} (${s})`;
const GTF_permit_access = 1;
const GTF_readonly = 4;
/** Grant refs below this are the toolstack's (console and XenStore rings). */
const RESERVED_GRANTS = 8;

export interface BlockPlan {
  seed: number;
  sectors: number;
  src: number;
  count: number;
  dst: number;
  readOffset: number;
  writeOffset: number;
  /** The data request (0-based, READ and WRITE requests only) the backend answers with BLKIF_RSP_ERROR, once. */
  failRequest: number;
  /** Instructions after the start during which the backend still says Initialising (0: ready at once). */
  backendDelay: number;
}

/** A small deterministic generator (mulberry32). */
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

/** main.ts's data requests, in order: 0 reads the job, 1 the source, 2 writes the copy, 3 the last sector, 4 reads the copy back. */
export const DATA_REQUESTS = ['the read of the job in sector 0', 'the read of the source sectors', 'the write of the copy', 'the write of the last sector', 'the read-back of the copy'];

export function blockPlan(seed: number): BlockPlan {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const kind = ((seed - 1) % 4 + 4) % 4;
  const sectors = int(600, 2000);
  const count = int(17, 40);
  const src = int(1, Math.floor(sectors / 2) - count);
  const dst = int(Math.floor(sectors / 2), sectors - 1 - count - 1);
  // Seeds 1-4 fail the source read, the copy's write, the job read and the read-back; others anywhere.
  const failRequest = [1, 2, 0, 4][kind]!;
  const backendDelay = kind === 1 || kind === 3 ? int(2_000_000, 6_000_000) : 0;
  return { seed, sectors, src, count, dst, readOffset: int(1, 7), writeOffset: int(0, 7), failRequest, backendDelay };
}

/** The disk as the grader writes it before the run. */
export function initialImage(plan: BlockPlan): Uint8Array {
  const img = new Uint8Array(plan.sectors * 512);
  const r = rng(plan.seed * 7919 + 13);
  for (let i = 0; i < img.length; i += 4) {
    const v = Math.floor(r() * 2 ** 32);
    img[i] = v & 255; img[i + 1] = (v >>> 8) & 255; img[i + 2] = (v >>> 16) & 255; img[i + 3] = v >>> 24;
  }
  const job = new DataView(img.buffer, 0, 512);
  for (let i = 0; i < 8; i++) img[i] = JOB_MAGIC.charCodeAt(i);
  [plan.src, plan.count, plan.dst, plan.readOffset, plan.writeOffset].forEach((v, i) => job.setUint32(8 + 4 * i, v, true));
  return img;
}

/** The disk as a correct run leaves it: the copy (inverted) at dst, the trailer in the last sector. */
export function expectedImage(plan: BlockPlan): Uint8Array {
  const img = initialImage(plan);
  for (let i = 0; i < plan.count * 512; i++) img[plan.dst * 512 + i] = ~img[plan.src * 512 + i]! & 255;
  const last = (plan.sectors - 1) * 512;
  img.fill(0, last, last + 512);
  for (let i = 0; i < TRAILER.length; i++) img[last + i] = TRAILER.charCodeAt(i);
  return img;
}

// ------------------------------------------------------------------------------------------------ observations
export interface StateChange {
  end: 'frontend' | 'backend';
  state: number;
  /** Virtual time (instructions since the start). */
  at: number;
  /** For the frontend: the other end's state at that moment, and whether ring-ref and event-channel were there. */
  backendState?: number;
  ringRef?: boolean;
  eventChannel?: boolean;
}

export interface SegmentObservation {
  gref: number; first: number; last: number; frame?: number; readonly?: boolean; granted: boolean;
  /** Set when the granted frame is none of the domain's pages but is one of its pfns: that pfn's machine frame. */
  pfnOf?: number;
}

export interface RequestObservation {
  operation: number;
  nrSegments: number;
  sector: number;
  segs: SegmentObservation[];
  status: number;
  /** Set on the request the grader's backend answered with BLKIF_RSP_ERROR on purpose. */
  injected?: boolean;
  /** Grants to Dom0 still live when the request arrived, that are neither the ring's nor this request's. */
  stale: number[];
  at: number;
}

export interface SectorDifference {
  sector: number;
  /** What the sector should hold: 'unchanged' bytes, 'copy' of src + k, or the 'trailer'. */
  want: 'unchanged' | 'copy' | 'trailer';
  /** What it holds: the original bytes, the copy meant for another sector, zeroes, something else. */
  got: 'original' | 'copy-of-other' | 'uninverted' | 'zeroes' | 'other';
  /** For copy-of-other: the sector whose copy it holds. */
  other?: number;
}

export interface BlockObservation {
  plan: BlockPlan;
  states: StateChange[];
  requests: RequestObservation[];
  /** Grants to Dom0 left at the end (refs at or above 8), and the ring's ref as the frontend published it. */
  grantsLeft: number[];
  ringRef?: number;
  /** What the backend wrote under /local/domain/0/error/..., if it gave up. */
  backendError?: string;
  /** Sectors that differ from what a correct run leaves, the first 16, and how many in all. */
  differences: SectorDifference[];
  differing: number;
  /** The device's backend existed (the domain had the disk). */
  attached: boolean;
}

function describeSector(plan: BlockPlan, initial: Uint8Array, want: Uint8Array, got: Uint8Array, s: number): SectorDifference {
  const at = (img: Uint8Array, k: number) => img.subarray(k * 512, k * 512 + 512);
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
  const g = at(got, s);
  const kind: SectorDifference['want'] = s === plan.sectors - 1 ? 'trailer' : s >= plan.dst && s < plan.dst + plan.count ? 'copy' : 'unchanged';
  if (same(g, at(initial, s))) return { sector: s, want: kind, got: 'original' };
  if (g.every((b) => b === 0)) return { sector: s, want: kind, got: 'zeroes' };
  for (let k = plan.dst; k < plan.dst + plan.count; k++) if (k !== s && same(g, at(want, k))) return { sector: s, want: kind, got: 'copy-of-other', other: k };
  for (let k = plan.src; k < plan.src + plan.count; k++) if (same(g, at(initial, k))) return { sector: s, want: kind, got: 'uninverted', other: k };
  return { sector: s, want: kind, got: 'other' };
}

/** Reads node `p` of the live store without a request (so recording never disturbs the run). */
function nodeText(client: { store: { tree: { get(p: string): { value: Uint8Array } | undefined } } }, p: string): string | undefined {
  const n = client.store.tree.get(p);
  return n ? Buffer.from(n.value).toString('latin1') : undefined;
}

export function setupBlock(ctx: SetupContext): RunHooks {
  const { host } = ctx;
  const plan = blockPlan(ctx.seed);
  const image = path.join(ctx.tmpdir, 'disk.img');
  const initial = initialImage(plan);
  fs.writeFileSync(image, initial);
  ctx.addDisk('submission', { target: image, vdev: 'xvda', mode: 'w' });
  const store = host.dom0.store;
  const read = (p: string) => nodeText({ store }, p);
  let dom: Domain | undefined;
  let t0 = 0;
  let dataRequests = 0;
  let fe = '';
  let be = '';
  let lastFe: string | undefined;
  let lastBe: string | undefined;
  const states: StateChange[] = [];
  const requests: RequestObservation[] = [];
  const now = () => host.hv.clock.instructions - t0;

  /** Records the state changes of both ends since the last look, the frontend's first (it is the one that acts). */
  const sync = () => {
    if (!fe) return;
    const f = read(`${fe}/state`);
    if (f !== lastFe) {
      lastFe = f;
      states.push({ end: 'frontend', state: Number(f), at: now(), backendState: Number(lastBe), ringRef: read(`${fe}/ring-ref`) !== undefined, eventChannel: read(`${fe}/event-channel`) !== undefined });
    }
    const b = read(`${be}/state`);
    if (b !== lastBe) { lastBe = b; states.push({ end: 'backend', state: Number(b), at: now() }); }
  };

  const liveGrants = (): number[] => {
    const out: number[] = [];
    const frames = host.hv.grants.frames(dom!.domid).length * 512;
    for (let ref = RESERVED_GRANTS; ref < frames; ref++) {
      const e = host.hv.grants.entry(dom!.domid, ref);
      if (e && (e.flags & 3) === GTF_permit_access && e.domid === 0) out.push(ref);
    }
    return out;
  };

  const device = (): VbdBackend | undefined => host.dom0.blkback.devices.get(be);

  return {
    started(doms) {
      dom = doms[0]!;
      t0 = host.hv.clock.instructions;
      fe = `/local/domain/${dom.domid}/device/vbd/${VDEV}`;
      be = `/local/domain/0/backend/vbd/${dom.domid}/${VDEV}`;
      lastFe = read(`${fe}/state`); // the toolstack's Initialising: changes are recorded from here on
      // Every request to xenstored passes here; the state changes it causes are recorded in the order they happen.
      const handle = store.handle.bind(store);
      store.handle = (client: XsClient, msg) => { sync(); handle(client, msg); sync(); };
      if (plan.backendDelay > 0) {
        // The backend driver has not probed the device yet: its state still reads Initialising.
        const frozen = read(`${be}/state`);
        host.dom0.xs.write(`${be}/state`, '1');
        host.hv.timers.add({ deadline: t0 + plan.backendDelay, domid: dom.domid, fire: () => {
          if (read(`${be}/state`) === '1') host.dom0.xs.write(`${be}/state`, frozen ?? '2');
          sync();
        } });
      }
      sync();
      const dev = device();
      if (dev) {
        dev.hooks = {
          request: (req: BlkRequestView) => {
            const live = liveGrants();
            const ringRef = Number(read(`${fe}/ring-ref`));
            const segs = req.segs.map((s): SegmentObservation => {
              const e = host.hv.grants.entry(dom!.domid, s.gref);
              const granted = !!e && (e.flags & 3) === GTF_permit_access && e.domid === 0;
              if (!granted) return { gref: s.gref, first: s.first, last: s.last, granted };
              const frame = e!.frame;
              const own = host.hv.frames.valid(frame) && host.hv.frames.owner[frame] === dom!.domid && dom!.p2m[host.hv.frames.m2p(frame)] === frame;
              const pfnOf = !own && frame < dom!.p2m.length ? dom!.p2m[frame] : undefined;
              return { gref: s.gref, first: s.first, last: s.last, granted, frame, readonly: (e!.flags & GTF_readonly) !== 0, ...(pfnOf !== undefined ? { pfnOf } : {}) };
            });
            const mine = new Set([ringRef, ...req.segs.map((s) => s.gref)]);
            const o: RequestObservation = { operation: req.operation, nrSegments: req.nrSegments, sector: Number(req.sector), segs, status: 0, stale: live.filter((g) => !mine.has(g)), at: now() };
            requests.push(o);
            if (req.operation === OP.READ || req.operation === OP.WRITE) {
              if (dataRequests++ === plan.failRequest) { o.injected = true; return -1; }
            }
            return undefined;
          },
          response: (_req, status) => { requests[requests.length - 1]!.status = status; },
        };
      }
    },
    observe() {
      if (!dom) return {};
      sync();
      let got: Uint8Array;
      try { got = new Uint8Array(fs.readFileSync(image)); } catch { got = new Uint8Array(0); }
      const want = expectedImage(plan);
      const differences: SectorDifference[] = [];
      let differing = 0;
      for (let s = 0; s < plan.sectors; s++) {
        const a = want.subarray(s * 512, s * 512 + 512);
        const b = got.subarray(s * 512, s * 512 + 512);
        if (Buffer.compare(a, b) === 0) continue;
        differing++;
        if (differences.length < 16) differences.push(describeSector(plan, initial, want, got, s));
      }
      const ringRef = read(`${fe}/ring-ref`);
      const err = host.dom0.xs.read(`/local/domain/0/error/backend/vbd/${dom.domid}/${VDEV}/error`);
      const o: BlockObservation = {
        plan, states, requests, grantsLeft: liveGrants(),
        ...(ringRef !== undefined && /^\d+$/.test(ringRef) ? { ringRef: Number(ringRef) } : {}),
        ...(err !== undefined ? { backendError: err } : {}),
        differences, differing, attached: device() !== undefined,
      };
      return o as unknown as Record<string, unknown>;
    },
  };
}
