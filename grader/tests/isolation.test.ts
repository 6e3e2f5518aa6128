// The build sandbox: the permission model confines the compiler child, runaway builds are stopped by the kill timer
// or the heap limit, and a submission cannot reach outside its own folder (imports or symbolic links).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKernel, runIsolated } from '../build/isolated.js';
import { kitPath } from '../paths.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-isolation-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, body);
  return file;
}

const limits = { timeoutMs: 20_000, memoryMiB: 128 };

describe('runIsolated', () => {
  it('lets the child write its output folder but not read or write anywhere else, nor start processes', async () => {
    const out = fs.mkdtempSync(path.join(tmp, 'out-'));
    const probe = script('probe.mjs', `
      import fs from 'node:fs';
      import cp from 'node:child_process';
      const tries = {};
      const attempt = (name, fn) => { try { fn(); tries[name] = 'allowed'; } catch (e) { tries[name] = e.code ?? String(e); } };
      attempt('readPasswd', () => fs.readFileSync('/etc/passwd'));
      attempt('readKit', () => fs.readFileSync(${JSON.stringify(kitPath('package.json'))}));
      attempt('writeTmp', () => fs.writeFileSync(${JSON.stringify(path.join(tmp, 'escaped.txt'))}, 'x'));
      attempt('spawn', () => cp.execFileSync('/bin/true'));
      fs.writeFileSync(process.argv[2] + '/tries.json', JSON.stringify(tries));
    `);
    const exit = await runIsolated({ script: probe, args: [out], reads: [], writes: [out], limits });
    expect(exit.code).toBe(0);
    const tries = JSON.parse(fs.readFileSync(path.join(out, 'tries.json'), 'utf8'));
    expect(tries).toEqual({ readPasswd: 'ERR_ACCESS_DENIED', readKit: 'ERR_ACCESS_DENIED', writeTmp: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED' });
    expect(fs.existsSync(path.join(tmp, 'escaped.txt'))).toBe(false);
  });

  it('kills a child that never finishes', async () => {
    const loop = script('loop.mjs', 'for (;;) {}');
    const exit = await runIsolated({ script: loop, args: [], reads: [], writes: [], limits: { timeoutMs: 500, memoryMiB: 64 } });
    expect(exit.timedOut).toBe(true);
    expect(exit.signal).toBe('SIGKILL');
  });

  it('stops a child that exhausts its heap', async () => {
    const hog = script('hog.mjs', 'const a = []; for (;;) a.push({ x: new Array(1000).fill(1) });');
    const exit = await runIsolated({ script: hog, args: [], reads: [], writes: [], limits: { timeoutMs: 30_000, memoryMiB: 32 } });
    expect(exit.timedOut).toBe(false);
    expect(exit.code === 134 || exit.signal === 'SIGABRT' || /heap out of memory/i.test(exit.stderr)).toBe(true);
  });
});

describe('buildKernel', () => {
  it('reports a build that runs past its time limit as a timeout, not a crash of the grader', async () => {
    const r = await buildKernel({ exerciseDir: kitPath('grader', 'solutions', '01-hello'), files: ['kernel/hello.ts'], sourceRoot: 'kernel', limits: { timeoutMs: 1 } });
    expect(r).toMatchObject({ ok: false, kind: 'timeout' });
  });

  it('does not follow a symbolic link out of the submission', async () => {
    const sub = path.join(tmp, 'linked');
    fs.mkdirSync(path.join(sub, 'kernel'), { recursive: true });
    fs.symlinkSync(kitPath('grader', 'solutions', '01-hello', 'kernel', 'hello.ts'), path.join(sub, 'kernel', 'secret.ts'));
    fs.writeFileSync(path.join(sub, 'kernel', 'hello.ts'), 'import { start_kernel as s } from "./secret.ts";\nexport function start_kernel(si: VoidPtr): void { s(si); }\n');
    const r = await buildKernel({ exerciseDir: sub, files: ['kernel/hello.ts'], sourceRoot: 'kernel' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.kind).toBe('compile');
      expect(r.diagnostics[0]).toMatchObject({ file: 'kernel/hello.ts', line: 1 });
    }
  });

  it('reports a missing student file by name', async () => {
    const r = await buildKernel({ exerciseDir: path.join(tmp, 'nothing'), files: ['kernel/hello.ts'], sourceRoot: 'kernel' });
    expect(r).toMatchObject({ ok: false, kind: 'compile', diagnostics: [{ file: 'kernel/hello.ts', message: expect.stringContaining("no file 'kernel/hello.ts'") }] });
  });
});
