// `xenlab build`, `xenlab run` with Dom0 (console ring, --disk) and `xenlab demo` (what `npm start` runs), end to end.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, xenlab } from './cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'xenlab-build-'));

// A kernel that prints on the emergency console, then on the console ring, then powers off.
const RING_KERNEL = `
import "minios/bootstrap";
import { printk } from "minios/console";
import { init_events } from "minios/events";
import { init_xencons_ring } from "minios/xencons_ring";
import { map_shared_info } from "minios/hypervisor";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

export function start_kernel(si: Ptr<start_info_t>): void {
  printk("one: emergency console\\n");
  map_shared_info(si);
  init_events();
  if (init_xencons_ring(si) == 0) printk("two: console ring\\n");
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`;

describe('xenlab build and run with Dom0', () => {
  it('build: compiles a kernel file to an ELF image, with a source listing on request', () => {
    const src = join(scratch, 'hello.ts');
    writeFileSync(src, readFileSync(join(repoRoot, 'grader/solutions/01-hello/kernel/hello.ts'), 'utf8'));
    const out = join(scratch, 'hello.elf');
    const r = xenlab(['build', src, '-o', out, '--listing']);
    expect(r.stderr).toMatch(/built .*hello\.elf \(an ELF file of [\d,]+ bytes/);
    expect(r.status).toBe(0);
    expect([...readFileSync(out).subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(r.stdout).toMatch(/HYPERVISOR_console_io/); // source lines in the listing
    expect(r.stdout).toMatch(/\bcall\b/);              // with the instructions made from them
    const run = xenlab(['run', out]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('Hello world\n');
  });

  it('build: a compile error is reported as file:line:column and writes nothing', () => {
    const src = join(scratch, 'broken.ts');
    writeFileSync(src, 'import "minios/bootstrap";import { type start_info_t } from "xen/public";\nexport function start_kernel(si: Ptr<start_info_t>): void {\n  let x: u32 = "text";\n}\n');
    const r = xenlab(['build', src, '-o', join(scratch, 'broken.elf')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken\.ts:3:\d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(scratch, 'broken.elf'))).toBe(false);
  });

  it('run: prints the console ring (drained by Dom0) in order with the emergency console', () => {
    const src = join(scratch, 'ring.ts');
    writeFileSync(src, RING_KERNEL);
    const elf = join(scratch, 'ring.elf');
    expect(xenlab(['build', src, '-o', elf]).status).toBe(0);
    const r = xenlab(['run', elf]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('one: emergency console\ntwo: console ring\n');
  });

  it('run: --disk with a missing image or a bad device name is bad input', () => {
    const elf = join(scratch, 'hello.elf');
    const missing = xenlab(['run', elf, '--disk', join(scratch, 'none.img')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/disk image .*none\.img' does not exist/);
    writeFileSync(join(scratch, 'd.img'), new Uint8Array(4096));
    const bad = xenlab(['run', elf, '--disk', `${join(scratch, 'd.img')},floppy`]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--disk expects IMAGE\[,VDEV/);
  });

  it('run --input types into the console ring; the demo kernel echoes it', () => {
    const elf = join(scratch, 'demo.elf');
    expect(xenlab(['build', join(repoRoot, 'minios/kernel/demo/demo.ts'), '-o', elf]).status).toBe(0);
    const typed = xenlab(['run', elf, '--input', 'hello ring\n']);
    expect(typed.status).toBe(0);
    expect(typed.stdout).toContain('echo: hello ring');
    const piped = xenlab(['run', elf, '--input', '-'], { input: 'from stdin\n' });
    expect(piped.stdout).toContain('echo: from stdin');
    const none = xenlab(['run', elf]);
    expect(none.stdout).not.toContain('echo:');
  });

  it('run into a pipe that closes early (| head) ends quietly, with no stack trace', () => {
    const src = join(scratch, 'chatty.ts');
    writeFileSync(src, `
import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_sched_op } from "minios/hypercalls";
import { SCHEDOP_shutdown, SHUTDOWN_poweroff } from "xen/public";

export function start_kernel(si: VoidPtr): void {
  for (let i: u32 = 0; i < 4000; i++) printk("a line long enough to fill a pipe buffer quickly: %u\\n", i);
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`);
    const elf = join(scratch, 'chatty.elf');
    const built = xenlab(['build', src, '-o', elf]);
    expect(built.stderr).toMatch(/built/);
    const cli = join(repoRoot, 'cli/main.ts');
    const r = spawnSync('bash', ['-c', `"${process.execPath}" --import tsx "${cli}" run "${elf}" | head -n 1; echo "status \${PIPESTATUS[0]}" >&2`],
      { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stdout).toMatch(/^a line long enough to fill a pipe buffer quickly: 0\n$/);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.stderr).toMatch(/status 0/);
  });

  it('demo (npm start): boots the demo kernel with Dom0 and a disk and powers off', () => {
    const r = xenlab(['demo']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^xenlab Mini-OS demo\n/);
    expect(r.stdout).toContain('xenstore: my name is demo');
    expect(r.stdout).toContain('console: now on the shared ring');
    expect(r.stdout).toMatch(/disk: wrote sector \d+ .*same bytes/);
    expect(r.stdout).toMatch(/powering off\n$/);
    expect(r.stderr).toContain('the demo kernel powered off');
  });
});
