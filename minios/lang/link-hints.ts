// Link errors that mean a kernel left out part of the kit's boot contract, reported at the kernel's entry file in
// the kit's terms rather than as a bare undefined symbol inside a library file the student never opened:
// no `import "minios/bootstrap"` (hypercall_page, shared_info_page, _start are missing), or no start_kernel
// for bootstrap's _start to call.
import path from 'node:path';
import type { AsmError } from '../asm/index.js';
import { diagAt, type Diagnostic } from './diagnostics.js';
import type { Program } from './program.js';

/** What minios/bootstrap provides, for the hint. */
const BOOTSTRAP_PROVIDES = '_start (where Xen enters the kernel: it loads the boot stack and calls start_kernel(start_info)), hypercall_page and shared_info_page';

/** A diagnostic in the kit's terms for a link error, or undefined when the error is not one of these. */
export function bootContractDiagnostic(prog: Program, entryFiles: string[], e: AsmError): Diagnostic | undefined {
  const m = /^undefined symbol '([^']+)'/.exec(e.problem);
  if (!m || !prog.kit) return undefined;
  const symbol = m[1];
  const entry = prog.modules.find((x) => entryFiles.some((f) => path.resolve(f) === x.file));
  if (!entry) return undefined;
  const at = entry.sf.statements[0] ?? entry.sf;
  const bootstrapFile = path.join(prog.kit.kernelDir, 'bootstrap.ts');
  const usedAt = e.pos ? ` (used at ${kitRelative(prog, e.pos.file)}:${e.pos.line})` : '';
  const bootstrapLoaded = prog.modules.some((x) => x.file === bootstrapFile);
  if (!bootstrapLoaded) {
    const globals = [...(prog.kit.fs.readFile(bootstrapFile) ?? '').matchAll(/^\s*global\s+([\w$.]+)/gm)].map((g) => g[1]);
    if (globals.includes(symbol)) {
      return diagAt(at, `the kernel does not import "minios/bootstrap", which defines '${symbol}'${usedAt}`, `add import "minios/bootstrap"; to ${path.basename(entry.file)}: it provides ${BOOTSTRAP_PROVIDES}`);
    }
  }
  if (symbol === 'start_kernel' && e.pos && path.resolve(e.pos.file) === bootstrapFile) {
    return diagAt(at, `the kernel has no start_kernel for minios/bootstrap's _start to call${usedAt}`, `define it in ${path.basename(entry.file)}: export function start_kernel(si: VoidPtr): void { ... } (si points at Xen's start_info)`);
  }
  return undefined;
}

function kitRelative(prog: Program, file: string): string {
  const rel = prog.kit ? path.relative(prog.kit.kernelDir, file) : '..';
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(file) : 'minios/' + rel.split(path.sep).join('/');
}
