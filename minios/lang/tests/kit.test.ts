// The kit's declarations: xen-public.d.ts is generated from hypervisor/public and up to date, and tsc accepts the
// library with them (so editors and `tsc --noEmit` agree with the compiler).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { xenPublicDts, xenPublicDtsPath } from '../xen-dts.js';
import { kernelDir, repoRoot } from './helpers.js';

describe('kit declarations', () => {
  it('xen-public.d.ts matches hypervisor/public (regenerate with npx tsx minios/lang/xen-dts.ts)', () => {
    expect(fs.readFileSync(xenPublicDtsPath, 'utf8')).toBe(xenPublicDts());
  });

  it('tsc --noEmit type-checks minios/kernel with the kit declarations', () => {
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    let out = '';
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '-p', kernelDir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out).toBe('');
  }, 60_000);
});
