// Hidden checks for exercise 06: graded by the instructor's kit, shown to students after the due date.
// The public checks read what Dom0 and Xen saw (exercises/06-block/block-plan.ts); these two add the driver's own
// authorship and least privilege in its grants.
import { fail, lineOf, pass, type Check } from '../api.js';

/** The part of exercise 06's run observation (run.extra) these checks read. */
interface Requests { requests: { operation: number; sector: number; segs: { granted: boolean; readonly?: boolean }[] }[] }

export const ownDriver: Check = {
  id: 'own-driver',
  title: 'drives the block device with its own code, not the Mini-OS library\'s',
  weight: 1,
  hidden: true,
  dependsOn: ['disk-contents'],
  run(ctx) {
    for (const [file, text] of Object.entries(ctx.sources)) {
      const m = /(?:from|import)\s+["']minios\/blkfront["']/.exec(text);
      if (m) {
        const line = lineOf(text, m[0]);
        return fail('the block front end written in the exercise\'s own files', `${file}${line ? `:${line}` : ''} imports "minios/blkfront"`,
          'the exercise is to write this driver yourself: the library\'s version is the answer key');
      }
    }
    return pass();
  },
};

export const readOnlyWriteGrants: Check = {
  id: 'read-only-write-grants',
  title: 'grants the pages of a write read-only: the backend only needs to read them',
  weight: 1,
  hidden: true,
  dependsOn: ['segments'],
  run(ctx) {
    const o = ctx.run.extra as unknown as Requests | undefined;
    if (!o || !Array.isArray(o.requests)) return pass();
    const w = o.requests.find((r) => r.operation === 1 && r.segs.some((s) => s.granted && s.readonly === false));
    if (!w) return pass();
    return fail('every page of a WRITE request granted with GTF_readonly', `the WRITE at sector ${w.sector} granted its pages writable`,
      'for a write the backend reads your page and never writes it: gnttab_grant_access(backend, mfn, true) gives it only that, so a faulty backend cannot corrupt your memory (a read needs the page writable: the backend fills it)');
  },
};

export const hidden06: Check[] = [ownDriver, readOnlyWriteGrants];
