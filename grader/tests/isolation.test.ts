// The build sandbox: the permission model confines the compiler child, runaway builds are stopped by the kill timer
// or the heap limit, and a submission cannot reach outside its own folder (imports or symbolic links).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEntryScript, buildKernel, compilerReadRoots, DEFAULT_BUILD_LIMITS, permissionFlag, runIsolated } from '../build/isolated.js';
import type { BuildJob } from '../build/entry.js';
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
      const granted = {
        readPasswd: process.permission.has('fs.read', '/etc/passwd'),
        writeOut: process.permission.has('fs.write', process.argv[2]),
        writeTmp: process.permission.has('fs.write', ${JSON.stringify(tmp)}),
        childProcess: process.permission.has('child'),
        worker: process.permission.has('worker'),
      };
      fs.writeFileSync(process.argv[2] + '/tries.json', JSON.stringify({ tries, granted }));
    `);
    const exit = await runIsolated({ script: probe, args: [out], reads: [], writes: [out], limits });
    expect(exit.code, exit.stderr).toBe(0);
    const { tries, granted } = JSON.parse(fs.readFileSync(path.join(out, 'tries.json'), 'utf8'));
    expect(tries).toEqual({ readPasswd: 'ERR_ACCESS_DENIED', readKit: 'ERR_ACCESS_DENIED', writeTmp: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED' });
    expect(granted).toEqual({ readPasswd: false, writeOut: true, writeTmp: false, childProcess: false, worker: false });
    expect(fs.existsSync(path.join(tmp, 'escaped.txt'))).toBe(false);
  });

  it('switches the permission model on with the flag this Node knows, and refuses to build on a Node without one', async () => {
    expect(permissionFlag(new Set(['--permission', '--experimental-permission']))).toBe('--permission'); // Node 22.13+
    expect(permissionFlag(new Set(['--experimental-permission']))).toBe('--experimental-permission'); // Node 20
    expect(permissionFlag(new Set())).toBeUndefined();
    expect(process.allowedNodeEnvironmentFlags.has(permissionFlag()!)).toBe(true);
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

describe('the real build child under the permission model', () => {
  // The compiler's own import check is switched off here (allowedRoots: '/'), so that only the permission model stands
  // between a student file and the reference solution it imports.
  const reference = kitPath('grader', 'solutions', '01-hello', 'kernel');
  async function buildImportingReference(extraReads: string[]) {
    const sub = fs.mkdtempSync(path.join(tmp, 'perm-'));
    const out = fs.mkdtempSync(path.join(tmp, 'perm-out-'));
    fs.writeFileSync(path.join(sub, 'hello.ts'), `import ${JSON.stringify(path.relative(sub, path.join(reference, 'hello.ts')))};\n`);
    const roots = compilerReadRoots();
    const job: BuildJob = { files: [path.join(sub, 'hello.ts')], kernelDir: roots[0]!, allowedRoots: ['/'], outDir: out };
    const exit = await runIsolated({ script: await buildEntryScript(), args: [JSON.stringify(job)], reads: [...roots, sub, ...extraReads], writes: [out], limits: DEFAULT_BUILD_LIMITS });
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as { ok: boolean; diagnostics?: { file: string; line: number; message: string }[] };
    return { exit, result, elf: fs.existsSync(path.join(out, 'kernel.elf')) };
  }

  it('refuses to read a file outside the kit and the submission (the reference solution), so the build fails', async () => {
    const { exit, result, elf } = await buildImportingReference([]);
    expect(exit.code).toBe(0);
    expect(result.ok).toBe(false);
    expect(elf).toBe(false);
    expect(result.diagnostics![0]).toMatchObject({ line: 1 });
    expect(result.diagnostics![0]!.message).toMatch(/cannot|not found|no such|does not exist/i);
  });

  it('builds the same file once the folder is readable (the refusal above is the permission model, nothing else)', async () => {
    const { result, elf } = await buildImportingReference([reference]);
    expect(result).toEqual({ ok: true });
    expect(elf).toBe(true);
  });
});

describe('buildKernel', () => {
  it('reports a kernel that makes the compiler work without end as a timeout, with the file, not a crash of the grader', async () => {
    const sub = path.join(tmp, 'endless');
    fs.mkdirSync(path.join(sub, 'kernel'), { recursive: true });
    // Each line asks the assembler for 16 million addresses (`dd $` is a relocation, so each repeat is its own item, unlike
    // `times N nop`, which is kept once): minutes of work, well under the memory limit at first.
    fs.writeFileSync(path.join(sub, 'kernel', 'hello.ts'), 'import "minios/bootstrap";\nasm`\n' + 'times 16000000 dd $\n'.repeat(8) + '`;\nexport function start_kernel(si: VoidPtr): void {}\n');
    const started = Date.now();
    const r = await buildKernel({ exerciseDir: sub, files: ['kernel/hello.ts'], sourceRoot: 'kernel', limits: { timeoutMs: 2_500, memoryMiB: 2048 } }); // a heap large enough that time runs out first, even on a loaded machine
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r).toMatchObject({ ok: false, kind: 'timeout', diagnostics: [{ file: 'kernel/hello.ts', message: 'the compiler did not finish within 2.5 s' }] });
    if (!r.ok) expect(r.diagnostics[0]!.hint).toContain('without end');
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

  it('makes an import of a Node module, a package, the grader or a reference solution a compile error at its line', async () => {
    const sub = path.join(tmp, 'forbidden');
    fs.mkdirSync(path.join(sub, 'kernel'), { recursive: true });
    const solution = kitPath('grader', 'solutions', '01-hello', 'kernel', 'hello.ts');
    // From the staged copy (TMPDIR/xenlab-build-XXXX/submission/kernel/) this relative path reaches the real solution.
    const fromStage = path.relative(path.join(os.tmpdir(), 'xenlab-build-x', 'submission', 'kernel'), solution);
    const imports = [
      'import { readFileSync } from "node:fs";',
      'import { z } from "zod";',
      'import { gradeExercise } from "minios/../../grader/grade.ts";',
      `import { pass } from ${JSON.stringify(path.relative(path.join(sub, 'kernel'), kitPath('grader', 'api.ts')))};`,
      `import { start_kernel as a } from ${JSON.stringify(solution)};`,
      `import { start_kernel as b } from ${JSON.stringify(fromStage)};`,
    ];
    fs.writeFileSync(path.join(sub, 'kernel', 'hello.ts'), ['import "minios/bootstrap";', ...imports, 'export function start_kernel(si: VoidPtr): void {}', ''].join('\n'));
    const r = await buildKernel({ exerciseDir: sub, files: ['kernel/hello.ts'], sourceRoot: 'kernel' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('compile');
    expect(r.diagnostics.map((d) => [d.file, d.line])).toEqual(imports.map((_, i) => ['kernel/hello.ts', i + 2]));
    for (const d of r.diagnostics) {
      expect(d.column).toBeGreaterThan(0);
      expect(d.message).toMatch(/^import of '.+' is not allowed: /);
      expect(d.hint).toContain('minios/<module>');
    }
  });

  it('accepts back from the child only a well-formed result and a regular kernel file', async () => {
    const sub = path.join(tmp, 'forger');
    fs.mkdirSync(path.join(sub, 'kernel'), { recursive: true });
    fs.writeFileSync(path.join(sub, 'kernel', 'hello.ts'), '// anything\n');
    const child = (name: string, body: string) => script(name, `import fs from 'node:fs';\nconst job = JSON.parse(process.argv[2]);\n${body}\n`);
    const build = (s: string) => buildKernel({ exerciseDir: sub, files: ['kernel/hello.ts'], sourceRoot: 'kernel', script: s, limits });
    const forged = [
      child('garbage.mjs', "fs.writeFileSync(job.outDir + '/result.json', '{\"ok\": \"yes\"');"),
      child('huge-list.mjs', `fs.writeFileSync(job.outDir + '/result.json', JSON.stringify({ ok: false, diagnostics: Array(51).fill({ file: 'a', line: 1, column: 1, message: 'm' }) }));`),
      child('dir-elf.mjs', "fs.mkdirSync(job.outDir + '/kernel.elf'); fs.writeFileSync(job.outDir + '/result.json', JSON.stringify({ ok: true }));"),
      child('no-elf.mjs', "fs.writeFileSync(job.outDir + '/result.json', JSON.stringify({ ok: true }));"),
      child('silent.mjs', 'process.exitCode = 3;'),
    ];
    const results = [];
    for (const s of forged) results.push(await build(s));
    expect(results.map((r) => (r.ok ? 'ok' : `${r.kind}: ${r.diagnostics[0]!.message}`))).toEqual([
      'internal: the compiler returned a malformed result',
      'internal: the compiler returned a malformed result',
      'internal: the compiler returned no kernel image',
      'internal: the compiler returned no kernel image',
      'internal: the compiler stopped without a result (exit 3): ',
    ]);
    for (const r of results) if (!r.ok) expect(r.diagnostics[0]).toMatchObject({ file: 'kernel/hello.ts' });
  });

  it('reports a missing student file by name', async () => {
    const r = await buildKernel({ exerciseDir: path.join(tmp, 'nothing'), files: ['kernel/hello.ts'], sourceRoot: 'kernel' });
    expect(r).toMatchObject({ ok: false, kind: 'compile', diagnostics: [{ file: 'kernel/hello.ts', message: expect.stringContaining("no file 'kernel/hello.ts'") }] });
  });
});
