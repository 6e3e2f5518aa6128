// `xenlab run --trace hypercalls` through the real command line: the trace
// goes to stderr, one decoded line per hypercall, and stdout keeps exactly
// what the guest printed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGuest } from './guests/build.js';
import { xenlab } from './cli.js';

describe('xenlab run --trace hypercalls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-trace-'));
  const kernel = join(dir, 'events.elf');
  writeFileSync(kernel, buildGuest('events'));

  it('writes the decoded trace to stderr and only the guest text to stdout', () => {
    const run = (...more: string[]) => xenlab(['run', kernel, '--wallclock', '1700000000', ...more]);
    const plain = run();
    const traced = run('--trace', 'hypercalls');
    expect(plain.status).toBe(0);
    expect(traced.status).toBe(0);
    expect(traced.stdout).toBe(plain.stdout);
    const lines = traced.stderr.trimEnd().split('\n');
    expect(lines.every((l) => /^\[\d+\.\d{6}\] d1(v0 \w+\(.*\) = (-E[A-Z0-9]+|-?\d+|continuation) \[eip 0x[0-9a-f]{8}(, raw int \$0x82)?\]| shutdown: \w+)$/.test(l)), lines.find((l) => !/d1/.test(l))).toBe(true);
    expect(lines.some((l) => /console_io\(write, 15, 0x[0-9a-f]+ "map_shared_info"\) = 0/.test(l))).toBe(true);
    expect(lines.some((l) => /update_va_mapping\(0x[0-9a-f]+, mfn 0x[0-9a-f]+ P\|RW\|US, INVLPG\) = 0/.test(l))).toBe(true);
    expect(lines.some((l) => /event_channel_op\(bind_virq, 0x[0-9a-f]+ \{virq TIMER, vcpu 0\}\) = -EEXIST/.test(l))).toBe(true);
    expect(lines.some((l) => /mmu_update\(0x[0-9a-f]+, 1, 0x[0-9a-f]+, DOMID_SELF \{pt 0x[0-9a-f]+ = 0\}\) = -EINVAL/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/d1v0 sched_op\(shutdown, 0x[0-9a-f]+ \{poweroff\}\) = 0/);
    // The same inputs give the same trace, byte for byte.
    expect(run('--trace', 'hypercalls').stderr).toBe(traced.stderr);
  }, 60_000);

  it('refuses other trace kinds with one line and status 2', () => {
    const r = xenlab(['run', kernel, '--trace', 'everything']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("xenlab run: --trace supports 'hypercalls', got 'everything'");
  });
});
