// xenlab run KERNEL: build one domain from an ELF32 PV kernel and run it.
// Stdout carries only what the guest printed; everything else goes to stderr.
// Exit status: 0 powered off, 1 crashed, 2 bad input, 3 budget spent.
import { existsSync, readFileSync, statSync } from 'node:fs';
import chalk from 'chalk';
import { UsageError, npmCwdNote, parseArgs, parseCount } from './args.js';
import { BadKernelError } from '../hypervisor/index.js';
import { XenHost, HostSetupError, type HostDisk } from '../hypervisor/host.js';

export const DEFAULT_BUDGET = 2_000_000_000;

const RUN_USAGE = 'usage: xenlab run KERNEL [--memory MiB] [--cmdline STRING] [--budget N] [--wallclock TIME] [--stats] [--trace hypercalls] [--disk IMAGE[,VDEV[,r]]] [--input TEXT|-]\n' +
  '  KERNEL is an ELF32 PV kernel (xenlab build FILE.ts --out KERNEL makes one). The guest\'s output goes to stdout,\n' +
  '  reports to stderr. Exit status: 0 powered off, 1 crashed, 2 bad input, 3 the instruction budget ran out.\n' +
  '  --budget N     instructions of virtual time (default 2,000,000,000; 20M, 0x100000 and 1_000 work too)\n' +
  '  --input TEXT   typed into the console ring (- reads stdin); --disk IMAGE gives it xvda; --trace hypercalls';

export function parseWallclock(text: string): { sec: number; nsec: number } {
  if (/^\d+(\.\d+)?$/.test(text)) {
    const [s, frac = ''] = text.split('.');
    return { sec: Number(s), nsec: Number((frac + '000000000').slice(0, 9)) };
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new UsageError(`xenlab run: --wallclock expects an ISO time (2026-01-31T12:00:00Z) or Unix seconds, got '${text}'`);
  }
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
}

export function readKernelFile(command: string, path: string): Uint8Array {
  if (command === 'run' && /\.ts$/.test(path) && existsSync(path)) {
    throw new UsageError(`xenlab ${command}: '${path}' is kernel-language source, not a kernel: build it first with ` +
      `xenlab build ${path} --out KERNEL.elf, then run KERNEL.elf`);
  }
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UsageError(`xenlab ${command}: cannot read kernel '${path}': no such file${npmCwdNote(path)}`);
  }
  if (size > 256 * 1024 * 1024) throw new UsageError(`xenlab ${command}: kernel '${path}' is ${size} bytes; the limit is 256 MiB`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`xenlab ${command}: cannot read kernel '${path}': ${(e as Error).message}`);
  }
}

/** --disk IMAGE[,VDEV[,r]]: a raw image as the guest's virtual block device (xvda, writable, by default). */
export function parseDisk(text: string): HostDisk {
  const [target = '', vdev = 'xvda', mode = 'w', ...rest] = text.split(',');
  if (!target || rest.length || !/^(xvd[a-z]|hd[a-d]|sd[a-z])$/.test(vdev) || (mode !== 'r' && mode !== 'w')) {
    throw new UsageError(`xenlab: --disk expects IMAGE[,VDEV[,r|w]] such as disk.img,xvda,w; got '${text}'`);
  }
  if (!existsSync(target)) throw new UsageError(`xenlab: disk image '${target}' does not exist${npmCwdNote(target)}; create one with: truncate -s 16M ${target}`);
  return { target, vdev, mode };
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs('run', argv.length === 1 && argv[0] === '-h' ? ['--help'] : argv, {
    memory: 'string', cmdline: 'string', budget: 'string', wallclock: 'string', stats: 'boolean', trace: 'string', disk: 'string', input: 'string',
    help: 'boolean',
  });
  if (options.help) { console.log(RUN_USAGE); return 0; }
  if (positionals.length !== 1) throw new UsageError(RUN_USAGE.split('\n')[0]!);
  const memoryMiB = options.memory ? parseCount('run', 'memory', options.memory as string, 2, 1024) : 32;
  const budget = options.budget ? parseCount('run', 'budget', options.budget as string, 1, Number.MAX_SAFE_INTEGER) : DEFAULT_BUDGET;
  const cmdline = (options.cmdline as string | undefined) ?? '';
  if (Buffer.byteLength(cmdline) > 1023) throw new UsageError('xenlab run: --cmdline is longer than the 1023 bytes start_info holds');
  const trace = options.trace as string | undefined;
  if (trace !== undefined && trace !== 'hypercalls') throw new UsageError(`xenlab run: --trace supports 'hypercalls', got '${trace}'`);
  const nowMs = Date.now(); // the wall clock the guest sees at boot, never used to decide anything
  const wallclock = options.wallclock ? parseWallclock(options.wallclock as string) : { sec: Math.floor(nowMs / 1000), nsec: (nowMs % 1000) * 1e6 };
  const disks = options.disk ? [parseDisk(options.disk as string)] : [];
  const kernel = readKernelFile('run', positionals[0]!);

  const host = new XenHost({
    wallclock,
    onTrace: trace ? (line: string) => process.stderr.write(line.endsWith('\n') ? line : line + '\n') : undefined,
  });
  const hv = host.hv;
  let dom;
  try {
    dom = host.createDomain({ kernel, memoryMiB, cmdline, name: positionals[0]!.replace(/^.*[\\/]/, ''), disks });
  } catch (e) {
    if (e instanceof BadKernelError) throw new UsageError(`xenlab run: ${positionals[0]}: ${e.message}`);
    if (e instanceof HostSetupError) throw new UsageError(`xenlab run: ${e.message}`);
    throw e;
  }
  host.onConsole((_domid, text) => { process.stdout.write(text); });
  if (options.input !== undefined) {
    // Typed into the guest's console ring (as `xl console` keystrokes), flow-controlled by Dom0's backend.
    const text = options.input === '-' ? readFileSync(0) : Buffer.from(options.input as string);
    host.dom0.consoles.get(dom.domid)?.input(new Uint8Array(text));
  }

  const started = process.hrtime.bigint();
  const result = host.run({ budget });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await host.close();

  if (options.stats) {
    process.stderr.write(`instructions: ${result.instructions}\n` +
      `virtual time: ${(Number(hv.clock.ns()) / 1e6).toFixed(3)} ms\n` +
      `host time: ${seconds.toFixed(3)} s\n` +
      `mips: ${(result.instructions / Math.max(seconds, 1e-9) / 1e6).toFixed(1)}\n`);
  }
  if (dom.state === 'crashed') {
    process.stderr.write(chalk.red(`domain ${dom.domid} (${dom.name}) crashed\n`) + (dom.crashReport ?? '') + '\n');
    if (dom.crash) {
      const eip = dom.crash.eip.toString(16).padStart(8, '0');
      process.stderr.write(`to see the source line: xenlab build YOUR_FILE.ts --listing prints every line with its code; look for ${eip}\n`);
    }
    return 1;
  }
  if (result.outcome === 'budget') {
    const n = budget.toLocaleString('en-US');
    process.stderr.write(chalk.yellow(dom.state === 'blocked'
      ? `xenlab run: the domain was asleep, waiting for an event, when the budget of ${n} instructions ran out: ` +
        `if it waits for console input, give it with --input TEXT (--input - reads stdin); else raise --budget\n`
      : `xenlab run: the budget of ${n} instructions ran out while the domain was still running: it spins somewhere ` +
        `(a loop, or start_kernel returned and the bootstrap loops at .halt); raise --budget if it needs longer\n`));
    return 3;
  }
  if (dom.shutdownReason === 'poweroff') return 0;
  const why: Record<string, string> = {
    crash: 'SHUTDOWN_crash: the kernel gave up; what it printed last says why',
    reboot: 'SHUTDOWN_reboot: xenlab run does not restart it',
    suspend: 'SHUTDOWN_suspend: xenlab run does not resume it',
  };
  process.stderr.write(chalk.yellow(`domain ${dom.domid} (${dom.name}) shut down with reason '${dom.shutdownReason ?? 'unknown'}'` +
    `${why[dom.shutdownReason ?? ''] ? ` (${why[dom.shutdownReason!]})` : ''}\n`));
  return dom.shutdownReason === 'crash' ? 1 : 0;
}
