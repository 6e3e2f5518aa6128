// The kit's declarations: xen-public.d.ts is generated from hypervisor/public and up to date, and tsc accepts the
// library, the exercises' hand-out kernels and their reference solutions with them (so editors and `tsc --noEmit`
// agree with the compiler).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { xenPublicDts, xenPublicDtsPath } from '../xen-dts.js';
import { kernelDir, repoRoot } from './helpers.js';

/** tsc's output for a project (empty when it type-checks). */
function tsc(project: string): string {
  const bin = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [bin, '--noEmit', '-p', project], { encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout || e);
  }
}

describe('kit declarations', () => {
  it('xen-public.d.ts matches hypervisor/public (regenerate with npx tsx minios/lang/xen-dts.ts)', () => {
    expect(fs.readFileSync(xenPublicDtsPath, 'utf8')).toBe(xenPublicDts());
  });

  it('tsc --noEmit type-checks minios/kernel with the kit declarations', () => {
    expect(tsc(kernelDir)).toBe('');
  }, 60_000);

  it('tsc --noEmit type-checks every exercise kernel and reference solution with the kit declarations', () => {
    // The hand-out folders carry their own tsconfig.json (extending the kit's); one tsc run covers them all.
    const folders = (parent: string) => fs.readdirSync(path.join(repoRoot, parent)).map((d) => path.join(repoRoot, parent, d, 'kernel'))
      .filter((d) => fs.existsSync(d));
    const handouts = folders('exercises'), solutions = folders('grader/solutions');
    expect(handouts.length).toBeGreaterThanOrEqual(6);
    expect(solutions.length).toBe(handouts.length);
    for (const d of handouts) expect(fs.existsSync(path.join(d, 'tsconfig.json')), d).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-tsc-'));
    try {
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
        extends: path.join(kernelDir, 'tsconfig.json'),
        include: [...handouts, ...solutions].map((d) => path.join(d, '*.ts')),
        files: [path.join(kernelDir, 'kit.d.ts'), path.join(kernelDir, 'xen-public.d.ts')],
      }));
      expect(tsc(dir)).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
