// xenlab machine KERNEL: boot a Multiboot (v1) ELF kernel on the bare machine,
// no hypervisor. Serial output (COM1) goes to stdout. The exit status is the
// isa-debug-exit status ((value << 1) | 1) when the kernel writes port 0xf4,
// 0 on hlt with interrupts off, 2 bad input, 3 budget spent.
import chalk from 'chalk';
import { UsageError, parseArgs, parseCount } from './args.js';
import { readKernelFile, DEFAULT_BUDGET } from './run.js';
import { bootMultiboot } from '../machine/multiboot.js';

export async function main(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs('machine', argv, { memory: 'string', cmdline: 'string', budget: 'string', stats: 'boolean' });
  if (positionals.length !== 1) throw new UsageError('usage: xenlab machine KERNEL [--cmdline STRING] [--memory MiB] [--budget N] [--stats]');
  const memoryMiB = options.memory ? parseCount('machine', 'memory', options.memory as string, 2, 1024) : 32;
  const budget = options.budget ? parseCount('machine', 'budget', options.budget as string, 1, Number.MAX_SAFE_INTEGER) : DEFAULT_BUDGET;
  const elf = readKernelFile('machine', positionals[0]!);
  const started = process.hrtime.bigint();
  const r = bootMultiboot(elf, {
    memoryMiB, budget, cmdline: (options.cmdline as string | undefined) ?? '',
    onSerial: (s: string) => process.stdout.write(s),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (options.stats) {
    process.stderr.write(`instructions: ${r.instructions}\nhost time: ${seconds.toFixed(3)} s\nmips: ${(r.instructions / Math.max(seconds, 1e-9) / 1e6).toFixed(1)}\n`);
  }
  switch (r.exit) {
    case 'bad-image': throw new UsageError(`xenlab machine: ${positionals[0]}: ${r.message ?? 'not a Multiboot ELF kernel'}`);
    case 'debug-exit': return r.status ?? 1;
    case 'hlt': return 0;
    case 'budget':
      process.stderr.write(chalk.yellow(`xenlab machine: the instruction budget of ${budget} ran out\n`));
      return 3;
    case 'triple-fault':
      process.stderr.write(chalk.red(`xenlab machine: triple fault${r.message ? `: ${r.message}` : ''}\n`));
      return 1;
  }
}
