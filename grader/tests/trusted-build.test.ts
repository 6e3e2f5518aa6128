import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTrustedKernel, isKitReference } from '../build/trusted.js';
import { kitPath } from '../paths.js';

describe('in-process builds for the kit\'s own reference solutions', () => {
  it('takes only folders inside grader/solutions as the kit\'s own', () => {
    expect(isKitReference(kitPath('grader', 'solutions'))).toBe(true);
    expect(isKitReference(kitPath('grader', 'solutions', '01-hello'))).toBe(true);
    expect(isKitReference(kitPath('exercises', '01-hello'))).toBe(false);
    expect(isKitReference(path.join(kitPath('grader', 'solutions'), '..', 'wrong', '02-gettimeofday'))).toBe(false);
    expect(isKitReference(os.tmpdir())).toBe(false);
  });

  it('builds a reference kernel to an ELF image', () => {
    const r = buildTrustedKernel({ exerciseDir: kitPath('grader', 'solutions', '01-hello'), files: ['kernel/hello.ts'], sourceRoot: 'kernel' });
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    expect([...r.elf.slice(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
  });

  it('reports a compile error with the file relative to the exercise folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-trusted-'));
    try {
      fs.mkdirSync(path.join(dir, 'kernel'));
      fs.writeFileSync(path.join(dir, 'kernel', 'bad.ts'), 'export function start_kernel(): void {\n  let x: u32 = nope;\n}\n');
      const r = buildTrustedKernel({ exerciseDir: dir, files: ['kernel/bad.ts'], sourceRoot: 'kernel' });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.kind).toBe('compile');
      expect(r.diagnostics[0]).toMatchObject({ file: 'kernel/bad.ts', line: 2 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
