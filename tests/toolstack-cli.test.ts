// xenlab create / list / console / xenstore / pause / unpause / shutdown /
// destroy end to end, in separate processes as a user runs them: a host
// started by `xenlab create` from an xl config with a gcc-built guest, the
// other commands (and Debian's xenstore-utils, through XENSTORED_PATH)
// reaching it through its runtime folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildEchoGuest, startXenlab, xenlabAsync, type Running } from './toolstack-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'xenlab-tscli-'));
const runtime = join(scratch, 'rt');
const env = { XENLAB_RUNTIME_DIR: runtime };
const xenstored = join(runtime, 'xenstored.sock');
const run = promisify(execFile);
let host: Running;
const others: Running[] = [];

async function xenstoreTool(tool: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(tool, args, { env: { ...process.env, XENSTORED_PATH: xenstored }, timeout: 10_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number | string; stdout?: string; stderr?: string };
    if (x.code === 'ENOENT') throw new Error(`${tool} is not installed: apt-get install -y xenstore-utils`);
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

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

beforeAll(async () => {
  buildEchoGuest(scratch);
  writeFileSync(join(scratch, 'disk.img'), new Uint8Array(1 << 20));
  const cfg = config('echo.cfg', [
    '# the echo guest with a disk it never opens',
    'name = "echo"', 'kernel = "echo.elf"', 'memory = 16', 'cmdline = "quiet"',
    "disk = [ 'file:disk.img,xvda,w' ]", 'on_crash = "preserve"',
  ]);
  host = startXenlab(['create', cfg], env);
  await host.waitFor('stderr', 'host serving in');
}, 60_000);

afterAll(async () => {
  for (const p of others) await p.kill();
  await host?.kill();
  rmSync(scratch, { recursive: true, force: true });
});

describe('xenlab create hosts domains that the other commands reach', () => {
  it('list shows the domain; xenstore-read, xenstore-ls and xenlab xenstore see its nodes', async () => {
    const [list, read, ls, ours, missing] = await Promise.all([
      xenlabAsync(['list'], env),
      xenstoreTool('xenstore-read', '/local/domain/1/name', '/local/domain/1/data/echo'),
      xenstoreTool('xenstore-ls', '/local/domain/1'),
      xenlabAsync(['xenstore', 'read', '/local/domain/1/memory/target'], env),
      xenlabAsync(['xenstore', 'read', '/local/domain/1/data/nope'], env),
    ]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)\nDomain-0\s+0\s+0\s+1\s+running\s+0\.000000\n/); // as xl list
    expect(list.stdout).toMatch(/\necho\s+1\s+16\s+1\s+blocked\s+\d+\.\d+\n/); // it sleeps in SCHEDOP_poll
    expect(read).toMatchObject({ code: 0, out: 'echo\nready\n' }); // the guest wrote data/echo through its ring
    expect(ls.code, ls.err).toBe(0);
    expect(ls.out).toContain('name = "echo"\n');
    expect(ls.out).toMatch(/\n target = "16384"\n/);
    expect(ls.out).toMatch(/\n {3}backend = "\/local\/domain\/0\/backend\/vbd\/1\/51712"\n/);
    expect(ours).toMatchObject({ status: 0, stdout: '16384\n' });
    expect(missing.status).toBe(1);
    expect(oneLine(missing.stderr)).toBe('xenlab xenstore read: /local/domain/1/data/nope: no such node (ENOENT)');
    const write = await xenlabAsync(['xenstore', 'write', '/local/domain/1/data/from-cli', 'forty two'], env);
    expect(write.status, write.stderr).toBe(0);
    const [native, tree] = await Promise.all([
      xenstoreTool('xenstore-read', '/local/domain/1/data/from-cli'), xenlabAsync(['xenstore', 'ls', '/local/domain/1/data'], env),
    ]);
    expect(native).toMatchObject({ code: 0, out: 'forty two\n' });
    expect(tree.stdout).toBe('echo = "ready"\nfrom-cli = "forty two"\n');
  }, 60_000);

  it('console replays what the guest printed, sends keystrokes to its ring and detaches on Ctrl-]', async () => {
    const con = startXenlab(['console', 'echo'], env);
    others.push(con);
    await con.waitFor('stdout', 'echo guest ready\n');
    con.write('hello from the test\n');
    await con.waitFor('stdout', 'echo: hello from the test\n');
    con.write('second line\r\x1d');
    expect(await con.exit()).toBe(0);
    expect(con.stderr).toContain('[connected to domain 1 (echo); Ctrl-] detaches]');
    expect(con.stderr).toContain('[detached]');
    expect(con.stdout.startsWith('echo guest ready\necho: hello from the test\n'), con.stdout).toBe(true); // nothing before or between
    // The line typed before Ctrl-] reached the guest although we detached.
    const again = startXenlab(['console', '1'], env);
    others.push(again);
    await again.waitFor('stdout', 'echo: second line\n');
    again.write('\x1d');
    expect(await again.exit()).toBe(0);
  }, 60_000);

  it('a second create joins the running host; pause, unpause and shutdown through control/shutdown', async () => {
    const cfg = config('echo2.cfg', ['name = "echo2"', 'kernel = "echo.elf"', 'memory = 8']);
    const created = await xenlabAsync(['create', '-p', cfg], env);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/domain 2 \(echo2\) created, paused on the host in /);
    const [list, dup] = await Promise.all([xenlabAsync(['list'], env), xenlabAsync(['create', cfg], env)]);
    expect(list.stdout).toMatch(/\necho2\s+2\s+8\s+1\s+paused\s+0\.000000\n/);
    expect(dup.status).toBe(1);
    expect(oneLine(dup.stderr)).toMatch(/echo2\.cfg: a domain named 'echo2' already exists \(domid 2\)/);
    expect((await xenlabAsync(['unpause', 'echo2'], env)).status).toBe(0);
    await host.waitFor('stderr', 'domain 2 (echo2): unpaused');
    const down = await xenlabAsync(['shutdown', '-w', 'echo2'], env);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stderr).toContain('domain 2 (echo2) shut down');
    await host.waitFor('stderr', 'echo2 (2) shutdown: destroyed'); // on_poweroff = destroy (the default)
  }, 60_000);

  it('a crashed domain with on_crash = "preserve" stays listed and ends console sessions', async () => {
    const con = startXenlab(['console', 'echo'], env);
    others.push(con);
    await con.waitFor('stderr', '[connected');
    con.write('crash\n');
    await con.waitFor('stdout', 'crashing\n');
    expect(await con.exit()).toBe(0);
    expect(con.stderr).toMatch(/\[domain 1 crashed \(preserved; xenlab destroy echo frees it\)\]/);
    await host.waitFor('stderr', /domain 1 \(echo\) crashed\nreason: /);
    expect((await xenlabAsync(['list'], env)).stdout).toMatch(/\necho\s+1\s+16\s+1\s+crashed\s/);
  }, 60_000);

  it('destroy removes the last domain; the host stops and cleans its runtime folder', async () => {
    const bad = await xenlabAsync(['destroy', 'nosuch'], env);
    expect(bad.status).toBe(1);
    expect(oneLine(bad.stderr)).toBe("xenlab destroy: no domain 'nosuch' (running: echo (1))");
    const gone = await xenlabAsync(['destroy', 'echo'], env);
    expect(gone.status, gone.stderr).toBe(0);
    expect(await host.exit()).toBe(0);
    expect(host.stderr).toContain('no domains left; the host stops');
    expect(readdirSync(runtime)).toEqual([]);
    const after = await xenlabAsync(['list'], env);
    expect(after.status).toBe(1);
    expect(oneLine(after.stderr)).toMatch(/no xenlab host is running .*start one with: xenlab create CONFIG/);
  }, 60_000);
});

