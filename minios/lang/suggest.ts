// Where a name the kernel uses without importing it is exported: among the modules already loaded (the submission's
// own files and the kit modules it imports), "xen/public", and the rest of the kit library (minios/kernel), so that
// "cannot find name" can say which import line to write.
import path from 'node:path';
import { xenPublic } from './xen.js';
import type { Program } from './program.js';

const XEN_SPECIFIER = 'xen/public';

/** The specifier a kernel file `from` would import `name` with, or undefined when nothing exports it. */
export function exportingModule(prog: Program, from: string, name: string): string | undefined {
  const kernelDir = prog.kit?.kernelDir;
  const specifierOf = (file: string): string => {
    if (file === XEN_SPECIFIER) return XEN_SPECIFIER;
    if (kernelDir) {
      const rel = path.relative(kernelDir, file);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) return 'minios/' + rel.split(path.sep).join('/').replace(/\.ts$/, '');
    }
    const rel = path.relative(path.dirname(from), file).split(path.sep).join('/').replace(/\.ts$/, '.js');
    return rel.startsWith('.') ? rel : './' + rel;
  };
  const loaded = prog.modules.find((m) => m.file !== from && m.exports.has(name));
  if (loaded) return specifierOf(loaded.file);
  const pub = xenPublic();
  if (pub.constants.has(name) || pub.strings.has(name) || pub.structs.has(name)) return XEN_SPECIFIER;
  if (!kernelDir || !prog.kit?.fs.list) return undefined;
  const exported = new RegExp(`^export\\s+(?:declare\\s+)?(?:function|const|let|enum|interface|type)\\s+${name.replace(/\$/g, '\\$')}\\b`, 'm');
  const files = (prog.kit.fs.list(kernelDir) ?? []).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
  for (const f of files) {
    const file = path.join(kernelDir, f);
    const text = prog.kit.fs.readFile(file);
    if (text !== undefined && exported.test(text)) return specifierOf(file);
  }
  return undefined;
}

/** The hint for a name that is not declared or imported. */
export function importHint(prog: Program, from: string, name: string, fallback: string): string {
  const spec = exportingModule(prog, from, name);
  return spec ? importLine(spec, name) : fallback;
}

/** The hint for a type or constant of "xen/public" used without importing it. */
export function xenImportHint(name: string): string {
  return importLine(XEN_SPECIFIER, name);
}

function importLine(spec: string, name: string): string {
  return `it is exported by "${spec}": import { ${name} } from "${spec}";`;
}
