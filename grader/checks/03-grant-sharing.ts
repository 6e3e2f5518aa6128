// Hidden checks for exercise 03: graded by the instructor's kit, shown to students after the due date.
// The grant-entry history comes from the exercise's run setup (exercises/03-grant-sharing/share-plan.ts), stored in
// run.extra; this file reads it by shape (the grader does not import the exercises).
import { fail, lineOf, pass, type Check, type CheckContext } from '../api.js';

const GRANT_FILE = 'kernel/grant.ts';
const GTF_permit_access = 1, GTF_type_mask = 3;

interface EntryShape { ref: number; at: number; flags: number; domid: number; frame: number }

function todo1(ctx: CheckContext): string {
  const line = lineOf(ctx.sources[GRANT_FILE], 'TODO 1');
  return line ? `${GRANT_FILE}:${line} (TODO 1)` : `${GRANT_FILE}, TODO 1`;
}

function entries(ctx: CheckContext): EntryShape[] | undefined {
  const e = (ctx.run.extra as { entries?: unknown } | undefined)?.entries;
  return Array.isArray(e) ? (e as EntryShape[]) : undefined;
}

const permits = (e: EntryShape) => (e.flags & GTF_type_mask) === GTF_permit_access;

export const entryOrder: Check = {
  id: 'entry-order',
  title: 'writes a grant entry\'s frame and domid before its flags (wmb() between)',
  weight: 2,
  hidden: true,
  dependsOn: ['mapper-reads-granter'],
  run(ctx) {
    const list = entries(ctx);
    if (!list) return fail('the history of the granter\'s grant entries', 'the run recorded none', 'did both domains boot?');
    // Every state the entry passed through, in order, as Xen on another CPU could have seen it: once flags permit
    // access, frame and domid must not change until the grant ends (flags cleared).
    const byRef = new Map<number, EntryShape[]>();
    for (const e of list) (byRef.get(e.ref) ?? byRef.set(e.ref, []).get(e.ref)!).push(e);
    for (const [ref, states] of byRef) {
      for (let i = 1; i < states.length; i++) {
        const a = states[i - 1]!, b = states[i]!;
        if (permits(a) && permits(b) && (a.domid !== b.domid || a.frame !== b.frame)) {
          const what = a.frame !== b.frame ? `frame 0x${a.frame.toString(16)} (then 0x${b.frame.toString(16)})` : `domid ${a.domid} (then ${b.domid})`;
          return fail('flags = GTF_permit_access written last, after frame and domid and a wmb()',
            `entry ${ref} already said GTF_permit_access while it still held ${what}: from then until the ${a.frame !== b.frame ? 'frame' : 'domid'} was written, Xen would have let ${a.domid === 0 ? 'Dom0' : `domain ${a.domid}`} map ${a.frame === 0 ? 'frame 0' : `frame 0x${a.frame.toString(16)}`}${a.frame !== 0 && a.frame !== b.frame ? ', the page of the previous grant' : ''}`,
            `Xen and the peer may read the entry the moment flags makes it valid, on another CPU: write frame and domid, wmb(), then flags. See ${todo1(ctx)}`);
        }
      }
    }
    return pass();
  },
};

export const ownImplementation: Check = {
  id: 'own-implementation',
  title: 'grants, ends, maps and unmaps with its own code, not the Mini-OS library\'s',
  weight: 1,
  hidden: true,
  dependsOn: ['mapper-reads-granter'],
  run(ctx) {
    for (const [file, text] of Object.entries(ctx.sources)) {
      const imp = /import\s*\{([^}]*)\}\s*from\s*["']minios\/gnttab["']/.exec(text);
      const m = imp && /\b(gnttab_grant_access|gnttab_end_access|gnttab_map_ref|gnttab_unmap_ref)\b/.exec(imp[1]!);
      if (imp && m) {
        const line = lineOf(text, m[0]) ?? lineOf(text, 'minios/gnttab');
        return fail('grant_access, end_access, map_grant and unmap_grant written in the exercise\'s own files', `${file}${line ? `:${line}` : ''} uses the library's ${m[1]}`,
          'the exercise is to write this mechanism yourself: the library\'s version is the answer key');
      }
    }
    return pass();
  },
};

export const hidden03: Check[] = [entryOrder, ownImplementation];
