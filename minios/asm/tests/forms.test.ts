// Every form of the table, assembled by nasm and by us (text parser and TS calls): the bytes must be identical.
import { describe, expect, it } from 'vitest';
import { generateCases } from './generate.js';
import { compareWithNasm } from './slots.js';

const shortOnly = (mn: string) => /^(loop|jecxz|jcxz)/.test(mn);

describe('every instruction form matches nasm byte for byte', () => {
  const cases = generateCases();
  it('generates hundreds of forms', () => {
    expect(cases.length).toBeGreaterThan(5000);
  });
  it('all forms except rel8-only branches', () => {
    const mismatches = compareWithNasm(cases.filter((c) => !shortOnly(c.mn)));
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
  it('loop/jecxz/jcxz near their target', () => {
    // each batch starts at its own target, so that every rel8 stays within reach of it (16-byte slots)
    const short = cases.filter((c) => shortOnly(c.mn));
    expect(short.length).toBeGreaterThan(15);
    const mismatches = [];
    for (let i = 0; i < short.length; i += 6) mismatches.push(...compareWithNasm(short.slice(i, i + 6)));
    expect(mismatches).toEqual([]);
  });
});
