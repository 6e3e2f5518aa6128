// Exercise 05 (XenStore): the public definition and checks. The grader adds hidden checks from grader/checks/.
// The checks read the store after the run (run.xenstore) and what xenstored received and sent on the guest's ring
// (xenstore-plan.ts: every request, its reply, and the watch events that came in between).
import { fail, lineOf, pass, quote, type Check, type CheckContext, type Exercise, type Verdict } from '../../grader/api.js';
import { BASE, RING_SIZE, SESSION_BUDGET, setupXenStore, xenstorePlan, type RequestRecord, type XenStoreObservation } from './xenstore-plan.js';

export const STUDENT_FILE = 'kernel/xenstore.ts';

/** xs_wire.h message type names, for messages. */
const TYPE_NAMES: Record<number, string> = {
  0: 'XS_CONTROL', 1: 'XS_DIRECTORY', 2: 'XS_READ', 3: 'XS_GET_PERMS', 4: 'XS_WATCH', 5: 'XS_UNWATCH', 6: 'XS_TRANSACTION_START',
  7: 'XS_TRANSACTION_END', 8: 'XS_INTRODUCE', 9: 'XS_RELEASE', 10: 'XS_GET_DOMAIN_PATH', 11: 'XS_WRITE', 12: 'XS_MKDIR', 13: 'XS_RM',
  14: 'XS_SET_PERMS', 15: 'XS_WATCH_EVENT', 16: 'XS_ERROR', 17: 'XS_IS_DOMAIN_INTRODUCED', 18: 'XS_RESUME', 19: 'XS_SET_TARGET',
  20: 'XS_RESTRICT', 21: 'XS_RESET_WATCHES', 22: 'XS_DIRECTORY_PART',
};
export const typeName = (t: number): string => TYPE_NAMES[t] ?? `type ${t}`;

export function todo(ctx: CheckContext, n: number): string {
  const line = lineOf(ctx.sources[STUDENT_FILE], `TODO ${n}`);
  return line ? `${STUDENT_FILE}:${line} (TODO ${n})` : `${STUDENT_FILE}, TODO ${n}`;
}

export function observation(ctx: CheckContext): XenStoreObservation | undefined {
  const o = ctx.run.extra as unknown as XenStoreObservation | undefined;
  return o && Array.isArray(o.requests) ? o : undefined;
}

/** The value of data/xenlab/<name> in the store after the run. */
export function node(ctx: CheckContext, name: string): string | undefined {
  const domid = ctx.run.domains?.[0]?.domid ?? 1;
  return ctx.run.xenstore?.[`/local/domain/${domid}/${BASE}/${name}`];
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const NO_RUN = fail('a run to judge', 'the run recorded nothing of the store ring', 'the kernel did not get as far as XenStore');

/** A payload as recorded (NULs already shown as \0), in quotes, cut short. */
export const wire = (payload: string, max = 60): string => `"${payload.length > max ? `${payload.slice(0, max)}...` : payload}"`;

/** One request, said short: #3 XS_READ "data/xenlab/question\0". */
export function said(r: RequestRecord, i: number): string {
  return `request #${i + 1} (${typeName(r.type)} ${wire(r.payload)}, req_id ${r.reqId}${r.txId ? `, tx_id ${r.txId}` : ''})`;
}

/** Where this run's ring indices started, said so that a student sees why one seed differs from another. */
export function startsSaid(o: XenStoreObservation): string {
  const note = (v: number) => {
    const left = RING_SIZE - (v % RING_SIZE);
    const wraps = v > 2 ** 32 - 4 * RING_SIZE ? `, and ${2 ** 32 - v} bytes below 2^32, where the u32 counter wraps to 0` : '';
    return v === 0 ? '' : ` (${left} bytes before the end of the ring${wraps})`;
  };
  return `this run's store page started with req_cons = req_prod = ${hex(o.reqStart)}${note(o.reqStart)} and rsp_cons = rsp_prod = ${hex(o.rspStart)}${note(o.rspStart)}`;
}

/** The request reading or writing data/xenlab/<name>, if the kernel made one. */
function requestFor(o: XenStoreObservation, type: number, name: string): [RequestRecord, number] | undefined {
  const i = o.requests.findIndex((r) => r.type === type && r.payload.startsWith(`${BASE}/${name}\\0`));
  return i < 0 ? undefined : [o.requests[i]!, i];
}

/** Why a node main.ts writes is missing: its write failed, or it was never made. */
function missingWrite(ctx: CheckContext, o: XenStoreObservation, name: string, expected: string, before: string): Verdict {
  const w = requestFor(o, 11, name);
  if (w) {
    const [r, i] = w;
    return fail(expected, `${said(r, i)} was answered ${r.reply ? `${typeName(r.reply.type)} ${wire(r.reply.payload)}` : 'with nothing'}, and ${BASE}/${name} is not in the store`,
      `an XS_WRITE's payload is the path, its NUL, then the value with no NUL after it; hdr.len counts exactly those bytes: see ${todo(ctx, 5)} and ${todo(ctx, 4)}`);
  }
  return stuckAfter(ctx, o, expected, `the kernel never wrote ${BASE}/${name}`) ?? fail(expected, `the kernel never wrote ${BASE}/${name}`, before);
}

const READ_HINT = (ctx: CheckContext) =>
  `a reply that runs over the end of rsp[] goes on at rsp[0]: byte i of it is rsp[MASK_XENSTORE_IDX(cons)] with cons counted on from rsp_cons (${todo(ctx, 3)}); and a reply's payload is exactly hdr.len bytes, with no NUL of its own for XS_READ (${todo(ctx, 4)})`;

/**
 * How a session that ran out of time ended, in plain words: the budget is virtual time for the whole session, and
 * the instructions the kernel ran itself show whether it slept (waiting for something) or spun.
 */
export function ranOut(ctx: CheckContext): string {
  const { budget, instructions } = ctx.run;
  const asleep = instructions < budget / 2;
  return `the session's time ran out (its budget is ${budget.toLocaleString('en-US')} instructions of virtual time; the kernel ran ${instructions.toLocaleString('en-US')} of them itself${asleep ? ' and slept through the rest' : ''}) with the kernel still waiting${asleep ? ' for a reply or event' : ''}`;
}

/** When the run ended with the kernel still waiting although xenstored had answered its last request: a misread reply. */
function stuckAfter(ctx: CheckContext, o: XenStoreObservation, expected: string, what: string): Verdict | undefined {
  const i = o.requests.length - 1;
  const last = o.requests[i];
  if (ctx.run.end !== 'budget' || !last?.reply) return undefined;
  const off = offByOne(ctx, o, expected, `${what}: ${ranOut(ctx)}`);
  if (off) return off;
  return fail(expected,
    `${what}: ${ranOut(ctx)}, although ${said(last, i)} had been answered (${typeName(last.reply.type)} ${wire(last.reply.payload)}), so it did not read that reply right; ${startsSaid(o)}`,
    READ_HINT(ctx));
}

const wrapHint = (ctx: CheckContext) =>
  `a message that runs over the end of req[] must go on at req[0]: write every byte at req[MASK_XENSTORE_IDX(req_prod)] = req[prod & (XENSTORE_RING_SIZE - 1)], counting prod on from the req_prod on the page, not from 0 and not as one block copy from the first byte's position (${todo(ctx, 2)})`;

export const talksToXenstored: Check = {
  id: 'talks-to-xenstored',
  title: 'sends well-formed requests over the store ring, wherever its indices start',
  weight: 2,
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const expected = 'xenstored to receive whole, well-formed requests from the kernel on its ring';
    if (o.requests.length === 0) {
      if (ctx.run.console.includes('xenstore: done') && /question: \S/.test(ctx.run.console)) {
        return fail(expected, 'the kernel printed what a working client prints, but xenstored received no request at all from it',
          'the checks read the store, not the console: the values must come from xenstored, over the ring');
      }
      return fail(expected, 'xenstored received no request from the kernel',
        `find the ring page and the event channel (${todo(ctx, 1)}), copy requests into req[] and notify (${todo(ctx, 2)}), and send each one with its header (${todo(ctx, 4)})`);
    }
    const garbled = o.requests.findIndex((r) => TYPE_NAMES[r.type] === undefined || /\\x[0-9a-f]{2}/.test(r.payload) || (r.len > 0 && !r.payload.includes('\\0') && r.type !== 11));
    if (garbled >= 0) {
      const r = o.requests[garbled]!;
      return fail(expected, `${said(r, garbled)} is not a request the kernel meant to make; ${startsSaid(o)}`, wrapHint(ctx));
    }
    if (o.broken) {
      return fail(expected, `xenstored found the ring broken and closed the connection: ${o.broken}; ${startsSaid(o)}`, wrapHint(ctx));
    }
    return pass();
  },
};

const WATCH_HINT = (ctx: CheckContext) =>
  `while a request waits for its reply, xenstored may send watch events (type XS_WATCH_EVENT, req_id 0): keep those for xs_poll_watches and go on reading until the message with your request's req_id comes (${todo(ctx, 4)})`;

/** The first XS_WRITE whose value is a watch event's path: from there on the kernel took each message for the reply before it. */
function tookEventForReply(o: XenStoreObservation): number | undefined {
  const i = o.requests.findIndex((r) => r.type === 11 && r.payload.split('\\0').slice(1).join('').includes('doorbell'));
  return i < 0 ? undefined : i;
}

/** The off-by-one failure, when the kernel took a watch event for a reply: every later value is the one before it. */
function offByOne(ctx: CheckContext, o: XenStoreObservation, expected: string, what: string): Verdict | undefined {
  const i = tookEventForReply(o);
  if (i === undefined) return undefined;
  return fail(expected, `${what}; earlier, ${said(o.requests[i]!, i)} wrote a watch event's path as a value: the kernel took the event for a reply, and from there on read each reply one request late`,
    WATCH_HINT(ctx));
}

/** What went wrong with a value main.ts copied from a reply into the store. */
function judgeCopy(ctx: CheckContext, o: XenStoreObservation, name: string, got: string, want: string, expected: string): Verdict {
  if (got === `${want}\0`) {
    return fail(expected, `${BASE}/${name} holds ${quote(got)}: the value has a NUL byte at its end`,
      `an XS_WRITE's value is not NUL-terminated: its length is hdr.len minus the path and the path's NUL. Send the value without its NUL (${todo(ctx, 5)})`);
  }
  if (/doorbell|bell/.test(got)) {
    return fail(expected, `${BASE}/${name} holds ${quote(got)}: the payload of a watch event (the watched path and its token), not the reply`, WATCH_HINT(ctx));
  }
  const off = offByOne(ctx, o, expected, `${BASE}/${name} holds ${quote(got)}`);
  if (off) return off;
  return fail(expected, `${BASE}/${name} holds ${quote(got)}; ${startsSaid(o)}`, READ_HINT(ctx));
}

export const readsAndWrites: Check = {
  id: 'read-write',
  title: `reads ${BASE}/question and writes its value to ${BASE}/answer`,
  weight: 2,
  dependsOn: ['talks-to-xenstored'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const plan = xenstorePlan(ctx.seed);
    const expected = `${BASE}/answer to hold ${quote(plan.question)}, the value of ${BASE}/question`;
    const got = node(ctx, 'answer');
    if (got === plan.question) return pass();
    if (got === undefined) {
      return missingWrite(ctx, o, 'answer', expected,
        `main.ts writes the answer when xs_read(0, "${BASE}/question", ...) returns a length (not a negative error): see ${todo(ctx, 4)}`);
    }
    return judgeCopy(ctx, o, 'answer', got, plan.question, expected);
  },
};

export const listsDirectory: Check = {
  id: 'directory',
  title: `lists ${BASE}/items with XS_DIRECTORY`,
  weight: 1,
  dependsOn: ['talks-to-xenstored'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const plan = xenstorePlan(ctx.seed);
    const list = plan.items.join(',');
    const expected = `${BASE}/item-count = ${quote(String(plan.items.length))} and ${BASE}/item-list = ${quote(list)}`;
    const count = node(ctx, 'item-count');
    const got = node(ctx, 'item-list');
    if (count === String(plan.items.length) && got === list) return pass();
    if (got === undefined || count === undefined) {
      return missingWrite(ctx, o, got === undefined ? 'item-list' : 'item-count', expected,
        `main.ts writes these when xs_directory returns a count: an XS_DIRECTORY reply is the names, each followed by its NUL (${todo(ctx, 4)})`);
    }
    if (got !== list) return judgeCopy(ctx, o, 'item-list', got, list, expected);
    return fail(expected, `${BASE}/item-count holds ${quote(count)}`, 'the reply holds one NUL-terminated name per child: count the NULs in hdr.len bytes');
  },
};

export const errorReplies: Check = {
  id: 'error-replies',
  title: 'returns XS_ERROR replies as errors: ENOENT for a missing node, EACCES for one it may not read',
  weight: 2,
  dependsOn: ['talks-to-xenstored'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const expected = `${BASE}/missing-result = "ENOENT" and ${BASE}/secret-result = "EACCES" (main.ts writes the error xs_read returned)`;
    for (const [name, want] of [['missing-result', 'ENOENT'], ['secret-result', 'EACCES']] as const) {
      const got = node(ctx, name);
      if (got === want) continue;
      if (got === undefined) return missingWrite(ctx, o, name, expected, `see ${todo(ctx, 4)}`);
      if (got === `value ${want}`) {
        return fail(expected, `${BASE}/${name} holds ${quote(got)}: xs_read returned xenstored's error reply as if it were the node's value`,
          `an error comes back as a message of type XS_ERROR whose payload is the errno's name ("${want}\\0"): check hdr.type, and return -errno (errno_of) instead of a length (${todo(ctx, 4)})`);
      }
      if (got.startsWith('error -')) {
        return fail(expected, `${BASE}/${name} holds ${quote(got)}: xs_read returned the wrong error number`,
          `the XS_ERROR payload names the error ("${want}"): map it with errno_of (${todo(ctx, 4)})`);
      }
      return judgeCopy(ctx, o, name, got, want, expected);
    }
    return pass();
  },
};

export const transactionRetry: Check = {
  id: 'transaction-retry',
  title: `adds one to ${BASE}/counter in a transaction, redone from its start when the commit says EAGAIN`,
  weight: 2,
  dependsOn: ['talks-to-xenstored'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const plan = xenstorePlan(ctx.seed);
    const changed = plan.counter + plan.bump;
    const want = String(changed + 1);
    const expected = `${BASE}/counter = ${quote(want)}: Dom0 changed it from ${plan.counter} to ${changed} while the first transaction was open, so only a transaction redone from its start adds the one`;
    const got = node(ctx, 'counter');
    if (got === want) return pass();
    if (o.conflictDuring === undefined) {
      const stuck = stuckAfter(ctx, o, expected, 'the kernel never committed a transaction');
      if (stuck) return stuck;
      const starts = o.requests.filter((r) => r.type === 6).length;
      return fail(expected, starts ? `the kernel started ${starts} transaction(s) but never committed one (XS_TRANSACTION_END "T")` : 'the kernel never started a transaction (XS_TRANSACTION_START)',
        `xs_increment: start a transaction, read and write the counter with its tx_id, then commit with XS_TRANSACTION_END "T" (${todo(ctx, 7)})`);
    }
    const first = o.requests[o.conflictDuring]!;
    const later = o.requests.slice(o.conflictDuring + 1);
    const commits = later.filter((r) => r.type === 7 && r.payload.startsWith('T'));
    const firstReply = first.reply ? `${typeName(first.reply.type)} ${wire(first.reply.payload)}` : 'nothing';
    if (got === String(changed) && commits.length === 0) {
      return fail(expected, `${BASE}/counter holds ${quote(got)}: the first commit, ${said(first, o.conflictDuring)}, was answered ${firstReply}, and the kernel never tried again, so its increment was lost`,
        `EAGAIN on commit means another change got in first and nothing of the transaction happened: start a new transaction and do all of it again, reading the value anew (${todo(ctx, 7)})`);
    }
    if (got === String(plan.counter + 1)) {
      return fail(expected, `${BASE}/counter holds ${quote(got)}: the kernel wrote the value it had read before Dom0's change`,
        `after EAGAIN, read the counter again inside the new transaction: a value from the failed one is stale (${todo(ctx, 7)})`);
    }
    return fail(expected, `${BASE}/counter holds ${quote(got ?? '(nothing)')} after ${commits.length + 1} commit(s); the first was answered ${firstReply}`,
      `read, add one and write inside one transaction (every request with its tx_id), commit, and on EAGAIN do it all again (${todo(ctx, 7)})`);
  },
};

export const hearsWatch: Check = {
  id: 'watch-event',
  title: 'delivers a watch event that arrives between a request and its reply to the watch\'s callback',
  weight: 2,
  dependsOn: ['talks-to-xenstored'],
  run(ctx) {
    const o = observation(ctx);
    if (!o) return NO_RUN;
    const plan = xenstorePlan(ctx.seed);
    const expected = `${BASE}/doorbell-heard = ${quote(plan.doorbell)}: main.ts records the doorbell after its watch callback ran for the doorbell's event`;
    const got = node(ctx, 'doorbell-heard');
    if (got === plan.doorbell) return pass();
    if (o.doorbellDuring === undefined) {
      const w = o.requests.findIndex((r) => r.type === 4);
      return fail(expected, w < 0 ? 'the kernel never registered a watch (XS_WATCH)' : `${said(o.requests[w]!, w)} was answered ${o.requests[w]!.reply ? wire(o.requests[w]!.reply!.payload) : 'with nothing'}, so no watch was set`,
        `an XS_WATCH's payload is the path and the token, each with its NUL (${todo(ctx, 4)})`);
    }
    const during = o.requests[o.doorbellDuring]!;
    if (got === undefined) {
      const where = `Dom0 rang the doorbell while ${said(during, o.doorbellDuring)} waited for its reply, so the event came into rsp[] just before that reply`;
      const counted = node(ctx, 'counter') === String(plan.counter + plan.bump + 1);
      if (!counted) {
        const stuck = stuckAfter(ctx, o, expected, 'the kernel never got as far as waiting for the doorbell');
        if (stuck) return stuck;
      }
      if (ctx.run.end === 'budget') {
        return fail(expected, `${where}; the kernel never ran the doorbell callback for it: ${ranOut(ctx)}`,
          `a watch event read while waiting for a reply is not lost: queue it (xs_talk, ${todo(ctx, 4)}) and deliver the queue to the callbacks in xs_poll_watches (${todo(ctx, 6)})`);
      }
      return missingWrite(ctx, o, 'doorbell-heard', expected, `${where}. See ${todo(ctx, 6)}`);
    }
    return judgeCopy(ctx, o, 'doorbell-heard', got, plan.doorbell, expected);
  },
};

export const exercise: Exercise = {
  id: '05',
  slug: '05-xenstore',
  title: 'A XenStore client: requests and replies over the ring, errors, watches and transactions',
  studentFiles: ['kernel/main.ts', STUDENT_FILE],
  sourceRoot: 'kernel',
  budget: SESSION_BUDGET,
  seed: 1,
  seeds: [1, 2, 3, 4], // rings from 0; req[] wrapping in the first header; rsp[] likewise; unaligned; any other with --seed N
  memoryMiB: 32,
  setup: setupXenStore,
  checks: [talksToXenstored, readsAndWrites, listsDirectory, errorReplies, transactionRetry, hearsWatch],
};
