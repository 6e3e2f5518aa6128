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
});
