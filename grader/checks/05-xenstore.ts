// Hidden checks for exercise 05: graded by the instructor's kit, shown to students after the due date.
// They read the kernel's sources and the requests xenstored received, which the exercise's setup records in run.extra
// (exercises/05-xenstore/xenstore-plan.ts); this file reads that record by shape (the grader does not import the exercises).
import { fail, lineOf, pass, type Check, type CheckContext } from '../api.js';

interface RequestSeen { type: number; reqId: number; payload: string }

function requestsSeen(ctx: CheckContext): RequestSeen[] | undefined {
  const r = (ctx.run.extra as { requests?: unknown } | undefined)?.requests;
  return Array.isArray(r) ? (r as RequestSeen[]) : undefined;
}

const said = (r: RequestSeen, i: number) => `request #${i + 1} (type ${r.type}, "${r.payload.slice(0, 60)}", req_id ${r.reqId})`;

export const ownClient: Check = {
  id: 'own-client',
  title: 'talks to xenstored with its own client, not the Mini-OS library\'s',
  weight: 1,
  hidden: true,
  dependsOn: ['talks-to-xenstored'],
  run(ctx) {
    for (const [file, text] of Object.entries(ctx.sources)) {
      const m = /(?:from|import)\s+["']minios\/xenbus["']/.exec(text);
      if (m) {
        const line = lineOf(text, m[0]);
        return fail('the XenStore client written in the exercise\'s own files', `${file}${line ? `:${line}` : ''} imports "minios/xenbus"`,
          'the exercise is to write this client yourself: the library\'s version is the answer key');
      }
    }
    return pass();
  },
};

export const distinctRequestIds: Check = {
  id: 'request-ids',
  title: 'gives every request its own req_id',
  weight: 1,
  hidden: true,
  dependsOn: ['talks-to-xenstored'],
  run(ctx) {
    const requests = requestsSeen(ctx);
    if (!requests) return pass();
    const seen = new Map<number, number>();
    for (const [i, r] of requests.entries()) {
      const before = seen.get(r.reqId);
      if (before !== undefined) {
        return fail('a different req_id on each request, so that a reply can be told from any other message',
          `${said(r, i)} has the same req_id as ${said(requests[before]!, before)}`,
          r.reqId === 0
            ? 'watch events carry req_id 0 too: with req_id 0 on every request, a reply and a watch event look alike. Count req_id up for each request'
            : 'count req_id up for each request, and accept as the reply only the message that carries it');
      }
      seen.set(r.reqId, i);
    }
    return pass();
  },
};

export const hidden05: Check[] = [ownClient, distinctRequestIds];
