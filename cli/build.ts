// xenlab build FILE.ts [-o|--out KERNEL] [--listing]: compile a kernel-language file (and what it imports) to an ELF32
// Xen PV kernel. Diagnostics go to stderr as file:line:column; the exit status is 0 built, 1 compile errors, 2 bad usage.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import chalk from 'chalk';
import { UsageError, npmCwdNote, parseArgs } from './args.js';
import { compileKernel, formatDiagnostic, type CompileResult } from '../minios/lang/index.js';

const BUILD_USAGE = 'usage: xenlab build FILE.ts [-o|--out KERNEL] [--listing]\n' +
  '  compiles FILE.ts (and what it imports) to an ELF32 Xen PV kernel, FILE.elf unless --out names it.\n' +
  '  --listing prints every source line with its addresses and instructions. Errors are file:line:column;\n' +
  '  exit status: 0 built, 1 compile errors (no kernel written), 2 bad usage.';

export const KIT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Compiles `file` with the kit's kernel library; the file's own folder is the only other folder it may import from. */
export function buildKernelFile(command: string, file: string, opts: { listing?: boolean } = {}): CompileResult {
  if (!file.endsWith('.ts')) throw new UsageError(`xenlab ${command}: '${file}' is not a kernel source file (expected a .ts file)`);
  if (!fs.existsSync(file)) throw new UsageError(`xenlab ${command}: cannot read '${file}': no such file${npmCwdNote(file)}`);
  const abs = path.resolve(file);
  return compileKernel({
    files: [abs], kitRoot: KIT_ROOT, allowedRoots: [path.join(KIT_ROOT, 'minios', 'kernel'), path.dirname(abs)], listing: opts.listing,
  });
}

/** Prints diagnostics with paths relative to the working directory. */
export function printDiagnostics(r: Extract<CompileResult, { ok: false }>): void {
  for (const d of r.diagnostics) {
    const near = path.isAbsolute(d.file) ? path.relative(process.cwd(), d.file) : d.file;
    const rel = near.startsWith('..') ? d.file : near;
    process.stderr.write(formatDiagnostic({ ...d, file: rel }) + '\n');
  }
  const n = r.diagnostics.length;
  process.stderr.write(chalk.red(`${n} error${n === 1 ? '' : 's'}; no kernel was written\n`));
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs('build', (argv.length === 1 && argv[0] === '-h' ? ['--help'] : argv).map((a) => (a === '-o' ? '--out' : a)),
    { out: 'string', output: 'string', listing: 'boolean', help: 'boolean' });
  if (options.help) { console.log(BUILD_USAGE); return 0; }
  if (positionals.length !== 1) throw new UsageError(BUILD_USAGE.split('\n')[0]!);
  const file = positionals[0]!;
  const out = (options.out ?? options.output ?? file.replace(/\.ts$/, '.elf')) as string;
  const r = buildKernelFile('build', file, { listing: Boolean(options.listing) });
  if (!r.ok) {
    printDiagnostics(r);
    return 1;
  }
  try {
    fs.writeFileSync(out, r.elf);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `its folder '${path.dirname(out)}' does not exist${npmCwdNote(out)}: create it, or give another --out`
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied: give --out a path in a folder you may write'
      : code === 'EISDIR' ? 'that is a folder: give --out a file name such as kernel.elf'
      : (e as Error).message;
    throw new UsageError(`xenlab build: cannot write '${out}': ${why}`);
  }
  if (r.listing !== undefined) process.stdout.write(r.listing.endsWith('\n') ? r.listing : r.listing + '\n');
  const loaded = r.image.sections.reduce((n, s) => n + s.size, 0);
  process.stderr.write(`${chalk.green('built')} ${out} (an ELF file of ${r.elf.length.toLocaleString('en-US')} bytes; ` +
    `${loaded.toLocaleString('en-US')} bytes of code and data once loaded, zeroed data included)\n`);
  return 0;
}
