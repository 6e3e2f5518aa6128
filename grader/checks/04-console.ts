// Hidden checks for exercise 04: graded by the instructor's kit, shown to students after the due date.
// Barriers leave no trace on this machine (x86 keeps stores in order, and our compiler emits nothing for wmb/rmb),
// so the barrier check reads the driver's source, as a reviewer would; the other checks of the exercise read what
// Dom0 saw (exercises/04-console/console-plan.ts).
import { fail, lineOf, pass, type Check, type CheckContext } from '../api.js';

const STUDENT_FILE = 'kernel/xencons.ts';

export const ownDriver: Check = {
  id: 'own-driver',
  title: 'drives the console ring with its own code, not the Mini-OS library\'s',
  weight: 1,
  hidden: true,
  dependsOn: ['output-whole'],
  run(ctx) {
    for (const [file, text] of Object.entries(ctx.sources)) {
      const m = /(?:from|import)\s+["']minios\/xencons_ring["']/.exec(text);
      if (m) {
        const line = lineOf(text, m[0]);
        return fail('the ring driver written in the exercise\'s own files', `${file}${line ? `:${line}` : ''} imports "minios/xencons_ring"`,
          'the exercise is to write this driver yourself: the library\'s version is the answer key');
      }
    }
    return pass();
  },
};

/** The text with comments blanked out (positions and lines kept). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ' '));
}

/** [start, end) of the body of the function enclosing `pos`, or of the whole text. */
function enclosingBody(code: string, pos: number): [number, number] {
  const fn = /\bfunction\s+\w+\s*\(/g;
  let best: [number, number] = [0, code.length];
  for (let m = fn.exec(code); m; m = fn.exec(code)) {
    const open = code.indexOf('{', m.index);
    if (open < 0 || open > pos) break;
    let depth = 0;
    let i = open;
    for (; i < code.length; i++) {
      if (code[i] === '{') depth++;
      else if (code[i] === '}' && --depth === 0) break;
    }
    if (pos > open && pos < i) best = [open, i];
  }
  return best;
}

const lineAt = (code: string, pos: number) => code.slice(0, pos).split('\n').length;

function all(re: RegExp, code: string): number[] {
  const out: number[] = [];
  const g = new RegExp(re.source, 'g');
  for (let m = g.exec(code); m; m = g.exec(code)) out.push(m.index);
  return out;
}

/** Where a barrier of `kinds` is missing between the last `after` match and `pos` in pos's function, or undefined. */
function missingBarrier(code: string, pos: number, after: RegExp, kinds: string[]): boolean {
  const [start] = enclosingBody(code, pos);
  const from = Math.max(start, ...all(after, code).filter((p) => p > start && p < pos));
  const between = code.slice(from, pos);
  return !new RegExp(`\\b(${kinds.join('|')})\\s*\\(\\s*\\)`).test(between);
}

const WRITE = (field: string) => new RegExp(`volatile_write\\s*\\(\\s*addr_of\\s*\\(\\s*[\\w.\\[\\]]*\\b${field}\\s*\\)|\\.${field}\\s*(?:[+\\-]?=(?!=)|\\+\\+|--)`);

export const usesBarriers: Check = {
  id: 'uses-barriers',
  title: 'orders ring accesses with barriers: wmb() before publishing out_prod, rmb() before reading in[], mb() before giving in[] back',
  weight: 1,
  hidden: true,
  dependsOn: ['output-whole'],
  run(ctx) {
    const text = ctx.sources[STUDENT_FILE];
    if (!text) return pass();
    const code = stripComments(text);
    const expected = 'a barrier between the ring\'s bytes and the index that publishes or releases them';
    const where = (pos: number) => `${STUDENT_FILE}:${lineAt(code, pos)}`;
    for (const pos of all(WRITE('out_prod'), code)) {
      if (missingBarrier(code, pos, /\.out\s*\[/, ['wmb', 'mb'])) {
        return fail(expected, `${where(pos)} publishes out_prod with no wmb() after the bytes written into out[]`,
          'Dom0 may see the new out_prod before the bytes it covers (a CPU or compiler may reorder the stores) and print stale bytes: wmb() between writing the bytes and writing the index');
      }
    }
    const reads = all(/\.in\s*\[/, code);
    if (reads.length) {
      if (missingBarrier(code, reads[0]!, /\bin_prod\b/, ['rmb', 'mb'])) {
        return fail(expected, `${where(reads[0]!)} reads in[] with no rmb() after reading in_prod`,
          'the CPU may read the bytes before the index that says they are there, and see old bytes: rmb() between reading in_prod and reading in[]');
      }
      for (const pos of all(WRITE('in_cons'), code)) {
        const [start] = enclosingBody(code, pos);
        if (!reads.some((r) => r > start && r < pos)) continue;
        if (missingBarrier(code, pos, /\.in\s*\[/, ['mb'])) {
          return fail(expected, `${where(pos)} gives in[] back (writes in_cons) with no mb() after reading the bytes`,
            'once in_cons moves, Dom0 may overwrite those bytes: finish reading them first with mb() (a full barrier: it orders the reads before the write)');
        }
      }
    }
    return pass();
  },
};

export const hidden04: Check[] = [ownDriver, usesBarriers];
