// xenlab's command line: `xenlab <command> [args]`. Each command lives in
// cli/<command>.ts and exports `main(argv): Promise<number>` (the exit status).
import chalk from 'chalk';
import { UsageError, editDistance } from './args.js';

type Command = { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  run: { summary: 'run KERNEL: boot one PV kernel (ELF32) under the hypervisor', load: () => import('./run.js') },
  demo: { summary: 'build and boot the demo kernel', load: () => import('./demo.js') },
  build: { summary: 'build FILE.ts: compile a kernel-language file to an ELF32 PV kernel', load: () => import('./build.js') },
  machine: { summary: 'machine KERNEL: boot a Multiboot kernel on the bare machine', load: () => import('./machine.js') },
  grade: { summary: 'grade [EXERCISE...]: build, boot and check exercises', load: () => import('./grade.js') },
  handout: { summary: 'handout OUTDIR: write the student hand-out', load: () => import('./handout.js') },
  gradescope: { summary: 'gradescope OUT.zip: write a Gradescope autograder', load: () => import('./gradescope.js') },
  create: { summary: 'create CONFIG|SCENARIO [-p] [-c]: start domains from an xl-style config (hosts them when no xenlab runs)', load: () => import('./create.js') },
  list: { summary: 'list the domains of the running host (name, id, memory, state, CPU time)', load: () => import('./toolstack.js').then((m) => ({ main: m.list })) },
  console: { summary: 'console DOMAIN: attach this terminal to a domain\'s console (Ctrl-] detaches)', load: () => import('./console.js') },
  destroy: { summary: 'destroy DOMAIN: stop a domain at once and free it', load: () => import('./toolstack.js').then((m) => ({ main: m.destroy })) },
  shutdown: { summary: 'shutdown DOMAIN|-a [-w] [-r]: ask a domain (or all) to power off (or reboot) through control/shutdown', load: () => import('./toolstack.js').then((m) => ({ main: m.shutdown })) },
  pause: { summary: 'pause DOMAIN: stop scheduling a domain', load: () => import('./toolstack.js').then((m) => ({ main: m.pause })) },
  unpause: { summary: 'unpause DOMAIN: schedule a paused domain again', load: () => import('./toolstack.js').then((m) => ({ main: m.unpause })) },
  xenstore: { summary: 'xenstore ls|read|write|rm PATH [VALUE]: the running host\'s XenStore', load: () => import('./xenstore.js') },
  'verify-report': { summary: 'verify-report FILE: check a signed JSON report', load: () => import('./verify-report.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return 'usage: xenlab <command> [options]\n\ncommands:\n' +
    Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary.replace(/^\S+ ?/, (w) => (w.trim() === name ? '' : w))}`).join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    const near = Object.keys(commands).find((c) => editDistance(c, name) <= 2);
    console.error(chalk.red(`xenlab: unknown command '${name}'`) + (near ? ` (did you mean '${near}'?)` : '') + '\n' + usage());
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.main(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(chalk.red(err.message));
      return 2;
    }
    if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /cli[\\/]/.test(err.message)) {
      console.error(chalk.red(`xenlab ${name}: this command is not available in this build of the kit yet`));
      return 2;
    }
    throw err;
  }
}

// A reader that closes the pipe early (`xenlab run K | head`) has all it wants: stop quietly, as cat does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2));
