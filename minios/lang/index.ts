// minios/lang: the compiler for the kernel language, a static subset of TypeScript compiled to x86 for Xen PV guests.
// Pure: it reads the kit and the submission and returns bytes; it never writes files, spawns processes or runs user code.
import fs from 'node:fs';
import path from 'node:path';
import { AsmError, writeElf32, type LinkedImage } from '../asm/index.js';
import { checkProgram } from './check.js';
import { CompileError, formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { emitProgram } from './emit.js';
import { pruneUnreachable } from './prune.js';
import { bootContractDiagnostic } from './link-hints.js';
import { loadProgram, type FileSystem, type Program } from './program.js';

export { formatDiagnostic, type Diagnostic };

/** The guest header every kernel carries unless the caller overrides keys (must match the hypervisor's loader). */
export const KERNEL_XEN_GUEST: Readonly<Record<string, string>> = {
  GUEST_OS: 'xenlab-minios', XEN_VER: 'xen-3.0', VIRT_BASE: '0x0', ELF_PADDR_OFFSET: '0x0', HYPERCALL_PAGE: '0x2', PAE: 'no', LOADER: 'generic',
};

export interface CompileOptions {
  /** Entry .ts files of the kernel. */
  files: string[];
  /** The repository root of the kit (holding minios/kernel), or minios/kernel itself. */
  kitRoot: string;
  /** Folders the kernel may read: the kit's kernel library and the submission. Importing anything else is an error. */
  allowedRoots: string[];
  /** Also return a listing: each source line followed by the instructions made from it. */
  listing?: boolean;
  /** Keys merged over KERNEL_XEN_GUEST. */
  xenGuest?: Record<string, string>;
  /** Keep library functions nothing calls (by default they are left out of the kernel). */
  keepUnused?: boolean;
  /** Where to read files (defaults to node:fs reads). */
  fs?: FileSystem;
}

export type CompileResult =
  | { ok: true; elf: Uint8Array; listing?: string; image: LinkedImage }
  | { ok: false; diagnostics: Diagnostic[] };

export const nodeFs: FileSystem = {
  readFile(file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists(file) {
    try {
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  },
  list(dir) {
    try {
      return fs.readdirSync(dir);
    } catch {
      return undefined;
    }
  },
};

/** The kit's kernel library folder for a kit root. */
export function kernelDirOf(kitRoot: string, files: FileSystem = nodeFs): string {
  const nested = path.join(kitRoot, 'minios', 'kernel');
  return files.exists(path.join(nested, 'kit.d.ts')) ? nested : kitRoot;
}

export function compileKernel(opts: CompileOptions): CompileResult {
  const files = opts.fs ?? nodeFs;
  let prog: Program | undefined;
  try {
    prog = loadProgram({ files: opts.files, kernelDir: kernelDirOf(opts.kitRoot, files), allowedRoots: opts.allowedRoots, fs: files });
    const { ir, diagnostics } = checkProgram(prog);
    if (diagnostics.length) return { ok: false, diagnostics: sortDiagnostics(diagnostics) };
    if (!opts.keepUnused) pruneUnreachable(ir, new Set(opts.files.map((f) => path.resolve(f))));
    const { asm } = emitProgram(ir);
    const image = asm.link({ base: 0 });
    if (!image.symbols.has('_start')) {
      return { ok: false, diagnostics: [{ file: opts.files[0] ?? '<kernel>', line: 1, column: 1, message: 'the kernel has no entry point _start', hint: 'import "minios/bootstrap" (it defines _start and calls start_kernel), or write _start in asm`...`' }] };
    }
    const elf = writeElf32(image, { entry: '_start', xenGuest: { ...KERNEL_XEN_GUEST, ...opts.xenGuest } });
    return { ok: true, elf, image, listing: opts.listing ? sourceListing(image, files) : undefined };
  } catch (e) {
    if (e instanceof CompileError) return { ok: false, diagnostics: [e.diag] };
    if (e instanceof AsmError) {
      const boot = prog && bootContractDiagnostic(prog, opts.files, e);
      if (boot) return { ok: false, diagnostics: [boot] };
      // Every error of an asm`...` line or of linking carries the source line of the item at fault; one without
      // (none is known to reach here) is put on the first file rather than on a made-up name.
      return { ok: false, diagnostics: [{ file: e.pos?.file ?? opts.files[0] ?? '<kernel>', line: e.pos?.line ?? 1, column: e.pos?.column ?? 1, message: e.problem + (e.source ? ` (in '${e.source}')` : ''), hint: asmHint(e.problem) }] };
    }
    // Never a stack trace for a student's program: report the compiler's own failure as a diagnostic.
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, diagnostics: [{ file: opts.files[0] ?? '<kernel>', line: 1, column: 1, message: `internal compiler error: ${message}`, hint: 'this is a bug in minios/lang; please report it with the kernel source' }] };
  }
}

function asmHint(problem: string): string {
  if (/^section .* would hold/.test(problem)) return 'the section passes its size limit at this line: make the count smaller, or reserve zeroed space in .bss';
  return 'check the asm`...` text or the symbol it names';
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return d
    .filter((x) => {
      const k = `${x.file}:${x.line}:${x.column}:${x.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
}

/** The assembler's listing with each `; file:line` marker replaced by that source line's text. */
export function sourceListing(image: LinkedImage, files: FileSystem = nodeFs): string {
  const cache = new Map<string, string[] | undefined>();
  const lineOf = (file: string, line: number) => {
    if (!cache.has(file)) cache.set(file, files.readFile(file)?.split('\n'));
    return cache.get(file)?.[line - 1];
  };
  const out: string[] = [];
  let continuation = 0;
  for (const l of image.listing().split('\n')) {
    const m = /^; (.+):(\d+)$/.exec(l);
    if (m) {
      if (m[1] === '<runtime>' || m[1] === '<strings>') continue;
      const src = lineOf(m[1], Number(m[2]));
      out.push(src === undefined ? l : `; ${path.basename(m[1])}:${m[2]}  ${src.trim()}`);
      continuation = 0;
      continue;
    }
    // Long data (alignment padding, buffers): keep the first continuation row, count the rest.
    if (/^[0-9a-f]{8}  [0-9a-f ]+$/.test(l)) {
      continuation++;
      if (continuation === 2) out.push('          ...');
      if (continuation >= 2) continue;
    } else continuation = 0;
    out.push(l);
  }
  return out.join('\n');
}
