// The host's control socket, in process: whatever a client sends (garbage,
// unknown requests, bad arguments, a console client that vanishes), the
// host answers with one error line or ignores it, and keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEchoGuest } from './toolstack-cli.js';
import { HostSession } from '../cli/toolstack-session.js';
import { HostServer } from '../cli/toolstack-host.js';
import { request, runtimePaths, type ControlReply } from '../cli/toolstack-runtime.js';

const scratch = mkdtempSync(join(tmpdir(), 'xenlab-tscli-proto-'));
const paths = runtimePaths({ XENLAB_RUNTIME_DIR: join(scratch, 'rt') });
const log: string[] = [];
let server: HostServer;
let running: Promise<void>;

beforeAll(async () => {
  buildEchoGuest(scratch);
  writeFileSync(join(scratch, 'echo.cfg'), 'name = "echo"\nkernel = "echo.elf"\nmemory = 16\n');
  const session = new HostSession({ onEvent: (l) => log.push(l) });
  session.create(join(scratch, 'echo.cfg'));
  rmSync(paths.dir, { recursive: true, force: true });
  mkdirSync(paths.dir, { recursive: true });
  server = new HostServer({ paths, session, pace: false, log: (l) => log.push(l) });
  expect(await server.listen()).toBe(true);
  running = server.run();
});

afterAll(async () => {
  await server?.stop();
  await running;
  rmSync(scratch, { recursive: true, force: true });
});

/** Send raw text, collect reply lines until `done(lines)` (or `n` lines). */
function raw(text: string, n: number | ((lines: string[]) => boolean)): Promise<string[]> {
  const done = typeof n === 'number' ? (l: string[]) => l.length >= n : n;
  return new Promise((resolve) => {
    const s: Socket = connect(paths.control);
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      got += d;
      const lines = got.split('\n').filter(Boolean);
      if (done(lines)) { s.destroy(); resolve(lines); }
    });
    s.write(text);
  });
}

describe('the control socket', () => {
  it('answers garbage and unknown requests with an error and keeps serving', async () => {
    const [garbled, unknown, noDomain, noFile] = await Promise.all([
      raw('this is not json\n', 1),
      raw('{"op":"reboot-the-world"}\n', 1),
      raw('{"op":"destroy","domain":"ghost"}\n', 1),
      raw('{"op":"create"}\n', 1),
    ]);
    expect(JSON.parse(garbled[0]!)).toMatchObject({ ok: false, kind: 'usage', error: "unknown request 'undefined' (is this xenlab older than the host?)" });
    expect(JSON.parse(unknown[0]!)).toMatchObject({ ok: false, error: "unknown request 'reboot-the-world' (is this xenlab older than the host?)" });
    expect(JSON.parse(noDomain[0]!)).toMatchObject({ ok: false, kind: 'failed', error: "no domain 'ghost' (running: echo (1))" });
    expect(JSON.parse(noFile[0]!)).toEqual({ ok: false, kind: 'usage', error: 'create: no config file given' });
    const list = await request('list', paths, { op: 'list' });
    expect(list).toMatchObject({ ok: true, domains: [{ domid: 1, name: 'echo', state: 'blocked' }] });
  });

  it('serves a console stream, takes base64 input, survives a client that disappears', async () => {
    const text = (lines: string[]) => lines.slice(1).map((l) => (JSON.parse(l) as { out: string }).out).join('');
    const lines = await raw('{"op":"console","domain":"echo"}\n{"in":"' + Buffer.from('ping\n').toString('base64') + '"}\n{"in":42}\n',
      (l) => l.length > 1 && text(l).includes('echo: ping\n'));
    expect(JSON.parse(lines[0]!)).toMatchObject({ ok: true, domains: [{ domid: 1 }] });
    expect(JSON.parse(lines[1]!)).toEqual({ out: 'echo guest ready\n' }); // the replay comes first, whole
    expect(text(lines)).toBe('echo guest ready\necho: ping\n');
    const r: ControlReply = await request('destroy', paths, { op: 'destroy', domain: '1' });
    expect(r).toMatchObject({ ok: true, message: 'domain 1 (echo) destroyed' });
    await running; // the last domain is gone: the host stops and removes its socket
    expect(log).toContain('no domains left; the host stops');
    expect(existsSync(paths.control)).toBe(false);
    expect(existsSync(paths.xenstored)).toBe(false);
  });
});
