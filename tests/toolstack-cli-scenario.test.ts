// A scenario file under `xenlab create`: both domains start, and
// `xenlab shutdown -a -w` powers them off through control/shutdown, after
// which the host (nothing left) stops by itself.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEchoGuest, startXenlab, xenlabAsync, type Running } from './toolstack-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'xenlab-tscli-scn-'));
const env = { XENLAB_RUNTIME_DIR: join(scratch, 'rt') };
let host: Running | undefined;

afterAll(async () => {
  await host?.kill();
  rmSync(scratch, { recursive: true, force: true });
});

describe('xenlab create SCENARIO', () => {
  it('starts every domain; shutdown -a -w stops them all and the host with them', async () => {
    buildEchoGuest(scratch);
    const scn = join(scratch, 'pair.scn');
    writeFileSync(scn, '# two guests\n[left]\nkernel = "echo.elf"\nmemory = 8\n\n[right]\nkernel = "echo.elf"\nmemory = 8\n');
    host = startXenlab(['create', scn], env);
    await host.waitFor('stderr', 'host serving in');
    expect(host.stderr).toContain('domain 1 (left) created\n');
    expect(host.stderr).toContain('domain 2 (right) created\n');
    const down = await xenlabAsync(['shutdown', '-a', '-w'], env);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stderr.split('\n').sort()).toEqual(['', 'domain 1 (left) shut down', 'domain 2 (right) shut down']);
    expect(await host.exit()).toBe(0);
    expect(host.stderr).toContain('left (1) shutdown: destroyed');
    expect(host.stderr).toContain('right (2) shutdown: destroyed');
    expect(host.stderr).toContain('no domains left; the host stops');
    expect(readdirSync(env.XENLAB_RUNTIME_DIR)).toEqual([]);
  }, 60_000);
});
