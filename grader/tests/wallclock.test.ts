// "No check ever reads the wall clock": the grader's and the exercises' sources (checks, hidden checks, run hooks)
// read no clock, apart from the report's createdAt stamp and the batch progress bar's elapsed time, which decide
// nothing. (The determinism tests in cli.test.ts and batch.test.ts show the effect: equal reports at different times.)
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kitPath } from '../paths.js';

const CLOCK = /\b(Date\.now\s*\(|performance\.now\s*\(|process\.hrtime|new Date\(\s*\)|Atomics\.wait\s*\()/g;

/** Where a clock is read on purpose, and why it cannot change a grade. */
const ALLOWED: Record<string, number> = {
  'grader/report/build.ts': 1, // createdAt, the one field two gradings of the same submission may differ in
  'grader/batch/batch.ts': 2, // the progress bar's elapsed time and estimate, display only
};

function sources(dir: string, rel: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== 'tests' && e.name !== 'node_modules') sources(path.join(dir, e.name), r, out);
    } else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(r);
  }
}

describe('the wall clock', () => {
  it('is read nowhere in the grader or the exercises but the report stamp and the progress bar', () => {
    const files: string[] = [];
    for (const d of ['grader', 'exercises']) sources(kitPath(d), d, files);
    expect(files.length).toBeGreaterThan(30);
    const found: Record<string, number> = {};
    for (const f of files) {
      const text = fs.readFileSync(kitPath(f), 'utf8').replace(/^\s*\/\/.*$/gm, '');
      const n = [...text.matchAll(CLOCK)].length;
      if (n) found[f] = n;
    }
    expect(found).toEqual(ALLOWED);
  });
});
