// Choosing the kit's files for a student hand-out or a Gradescope autograder.
import fs from 'node:fs';
import path from 'node:path';
import { KIT_ROOT } from '../paths.js';

export type PackageKind = 'handout' | 'gradescope';

/** Never shipped: the instructor's answers and the grader's own tests of its checks. */
const ANSWERS = ['grader/solutions', 'grader/wrong'];
/** Helpers only the kit's own test suites use (they import the top-level tests/ folder, which is not shipped). */
const TEST_HELPERS = ['hypervisor/testing'];
const ALWAYS_OUT = new Set(['node_modules', 'out', 'grades', 'tmp', 'coverage', 'tests', 'bench', 'docs']);

/** Paths (relative to the kit root, forward slashes) of the files a package holds. */
export function kitFiles(kind: PackageKind, root = KIT_ROOT): string[] {
  const out: string[] = [];
  const skip = (rel: string, name: string, dir: boolean): boolean => {
    if (name.startsWith('.')) return true;
    if (dir && !rel.includes('/') && ALWAYS_OUT.has(name)) return true;
    if (dir && name === 'tests') return true;
    if (TEST_HELPERS.includes(rel)) return true;
    if (ANSWERS.some((a) => rel === a || rel.startsWith(a + '/'))) return true;
    if (kind === 'handout' && (rel === 'grader/checks' || rel.startsWith('grader/checks/'))) return true;
    if (!dir && /\.test\.ts$/.test(name)) return !(kind === 'handout' && rel.startsWith('exercises/'));
    if (!dir && /\.(log|elf|zip|tgz)$/.test(name)) return true;
    return false;
  };
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) continue;
      if (skip(r, e.name, e.isDirectory())) continue;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk(root, '');
  return out;
}

/** The hidden-check table of a hand-out: empty, so that the student's grader runs the public checks only. */
export const EMPTY_HIDDEN_CHECKS = `// Hidden checks by exercise id: none in a student hand-out (the instructor's kit grades them).
import type { Check } from '../api.js';

export const hiddenChecks: Record<string, Check[]> = {};
`;
