// xenlab demo (npm start): compile the demo kernel (minios/kernel/demo/demo.ts), boot it under the hypervisor with
// Dom0 and a scratch disk, and show what it printed. The disk is a fresh 1 MiB image in a temporary folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import chalk from 'chalk';
import { parseArgs, parseCount } from './args.js';
import { KIT_ROOT, buildKernelFile, printDiagnostics } from './build.js';
import { XenHost } from '../hypervisor/host.js';

export async function main(argv: string[]): Promise<number> {
  const { options } = parseArgs('demo', argv, { budget: 'string', stats: 'boolean' });
  const budget = options.budget ? parseCount('demo', 'budget', options.budget as string, 1, Number.MAX_SAFE_INTEGER) : 2_000_000_000;
  const source = path.join(KIT_ROOT, 'minios', 'kernel', 'demo', 'demo.ts');
  const t0 = process.hrtime.bigint();
  process.stderr.write(chalk.dim(`compiling ${path.relative(process.cwd(), source) || source} ...\n`));
  const built = buildKernelFile('demo', source);
  if (!built.ok) {
    printDiagnostics(built);
    return 1;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-demo-'));
  try {
    const disk = path.join(dir, 'disk.img');
    fs.writeFileSync(disk, new Uint8Array(1 << 20));
    const t1 = process.hrtime.bigint();
    process.stderr.write(chalk.dim(`booting the demo kernel (${built.elf.length} bytes) with Dom0 and a 1 MiB disk as xvda ...\n`));
    const now = Date.now(); // what the guest's wall clock says; nothing is decided by it
    const host = new XenHost({ wallclock: { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 } });
    const dom = host.createDomain({ kernel: built.elf, name: 'demo', memoryMiB: 32, disks: [{ target: disk }] });
    host.onConsole((_d, text) => { process.stdout.write(text); });
    const r = host.run({ budget });
    await host.close();
    const t2 = process.hrtime.bigint();
    if (options.stats) {
      const run = Number(t2 - t1) / 1e9;
      process.stderr.write(`compile: ${(Number(t1 - t0) / 1e9).toFixed(3)} s\ninstructions: ${r.instructions}\nhost time: ${run.toFixed(3)} s\nmips: ${(r.instructions / Math.max(run, 1e-9) / 1e6).toFixed(1)}\n`);
    }
    if (dom.state === 'crashed') {
      process.stderr.write(chalk.red(`the demo kernel crashed\n`) + (dom.crashReport ?? '') + '\n');
      return 1;
    }
    if (r.outcome === 'budget') {
      process.stderr.write(chalk.yellow(`the demo kernel did not finish within ${budget} instructions\n`));
      return 3;
    }
    process.stderr.write(chalk.green(`the demo kernel powered off after ${r.instructions} instructions\n`) +
      chalk.dim('next: read exercises/01-hello/README.md, then `npm run --silent xenlab -- grade 01`\n'));
    return 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
