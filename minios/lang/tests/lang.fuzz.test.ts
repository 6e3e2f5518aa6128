// Mutated kernels (tokens deleted, duplicated or swapped, seeded) must give diagnostics or a kernel, never a throw
// and never an internal compiler error. XENLAB_FUZZ_LONG runs many more cases.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { compile, kernelDir } from './helpers.js';

const seeds = ['console.ts', 'events.ts', 'xenbus.ts', 'time.ts', 'gnttab.ts'].map((f) => fs.readFileSync(path.join(kernelDir, f), 'utf8'));

function tokens(src: string): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, false, ts.LanguageVariant.Standard, src);
  const out: string[] = [];
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) out.push(scanner.getTokenText());
  return out;
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

describe('mutated kernels', () => {
  const cases = process.env.XENLAB_FUZZ_LONG ? 2000 : 60;
  it(`${cases} mutations compile or fail cleanly`, () => {
    const r = rng(12345);
    const bad: string[] = [];
    for (let c = 0; c < cases; c++) {
      const toks = tokens(seeds[c % seeds.length]);
      for (let m = 0; m < 1 + r(3); m++) {
        const i = r(toks.length);
        const op = r(3);
        if (op === 0) toks.splice(i, 1);
        else if (op === 1) toks.splice(i, 0, toks[r(toks.length)]);
        else [toks[i], toks[(i + 1) % toks.length]] = [toks[(i + 1) % toks.length], toks[i]];
      }
      const src = toks.join(' ');
      let res;
      try {
        res = compile({ 'main.ts': src });
      } catch (e) {
        bad.push(`case ${c}: threw ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (!res.ok && res.diagnostics.some((d) => d.message.startsWith('internal compiler error'))) {
        bad.push(`case ${c}: ${res.diagnostics.find((d) => d.message.startsWith('internal'))!.message}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  }, 120_000);
});
