// Debian's xenstore-utils (libxenstore) against our socket. CI must install
// xenstore-utils; without it these tests fail, they do not skip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listenXenStore, type XenStoreSocket } from './socket-server.js';
import { XenStore } from './xenstored.js';
import { XsHandle } from './handle.js';
import { bytes, XS } from './wire.js';
import { XsSocketClient, xenstoreLs } from './socket-client.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'xenlab-xs-'));
const env = { ...process.env, XENSTORED_PATH: join(dir, 'socket') };
let store: XenStore;
let sock: XenStoreSocket;

async function xs(tool: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(tool, args, { env, timeout: 10_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number | string; stdout?: string; stderr?: string };
    if (x.code === 'ENOENT') throw new Error(`${tool} is not installed: apt-get install -y xenstore-utils`);
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

beforeAll(async () => {
  store = new XenStore();
  sock = await listenXenStore(store, env.XENSTORED_PATH);
});
afterAll(async () => {
  await sock.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('xenstore-utils against the xenlab socket', () => {
  it('xenstore-write and xenstore-read', async () => {
    expect((await xs('xenstore-write', '/vm/a', 'hello', '/vm/b', 'two words')).code).toBe(0);
    const host = new XsHandle(store);
    expect(host.read('/vm/a')).toBe('hello');
    expect((await xs('xenstore-read', '/vm/b')).out).toBe('two words\n');
    const missing = await xs('xenstore-read', '/vm/nothing');
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/couldn't read path \/vm\/nothing/);
  });

  it('xenstore-ls shows the tree and permissions', async () => {
    const host = new XsHandle(store);
    host.write('/local/domain/4/name', 'guest');
    host.setPerms('/local/domain/4/name', ['n4', 'r0']);
    const ls = await xs('xenstore-ls', '/local/domain/4');
    expect(ls.out).toBe('name = "guest"\n');
    const lsp = await xs('xenstore-ls', '-p', '/local/domain/4');
    expect(lsp.out).toMatch(/^name = "guest" [ .]*\(n4,r0\)\n$/);
  });

  it('xenstore-rm removes a subtree', async () => {
    const host = new XsHandle(store);
    host.write('/gone/x/y', '1');
    expect((await xs('xenstore-rm', '/gone/x')).code).toBe(0);
    expect(host.directory('/gone')).toEqual([]);
  });

  it('xenstore-watch reports the initial fire and later changes', async () => {
    const host = new XsHandle(store);
    host.mkdir('/watched');
    const child = spawn('xenstore-watch', ['-n', '3', '/watched'], { env });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const exited = new Promise<number>((res) => child.on('exit', (c) => res(c ?? -1)));
    // Wait until the watch is registered (the initial event is printed), then change things.
    for (let i = 0; i < 100 && !out.includes('/watched'); i++) await new Promise((r) => setTimeout(r, 20));
    host.write('/watched/a', '1');
    host.write('/unrelated', '1');
    host.write('/watched/b/c', '1');
    expect(await exited).toBe(0);
    expect(out).toBe('/watched\n/watched/a\n/watched/b/c\n');
  });

  it('lists a directory too big for one reply (libxenstore falls back to DIRECTORY_PART)', async () => {
    const host = new XsHandle(store);
    const names = Array.from({ length: 300 }, (_, i) => `entry-with-a-long-name-${i}`);
    for (const n of names) host.write(`/huge/${n}`, '');
    expect(host.directory('/huge')).toBe('E2BIG');
    const r = await xs('xenstore-list', '/huge');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(names);
  });

  it('our xenstoreLs and socket client print what xenstore-ls prints', async () => {
    const host = new XsHandle(store);
    host.write('/lsdemo/a', 'x "quoted" \\ y');
    host.write('/lsdemo/b/c', 'deep');
    host.write('/lsdemo/b/d', '');
    // Control and high bytes, as xenstore-ls escapes them (short values: it cuts lines at 80 columns).
    const raw = (name: string, vals: number[]) => host.request(XS.WRITE, new Uint8Array([...bytes(`/lsdemo/${name}\0`), ...vals]));
    raw('low', Array.from({ length: 16 }, (_, i) => i));
    raw('mid', Array.from({ length: 16 }, (_, i) => 16 + i));
    raw('high', [0x7b, 0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0xa0, 0xfe, 0xff]);
    const client = await XsSocketClient.open(env.XENSTORED_PATH);
    try {
      const ours = await xenstoreLs(client, '/lsdemo');
      const theirs = (await xs('xenstore-ls', '/lsdemo')).out;
      expect(ours).toBe(theirs);
      expect(await client.read('/lsdemo/b/c')).toBe('deep');
      expect(await client.read('/lsdemo/none')).toBe('ENOENT');
    } finally {
      client.close();
    }
  });
});
