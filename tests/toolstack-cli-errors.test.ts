// xenlab create's error reports (FILE:LINE, exit 2, one line, no stack trace)
// and what every command says when no host is running, in spawned processes.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xenlabAsync } from './toolstack-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'xenlab-tscli-err-'));
writeFileSync(join(scratch, 'echo.elf'), 'not looked at: every config here fails before the kernel is read\n');

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

function config(file: string, lines: string[]): string {
  const path = join(scratch, file);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('xenlab create reports bad configs as FILE:LINE and exits 2', () => {
  const alone = { XENLAB_RUNTIME_DIR: join(scratch, 'rt-none') };
  it('typos, bad values, missing kernels and bad usage', async () => {
    const cases: [string, string[], RegExp][] = [
      ['typo.cfg', ['name = "t"', 'kernal = "echo.elf"', 'memory = 16'], /typo\.cfg:2: unknown setting 'kernal'; did you mean 'kernel'\?$/],
      ['disk.cfg', ['name = "d"', 'kernel = "echo.elf"', 'memory = 16', "disk = [ 'file:disk.img,xvdq9,w' ]"], /disk\.cfg:4: disk 'file:disk\.img,xvdq9,w': virtual device/],
      ['garbage.cfg', ['name = "g"', 'kernel = "echo.elf"', 'memory = 16'], /garbage\.cfg: building domain 'g' failed: not an ELF file/],
      ['nokernel.cfg', ['name = "k"', 'kernel = "missing.elf"', 'memory = 16'], /nokernel\.cfg: kernel '.*missing\.elf' does not exist/],
    ];
    const runs = await Promise.all(cases.map(([file, lines]) => xenlabAsync(['create', config(file, lines)], alone)));
    runs.forEach((r, i) => {
      expect(r.status, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toMatch(cases[i]![2]);
    });
    const [usage, nofile] = await Promise.all([xenlabAsync(['create'], alone), xenlabAsync(['create', join(scratch, 'nope.cfg')], alone)]);
    expect(usage.status).toBe(2);
    expect(oneLine(usage.stderr)).toMatch(/^usage: xenlab create CONFIG/);
    expect(oneLine(nofile.stderr)).toMatch(/cannot read .*nope\.cfg: no such file/);
    expect(existsSync(join(scratch, 'rt-none', 'control.sock'))).toBe(false); // nothing was left serving
  }, 60_000);

  it('the other commands say when no host is running', async () => {
    const rs = await Promise.all([['console', 'x'], ['xenstore', 'ls']].map((a) => xenlabAsync(a, alone)));
    for (const r of rs) {
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/no xenlab host is running \(nothing answers on .*rt-none\/control\.sock\); start one with: xenlab create CONFIG/);
    }
  }, 60_000);
});
