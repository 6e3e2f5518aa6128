// DESIGN.md's layers, enforced: imports only point down. Test code (*.test.ts, tests/, testing/) may reach up to
// build what it needs; shipped code may not.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './cli.js';

/** For each layer (longest prefix wins), the folders its shipped code may import from. */
const ALLOWED: [string, string[]][] = [
  ['machine/', ['machine/']],
  ['hypervisor/public/', ['hypervisor/public/']],
  ['hypervisor/dom0/', ['hypervisor/dom0/', 'hypervisor/public/']],
  ['hypervisor/', ['hypervisor/', 'machine/']],
  ['minios/', ['minios/', 'hypervisor/public/', 'machine/']],
  ['grader/course.ts', ['grader/', 'exercises/index.ts']], // the one place the grader reads the course list
  ['grader/', ['grader/', 'minios/', 'hypervisor/', 'machine/']],
  ['exercises/', ['exercises/', 'grader/api.ts', 'hypervisor/', 'minios/']],
];
const KERNEL_SOURCES = [/^minios\/kernel\//, /\.kernel\.ts$/, /^exercises\/[^/]+\/kernel\//, /^grader\/(solutions|wrong)\//];

function isTestCode(rel: string): boolean {
  return /\.test\.ts$/.test(rel) || /(^|\/)(tests|testing)\//.test(rel);
}

function shippedFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules') shippedFiles(rel, out); }
    else if (rel.endsWith('.ts') && !rel.endsWith('.d.ts') && !isTestCode(rel) && !KERNEL_SOURCES.some((k) => k.test(rel))) out.push(rel);
  }
  return out;
}

describe('layering', () => {
  it('shipped code imports only from its own layer and the layers below', () => {
    const violations: string[] = [];
    let checked = 0;
    for (const top of ['machine', 'hypervisor', 'minios', 'grader', 'exercises']) {
      for (const rel of shippedFiles(top)) {
        const rule = ALLOWED.find(([prefix]) => rel.startsWith(prefix) || rel === prefix)!;
        const src = fs.readFileSync(path.join(repoRoot, rel), 'utf8');
        for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
          checked++;
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1]!)).replace(/\.js$/, '.ts');
          if (!rule[1].some((ok) => target.startsWith(ok) || target === ok)) violations.push(`${rel} imports ${target}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(violations).toEqual([]);
  });
});
