import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, xenlab } from './cli.js';
import { buildKernel } from '../machine/tests/mb/build.js';

const scratch = mkdtempSync(join(tmpdir(), 'xenlab-cli-'));

function oneClearLine(stderr: string) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0]!;
}

describe('xenlab command line', () => {
  it('lists its commands and rejects an unknown one with a suggestion', () => {
    const help = xenlab(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/run\s+KERNEL/);
    const bad = xenlab(['rnu']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("did you mean 'run'");
  });

  it('machine: boots a Multiboot kernel with --cmdline; exit status from isa-debug-exit, 3 when the budget runs out, 2 on a bad file', () => {
    const elf = join(scratch, 'mb.elf');
    writeFileSync(elf, buildKernel('echo-cmdline'));
    const r = xenlab(['machine', elf, '--cmdline', 'hello there', '--memory', '16']);
    expect(r.stdout).toBe('cmdline=hello there magic=2badb002 paging=0\n');
    expect(r.status).toBe(1); // the kernel writes 0 to port 0xf4: (0 << 1) | 1
    expect(xenlab(['machine', elf, '--budget', '5']).status).toBe(3);
    writeFileSync(join(scratch, 'junk.elf'), 'not an ELF file');
    const bad = xenlab(['machine', join(scratch, 'junk.elf')]);
    expect(bad.status).toBe(2);
    expect(oneClearLine(bad.stderr)).toMatch(/junk\.elf/);
  });

  it('run: a missing kernel file is bad input with one clear line', () => {
    const r = xenlab(['run', join(scratch, 'nope.elf')]);
    expect(r.status).toBe(2);
    expect(oneClearLine(r.stderr)).toMatch(/cannot read kernel .*nope\.elf/);
    expect(r.stdout).toBe('');
  });

  it('run: garbage is bad input with one clear line', () => {
    const f = join(scratch, 'garbage.bin');
    writeFileSync(f, Buffer.from('this is not an ELF file at all, just text\n'.repeat(20)));
    const r = xenlab(['run', f]);
    expect(r.status).toBe(2);
    expect(oneClearLine(r.stderr)).toMatch(/garbage\.bin: .*ELF/i);
  });

  it('run: a kernel-language source file instead of a kernel says to build it first', () => {
    const r = xenlab(['run', 'exercises/01-hello/kernel/hello.ts']);
    expect(r.status).toBe(2);
    expect(oneClearLine(r.stderr)).toMatch(/is kernel-language source, not a kernel: build it first with xenlab build exercises\/01-hello\/kernel\/hello\.ts --out KERNEL\.elf/);
  });

  it('gradescope: a name without .zip and an unknown exercise are bad usage that says which', () => {
    const noZip = xenlab(['gradescope', join(scratch, 'autograder')]);
    expect(noZip.status).toBe(2);
    expect(oneClearLine(noZip.stderr)).toMatch(/^xenlab gradescope: the autograder is a zip: name it OUT\.zip \(got '.*autograder'\)/);
    const noEx = xenlab(['gradescope', join(scratch, 'a.zip'), '09']);
    expect(oneClearLine(noEx.stderr)).toMatch(/^xenlab gradescope: no exercise '09'; exercises: 01-hello, /);
  });

  it('build: an output in a missing folder or onto a folder says which and what to do', () => {
    const src = 'exercises/01-hello/kernel/hello.ts';
    const missing = xenlab(['build', src, '-o', join(scratch, 'no-such-dir', 'k.elf')]);
    expect(missing.status).toBe(2);
    expect(oneClearLine(missing.stderr)).toMatch(/its folder '.*no-such-dir' does not exist: create it, or give another --out$/);
    expect(oneClearLine(xenlab(['build', src, '-o', scratch]).stderr)).toMatch(/that is a folder: give --out a file name/);
  });

  it('run and build: --help and -h print the usage with what the command does and its exit statuses', () => {
    for (const [command, says] of [['run', /usage: xenlab run KERNEL .*\n.*xenlab build FILE\.ts --out KERNEL makes one/], ['build', /usage: xenlab build FILE\.ts .*\n.*FILE\.elf unless --out/]] as const) {
      for (const flag of ['--help', '-h']) {
        const r = xenlab([command, flag]);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(says);
        expect(r.stdout).toMatch(/exit status: 0 /i);
      }
    }
  });

  it('run: a typo in an option names the option it meant', () => {
    const r = xenlab(['run', 'k.elf', '--budgte', '10']);
    expect(r.status).toBe(2);
    expect(oneClearLine(r.stderr)).toMatch(/unknown option --budgte \(did you mean --budget\?\)/);
  });

  it('run: a missing file typed in a subfolder under npm run says where paths are read from', () => {
    const away = xenlab(['run', 'kernel.elf'], { env: { INIT_CWD: join(scratch, 'exercises') } });
    expect(away.status).toBe(2);
    expect(oneClearLine(away.stderr)).toMatch(/no such file \(npm run runs xenlab from .* not from .*exercises where you typed it/);
    const here = xenlab(['run', 'kernel.elf'], { env: { INIT_CWD: repoRoot } });
    expect(oneClearLine(here.stderr)).not.toMatch(/npm run/);
  });

  /** Builds a PV kernel whose start_kernel is `body`; returns the ELF's path and the build's listing. */
  const kernel = (name: string, body: string) => {
    const src = join(scratch, `${name}.ts`);
    writeFileSync(src, 'import "minios/bootstrap";\nimport { HYPERVISOR_sched_op } from "minios/hypercalls";\n' +
      'import { SCHEDOP_block, type sched_shutdown_t } from "xen/public";\n' +
      `export function start_kernel(start_info: VoidPtr): void {\n  ${body}\n}\n`);
    const built = xenlab(['build', src, '-o', join(scratch, `${name}.elf`), '--listing']);
    expect(built.status).toBe(0);
    return { elf: join(scratch, `${name}.elf`), listing: built.stdout };
  };

  it('run: a crash report says how to find the source line of the faulting instruction', () => {
    const { elf, listing } = kernel('fault', 'const p = ptr<u32>(0x3ff00000); p[0] = 1;');
    const r = xenlab(['run', elf]);
    expect(r.status).toBe(1);
    const eip = /look for ([0-9a-f]{8})$/m.exec(r.stderr)?.[1];
    expect(r.stderr).toMatch(/--listing prints every line with its code/);
    expect(r.stderr).toContain(`eip: 0x${eip}`);
    // the listing shows that address under the line that faulted
    expect(listing).toMatch(new RegExp(`p\\[0\\] = 1;\\n(?:[0-9a-f]{8} .*\\n)*${eip} `));
  });

  it('run: a kernel that shuts down with SHUTDOWN_crash exits 1 and says the kernel gave up', () => {
    const { elf } = kernel('gives-up', 'const s = stack_struct<sched_shutdown_t>(); s.reason = 3; HYPERVISOR_sched_op(2, s);');
    const r = xenlab(['run', elf]);
    expect(r.status).toBe(1);
    expect(oneClearLine(r.stderr)).toMatch(/^domain 1 \(gives-up\.elf\) shut down with reason 'crash' \(SHUTDOWN_crash: the kernel gave up; what it printed last says why\)$/);
  });

  it('run: when the budget runs out, says whether the domain was spinning or asleep waiting for an event', () => {
    const spin = xenlab(['run', kernel('spin', 'while (true) {}').elf, '--budget', '200k']);
    expect(spin.status).toBe(3);
    expect(oneClearLine(spin.stderr)).toMatch(/budget of 200,000 instructions ran out while the domain was still running: it spins/);
    const sleep = xenlab(['run', kernel('sleep', 'while (true) HYPERVISOR_sched_op(SCHEDOP_block, NULL);').elf, '--budget', '1M']);
    expect(sleep.status).toBe(3);
    expect(oneClearLine(sleep.stderr)).toMatch(/the domain was asleep, waiting for an event, when the budget of 1,000,000 instructions ran out: .*--input TEXT/);
  });

  it('run: a bad number and a bad wall clock are bad input', () => {
    expect(oneClearLine(xenlab(['run', 'k.elf', '--budget', 'lots']).stderr)).toMatch(/--budget expects a number/);
    expect(oneClearLine(xenlab(['run', 'k.elf', '--wallclock', 'yesterday']).stderr)).toMatch(/--wallclock expects/);
    expect(xenlab(['run', 'k.elf', '--memory', '0']).status).toBe(2);
  });
});
