// A run killed mid-way (SIGKILL) leaves every acknowledged write in the image.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'xenlab-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('blkback durability', () => {
  it('keeps every acknowledged write when the process is killed', async () => {
    const image = join(dir, 'disk.img');
    writeFileSync(image, new Uint8Array(4096 * 512));
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'kill-writer.ts'), image], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const acked = await new Promise<number>((res) => {
      child.stdout.on('data', (d) => {
        out += d;
        const n = (out.match(/ack \d+\n/g) ?? []).length;
        if (n >= 300 && !child.killed) { child.kill('SIGKILL'); res(n); }
      });
      child.on('exit', () => res((out.match(/ack \d+\n/g) ?? []).length));
    });
    await new Promise((r) => child.once('close', r));
    expect(err).toBe('');
    expect(child.signalCode).toBe('SIGKILL'); // killed mid-way, not finished
    const ids = (out.match(/ack (\d+)\n/g) ?? []).map((l) => Number(l.slice(4)));
    expect(ids.length).toBeGreaterThanOrEqual(acked);
    const disk = readFileSync(image);
    for (const n of ids) expect(disk.subarray(n * 512, n * 512 + 512).every((b) => b === (n % 255) + 1), `sector ${n}`).toBe(true);
  });
});
