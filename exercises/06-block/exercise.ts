// Exercise 06 (block): the public definition and checks. The grader adds hidden checks from grader/checks/.
// What the checks read is what Dom0 and Xen saw (block-plan.ts): XenBus state changes of both ends in order, every
// request the block backend took off the ring with the grants behind its segments, the grants left at the end, and
// the disk image read back from the host after the run.
import { fail, lineOf, pass, type Check, type CheckContext, type Exercise } from '../../grader/api.js';
import {
  DATA_REQUESTS, OP, SESSION_BUDGET, setupBlock, stateName, type BlockObservation, type RequestObservation,
} from './block-plan.js';

export const STUDENT_FILE = 'kernel/blkfront.ts';

export function todo(ctx: CheckContext, n: number): string {
  const line = lineOf(ctx.sources[STUDENT_FILE], `TODO ${n}`);
  return line ? `${STUDENT_FILE}:${line} (TODO ${n})` : `${STUDENT_FILE}, TODO ${n}`;
}

export function observation(ctx: CheckContext): BlockObservation | undefined {
  const o = ctx.run.extra as unknown as BlockObservation | undefined;
  return o && Array.isArray(o.states) ? o : undefined;
}

const NO_RUN = fail('a run to judge', 'the run recorded no block-device observations', 'the kernel did not get as far as the block device');
const OPS = ['READ', 'WRITE', 'WRITE_BARRIER', 'FLUSH_DISKCACHE'];
const opName = (op: number) => `BLKIF_OP_${OPS[op] ?? `unknown (${op})`}`;
const isData = (r: RequestObservation) => r.operation === OP.READ || r.operation === OP.WRITE;
const sectorsOf = (r: RequestObservation) => r.segs.reduce((n, s) => n + Math.max(0, s.last - s.first + 1), 0);
const said = (r: RequestObservation) => `${opName(r.operation)} at sector ${r.sector} with ${r.nrSegments} segment${r.nrSegments === 1 ? '' : 's'} (${r.segs.map((s) => `${s.first}-${s.last}`).join(', ') || 'none'})`;

/** The line main.ts printed when it gave up early (a transfer failed three times, no job, no device), if it did. */
function gaveUp(ctx: CheckContext): string | undefined {
  return ctx.lines.find((l) => /^main: .*\(try 3 of 3\)$|^main: blkfront_init failed|^main: sector 0 holds no job/.test(l));
}

/** The verdict for a check whose subject main.ts never reached because it gave up, or undefined. */
function stoppedBefore(ctx: CheckContext, expected: string, what: string): ReturnType<Check['run']> | undefined {
  const line = gaveUp(ctx);
  return line ? fail(expected, `main.ts gave up before ${what}: it printed ${JSON.stringify(line)}`, 'the checks that failed before this one say why') : undefined;
}

/** The first segment whose grant named one of the domain's pfns instead of a machine frame, with its request. */
function pfnSegment(o: BlockObservation): { r: RequestObservation; frame: number; mfn: number } | undefined {
  for (const r of o.requests) for (const s of r.segs) if (s.pfnOf !== undefined && s.frame !== undefined) return { r, frame: s.frame, mfn: s.pfnOf };
  return undefined;
}

const hex = (n: number) => `0x${n.toString(16)}`;
const pfnVerdict = (p: { r: RequestObservation; frame: number; mfn: number }) =>
  `the grant behind a segment of the ${said(p.r)} names frame ${hex(p.frame)}, which is none of the domain's pages but one of its pseudo-physical frame numbers (pfn): that page's machine frame is ${hex(p.mfn)}, ${p.r.status !== 0 ? `so the backend could not map it (status ${p.r.status})` : 'so the backend moved the data through some other frame'}`;
const pfnHint = (ctx: CheckContext) =>
  `a grant names the page's machine frame, virt_to_mfn(page) (the pfn looked up in mfn_list): Xen and the backend know nothing of your pfns. See ${todo(ctx, 6)}`;

function frontendStates(o: BlockObservation) { return o.states.filter((s) => s.end === 'frontend'); }

export const connects: Check = {
  id: 'connects',
  title: 'finds the backend in XenStore and connects in order: waits for InitWait, publishes ring-ref and event-channel, Initialised, then Connected',
  weight: 3,
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const expected = 'the frontend\'s state to go Initialised (3) once the backend is in InitWait (2) and ring-ref and event-channel are written, then Connected (4) once the backend is Connected';
    const fes = frontendStates(o);
    const late = o.plan.backendDelay > 0 ? ` (this seed's backend is slow: it stays Initialising for the first ${o.plan.backendDelay.toLocaleString('en-US')} instructions)` : '';
    if (fes.length === 0) {
      return fail(expected, `the frontend's state node never changed from Initialising (1)${o.requests.length ? '' : ', and the backend saw no request'}`,
        `find your device under device/vbd and its backend (${todo(ctx, 1)}), then offer the ring and say Initialised (${todo(ctx, 3)}, ${todo(ctx, 4)})`);
    }
    const first = fes[0]!;
    if (first.state !== 3) {
      return fail(expected, `the frontend's first state change was to ${stateName(first.state)}, not Initialised (3)`,
        first.state === 4
          ? `a frontend says Initialised (3) when its ring-ref and event-channel are in XenStore; the backend connects and says Connected (4); only then does the frontend say Connected. Skipping Initialised works with a lenient backend and hangs with a strict one: see ${todo(ctx, 4)}`
          : `the states go Initialising (1), Initialised (3), Connected (4), Closing (5), Closed (6), in that order: see ${todo(ctx, 4)}`);
    }
    if (first.backendState !== 2) {
      return fail(expected, `the frontend said Initialised while the backend was still ${stateName(first.backendState ?? 0)}${late}`,
        `the backend is ready for your ring only once it says InitWait (2): read <backend>/state and wait for it first (${todo(ctx, 2)})`);
    }
    if (!first.ringRef || !first.eventChannel) {
      const missing = [first.ringRef ? '' : 'ring-ref', first.eventChannel ? '' : 'event-channel'].filter(Boolean).join(' and ');
      return fail(expected, `when the frontend said Initialised, its ${missing} ${missing.includes(' and ') ? 'were' : 'was'} not in XenStore yet${o.backendError ? `; the backend gave up: "${o.backendError}"` : ''}`,
        `the backend reads ring-ref and event-channel the moment it sees Initialised: write them first, then the state (${todo(ctx, 4)})`);
    }
    const beConnected = o.states.findIndex((s) => s.end === 'backend' && s.state === 4);
    if (beConnected < 0) {
      return fail(expected, `the backend never connected${o.backendError ? `: "${o.backendError}"` : ''}`, `check the ring-ref, event-channel and protocol values you write (${todo(ctx, 3)}, ${todo(ctx, 4)})`);
    }
    const second = fes[1];
    if (!second || second.state !== 4) {
      return fail(expected, second ? `after Initialised the frontend went to ${stateName(second.state)}, not Connected (4)` : 'the frontend never said Connected (4)',
        `once the backend says Connected, read the disk's size and say Connected yourself (${todo(ctx, 5)})`);
    }
    if (second.backendState !== 4) {
      return fail(expected, `the frontend said Connected while the backend was ${stateName(second.backendState ?? 0)}`, `wait for the backend's Connected before yours (${todo(ctx, 5)})`);
    }
    return pass();
  },
};

/** The first request that is malformed, with what is wrong with it. */
function badRequest(o: BlockObservation): { r: RequestObservation; why: string } | undefined {
  for (const r of o.requests.filter(isData)) {
    if (r.sector >= o.plan.sectors) return { r, why: `asked for sector ${r.sector}, beyond the disk's ${o.plan.sectors} sectors` };
    const seg = r.segs.find((s) => s.first > s.last || s.last > 7);
    if (seg) return { r, why: `has a segment with first_sect ${seg.first} and last_sect ${seg.last}` };
  }
  return undefined;
}

export const diskContents: Check = {
  id: 'disk-contents',
  title: 'leaves the disk holding exactly what main.ts wrote, and nothing else changed (read from the host after the run)',
  weight: 4,
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const { plan } = o;
    const expected = `the copy of sectors ${plan.src}-${plan.src + plan.count - 1} (inverted) at sectors ${plan.dst}-${plan.dst + plan.count - 1}, main's text in the last sector (${plan.sectors - 1}), every other sector as it was`;
    if (o.differing === 0) return pass();
    if (o.requests.filter(isData).length === 0) {
      const connected = o.states.some((x) => x.end === 'backend' && x.state === 4);
      if (connected && ctx.run.end === 'budget') {
        return fail(expected, 'the device was connected, but the backend never saw a request, and the kernel was still waiting when the run ended',
          `the backend reads the ring only when it is notified: after publishing req_prod, notify_remote_via_evtchn(dev.evtchn) when req_event asks for it (the first time it always does): see ${todo(ctx, 7)}`);
      }
      return fail(expected, `the disk image is unchanged: the backend never received a single read or write request${ctx.run.console.includes('verify: the copy reads back the same') ? ', whatever the console says' : ''}`,
        `reading and writing goes through requests on the shared ring (${todo(ctx, 6)}, ${todo(ctx, 7)}): text on the console proves nothing, the disk does`);
    }
    const bad = badRequest(o);
    const d = o.differences[0]!;
    const asPfn = pfnSegment(o);
    if (asPfn) return fail(expected, `sector ${d.sector} is wrong${o.differing > 1 ? ` (${o.differing} sectors differ in all)` : ''}; ${pfnVerdict(asPfn)}`, pfnHint(ctx));
    const more = o.differing > 1 ? ` (${o.differing} sectors differ in all)` : '';
    const where = `sector ${d.sector}${d.want === 'copy' ? ` (copy of sector ${plan.src + d.sector - plan.dst})` : d.want === 'trailer' ? ' (the last sector)' : ''}`;
    if (bad && /beyond/.test(bad.why)) {
      return fail(expected, `${where} is wrong${more}; the ${said(bad.r)} ${bad.why}`,
        `sector_number counts 512-byte sectors, not bytes, and the disk's size is the backend's "sectors" node: see ${todo(ctx, 5)} and ${todo(ctx, 6)}`);
    }
    if (bad) {
      return fail(expected, `${where} is wrong${more}; the ${said(bad.r)} ${bad.why}, and the backend refused it`,
        bad.r.segs.some((x) => x.last === 8)
          ? `last_sect is inclusive: a whole page is first_sect 0, last_sect 7, and n sectors from first_sect f end at f + n - 1: see ${todo(ctx, 6)}`
          : `a segment covers sectors first_sect..last_sect (inclusive) of one page, 0..7: see ${todo(ctx, 6)}`);
    }
    if (d.got === 'copy-of-other' && d.other !== undefined && Math.abs(d.other - d.sector) <= 8) {
      return fail(expected, `${where} holds the data meant for sector ${d.other}${more}: the data landed ${Math.abs(d.other - d.sector)} sector${Math.abs(d.other - d.sector) === 1 ? '' : 's'} off`,
        `first_sect and last_sect are both inclusive (a whole page is 0 and 7), the first segment starts at (address & 4095) / 512 when the buffer does not start a page, and sector_number is where the first of those sectors goes: see ${todo(ctx, 6)}`);
    }
    if (d.want === 'unchanged') {
      return fail(expected, `${where}, which main.ts never wrote, was overwritten${more}`,
        `a request writes exactly the sectors its segments cover, one after another from sector_number: count them with last_sect inclusive (${todo(ctx, 6)})`);
    }
    if (d.want === 'trailer') {
      return fail(expected, `the last sector (${d.sector}) does not hold main's text${more}: main.ts writes it at dev.sectors - 1, and dev.sectors was not the disk's size`,
        `read the size from the backend's "sectors" node (the book calls it "size": it is "sectors"), once the backend is Connected: see ${todo(ctx, 5)}`);
    }
    const failed = o.requests.find((r) => r.injected);
    const retried = failed && retriedLater(o, failed);
    if (failed && !retried) {
      return fail(expected, `${where} is wrong${more}; the backend answered ${DATA_REQUESTS[plan.failRequest]} with BLKIF_RSP_ERROR and it was never done again`,
        `blkfront_io must return the response's status, so that main.ts retries: see ${todo(ctx, 7)}`);
    }
    const how = d.got === 'original' ? 'still holds what it held before the run: it was never written'
      : d.got === 'zeroes' ? 'holds zeroes' : d.got === 'uninverted' ? `holds the bytes of sector ${d.other} as read, not inverted: the read did not reach main's buffer` : 'holds other bytes';
    return fail(expected, `${where} ${how}${more}`,
      `each page of the buffer is one segment with its own grant, for a read granted writable so the backend can fill it (${todo(ctx, 6)}); the response says when it is done (${todo(ctx, 7)})`);
  },
};

function retriedLater(o: BlockObservation, failed: RequestObservation): boolean {
  const i = o.requests.indexOf(failed);
  return o.requests.slice(i + 1).some((r) => r.operation === failed.operation && r.sector === failed.sector && sectorsOf(r) === sectorsOf(failed));
}

export const usesSegments: Check = {
  id: 'segments',
  title: 'sends a transfer as one request with a segment per page, each segment with its own grant of that page',
  weight: 2,
  dependsOn: ['connects'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const expected = 'every read and write as one request whose segments cover one page each (first_sect..last_sect within 0..7), each segment granting its own page to the backend';
    const data = o.requests.filter(isData);
    if (data.length === 0) return fail(expected, 'the backend saw no read or write request', `see ${todo(ctx, 6)} and ${todo(ctx, 7)}`);
    for (const r of data) {
      const big = r.segs.find((s) => s.last > 7 || s.first > s.last);
      if (big) {
        if (big.last === 8 && r.segs.every((s) => s.last <= 8)) {
          return fail(expected, `the ${said(r)} has a segment ending at last_sect 8, past the page's last sector (7); the backend refused it (status ${r.status})`,
            `last_sect is inclusive: a whole page is first_sect 0, last_sect 7, and n sectors from first_sect f end at f + n - 1: see ${todo(ctx, 6)}`);
        }
        return fail(expected, `the ${said(r)} covers sectors ${big.first}-${big.last} in one segment; the backend refused it (status ${r.status})`,
          `a segment is one page of your buffer: sectors 0-7 of it at most. A transfer that touches k pages needs k segments, each with its own grant: see ${todo(ctx, 6)}`);
      }
      const ungranted = r.segs.find((s) => !s.granted);
      if (ungranted) {
        return fail(expected, `a segment of the ${said(r)} names grant ref ${ungranted.gref}, which did not grant anything to Dom0 when the request arrived`,
          `grant each page to the backend (gnttab_grant_access(backend_id, virt_to_mfn(page), readonly)) before you publish the request: see ${todo(ctx, 6)}`);
      }
      const asPfn = pfnSegment({ ...o, requests: [r] });
      if (asPfn) return fail(expected, pfnVerdict(asPfn), pfnHint(ctx));
      const refs = new Set(r.segs.map((s) => s.gref));
      const frames = new Set(r.segs.map((s) => s.frame));
      if (refs.size < r.segs.length || frames.size < r.segs.length) {
        return fail(expected, `the ${said(r)} uses ${refs.size < r.segs.length ? 'the same grant ref' : 'grants of the same page'} for several segments`,
          `each segment is a different page of the buffer (page i is at the buffer's page + i * 4096), granted separately: see ${todo(ctx, 6)}`);
      }
      const gap = r.segs.findIndex((s, i) => (i > 0 && s.first !== 0) || (i < r.segs.length - 1 && s.last !== 7));
      if (gap >= 0) {
        return fail(expected, `segment ${gap} of the ${said(r)} leaves a hole: the backend transfers the segments back to back, so only the first may start after sector 0 and only the last end before sector 7`,
          `see ${todo(ctx, 6)}`);
      }
    }
    const copy = data.filter((r) => sectorsOf(r) === o.plan.count);
    if (!data.some((r) => r.nrSegments > 1)) {
      const early = copy.length === 0 && stoppedBefore(ctx, expected, `its first transfer of several pages`);
      if (early) return early;
      return fail(expected, `every request had a single segment: main's ${o.plan.count}-sector copy went out as ${data.length} one-segment requests${copy.length ? '' : ', none of them the whole copy'}`,
        `one request carries up to 11 segments; main.ts asks blkfront_io for one transfer over several pages, which is one request with a segment per page: see ${todo(ctx, 6)}`);
    }
    return pass();
  },
};

export const handlesErrors: Check = {
  id: 'handles-errors',
  title: 'returns the backend\'s error status (so main.ts retries) when a request is answered with BLKIF_RSP_ERROR',
  weight: 2,
  dependsOn: ['connects'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const which = DATA_REQUESTS[o.plan.failRequest]!;
    const expected = `${which}, answered once with BLKIF_RSP_ERROR (-1), to come back to main.ts as an error and be retried`;
    const failed = o.requests.find((r) => r.injected);
    if (!failed) {
      const early = stoppedBefore(ctx, expected, which);
      if (early) return early;
      return fail(expected, `the run never got to ${which} (the backend saw ${o.requests.filter(isData).length} read and write requests)`, 'the other checks say where it stopped');
    }
    if (retriedLater(o, failed)) return pass();
    const asPfn = pfnSegment(o);
    if (asPfn) return fail(expected, pfnVerdict(asPfn), pfnHint(ctx));
    return fail(expected, `the backend answered the ${said(failed)} with BLKIF_RSP_ERROR and it was never done again: blkfront_io returned 0 for it, so main.ts went on as if it had worked${failed.operation === OP.WRITE ? ', and the data never reached the disk' : ', with a buffer the backend never filled'}`,
      `take status from the response (an i16: BLKIF_RSP_OKAY 0, BLKIF_RSP_ERROR -1, BLKIF_RSP_EOPNOTSUPP -2) and return it: see ${todo(ctx, 7)}`);
  },
};

export const flushes: Check = {
  id: 'flushes',
  title: 'flushes with BLKIF_OP_FLUSH_DISKCACHE after the writes, before reading back',
  weight: 1,
  dependsOn: ['connects'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const expected = 'a BLKIF_OP_FLUSH_DISKCACHE request (no segments) after the last write, answered BLKIF_RSP_OKAY';
    const lastWrite = o.requests.map((r) => r.operation).lastIndexOf(OP.WRITE);
    const flush = o.requests.findIndex((r, i) => i > lastWrite && (r.operation === OP.FLUSH_DISKCACHE || r.operation === OP.WRITE_BARRIER));
    if (lastWrite >= 0 && flush >= 0 && o.requests[flush]!.status === 0) return pass();
    if (flush < 0) {
      const early = stoppedBefore(ctx, expected, 'the flush');
      if (early) return early;
    }
    if (flush >= 0) return fail(expected, `the flush was answered with status ${o.requests[flush]!.status}`, `a flush carries no segments and no sector: see ${todo(ctx, 9)}`);
    const other = o.requests.find((r) => !isData(r));
    return fail(expected, other ? `the backend saw ${opName(other.operation)} but no flush after the last write` : 'the backend saw no flush request',
      `send a request with operation BLKIF_OP_FLUSH_DISKCACHE (3) and nr_segments 0, and wait for its response: see ${todo(ctx, 9)}`);
  },
};

export const endsGrants: Check = {
  id: 'ends-grants',
  title: 'ends every grant once the backend is done with it: each request\'s when its response is in, the ring\'s after the device closed',
  weight: 2,
  dependsOn: ['connects'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const expected = 'no grant to the backend still live from an earlier request when a new one arrives, and none at all at the end';
    const stale = o.requests.find((r) => r.stale.length > 0);
    if (stale) {
      const i = o.requests.indexOf(stale);
      return fail(expected, `when request ${i + 1} (${said(stale)}) arrived, ${stale.stale.length} grant${stale.stale.length === 1 ? '' : 's'} of earlier requests ${stale.stale.length === 1 ? 'was' : 'were'} still live (refs ${stale.stale.slice(0, 8).join(', ')}${stale.stale.length > 8 ? ', ...' : ''})`,
        `once a request's response is in, the backend has unmapped its pages: end each segment's grant with gnttab_end_access(ref), or the backend can reach those pages for ever and the grant table fills up (${todo(ctx, 8)})`);
    }
    const left = o.grantsLeft.filter((g) => g !== o.ringRef);
    if (left.length && ctx.run.end === 'budget') {
      return fail(expected, `the run ended with the kernel still waiting, and ${left.length} grant${left.length === 1 ? '' : 's'} of a request in flight still live (refs ${left.slice(0, 8).join(', ')})`,
        'the other checks say why it was stuck');
    }
    if (left.length) {
      return fail(expected, `${left.length} grant${left.length === 1 ? '' : 's'} to Dom0 ${left.length === 1 ? 'was' : 'were'} still live at the end (refs ${left.slice(0, 8).join(', ')})`, `end every grant you make once the backend is done with it (${todo(ctx, 8)})`);
    }
    if (o.ringRef !== undefined && o.grantsLeft.includes(o.ringRef)) {
      const early = stoppedBefore(ctx, expected, 'closing the device (after which the ring\'s grant ends)');
      if (early) return early;
      return fail(expected, `the ring's grant (ref ${o.ringRef}) was still live at the end`,
        `after the backend has said Closed it no longer maps the ring: end its grant then (and not before: gnttab_end_access refuses a grant still mapped). See ${todo(ctx, 10)}`);
    }
    return pass();
  },
};

export const disconnects: Check = {
  id: 'disconnects',
  title: 'disconnects in order: Closing, then Closed once the backend is Closing',
  weight: 1,
  dependsOn: ['connects'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const expected = 'after Connected, the frontend\'s state Closing (5), then Closed (6) once the backend says Closing';
    const fes = frontendStates(o).slice(2);
    const closing = fes[0];
    if (!closing) {
      const early = stoppedBefore(ctx, expected, 'blkfront_shutdown');
      if (early) return early;
    }
    if (!closing) return fail(expected, 'the frontend never left Connected', `blkfront_shutdown says Closing, waits, says Closed: see ${todo(ctx, 10)}`);
    if (closing.state !== 5) return fail(expected, `after Connected the frontend went to ${stateName(closing.state)}`, `say Closing (5) first, so that the backend stops using the ring: see ${todo(ctx, 10)}`);
    const closed = fes[1];
    if (!closed || closed.state !== 6) return fail(expected, closed ? `after Closing the frontend went to ${stateName(closed.state)}` : 'the frontend never said Closed (6)', `see ${todo(ctx, 10)}`);
    if ((closed.backendState ?? 0) < 5) return fail(expected, `the frontend said Closed while the backend was still ${stateName(closed.backendState ?? 0)}`, `wait for the backend's Closing before you say Closed: see ${todo(ctx, 10)}`);
    return pass();
  },
};

export const exercise: Exercise = {
  id: '06',
  slug: '06-block',
  title: 'The block front end: the XenBus handshake, requests with a grant per segment, errors, flush',
  studentFiles: ['kernel/main.ts', STUDENT_FILE],
  sourceRoot: 'kernel',
  budget: SESSION_BUDGET,
  seed: 1,
  seeds: [1, 2, 3, 4], // an error on each of four requests; a slow backend on seeds 2 and 4; any other seed with --seed N
  memoryMiB: 32,
  setup: setupBlock,
  checks: [connects, diskContents, usesSegments, handlesErrors, flushes, endsGrants, disconnects],
};
