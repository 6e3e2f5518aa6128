// Loading a kernel: parse each file with TypeScript's parser, resolve imports, and collect the top-level declarations
// every module can see (functions, globals, constants, const enums, interfaces, type aliases).
import ts from 'typescript';
import path from 'node:path';
import { CompileError, errorAt, type Diagnostic } from './diagnostics.js';
import type { KType, StructType } from './types.js';
import type { Expr } from './ir.js';
import { xenPublic } from './xen.js';

export interface FileSystem {
  readFile(file: string): string | undefined;
  exists(file: string): boolean;
  /** Names of the files in a folder (optional: used only to suggest which kit module exports a missing name). */
  list?(dir: string): string[] | undefined;
}

/** A name visible at module level. */
export type Decl =
  | { k: 'func'; name: string; sym: string; node: ts.FunctionDeclaration; module: Module; external: boolean; type?: KType }
  | { k: 'global'; name: string; sym: string; node: ts.VariableDeclaration; module: Module; isConst: boolean; type?: KType; storage?: boolean; external?: boolean }
  | { k: 'const'; name: string; node?: ts.Node; module?: Module; value?: bigint; type?: KType; str?: string; addr?: Expr; state?: 'busy' | 'done' }
  | { k: 'enum'; name: string; node: ts.EnumDeclaration; module: Module; members?: Map<string, bigint> }
  | { k: 'struct'; name: string; node?: ts.InterfaceDeclaration; module?: Module; st?: StructType; state?: 'busy' | 'done' }
  | { k: 'alias'; name: string; node: ts.TypeAliasDeclaration; module: Module; type?: KType; state?: 'busy' | 'done' };

export interface Module {
  file: string;
  sf: ts.SourceFile;
  /** Names declared here. */
  own: Map<string, Decl>;
  /** Names declared here with `export`. */
  exports: Map<string, Decl>;
  /** Everything visible at module level: own names plus imports. */
  scope: Map<string, Decl>;
  /** Modules this one imports, in source order. */
  deps: Module[];
  /** The file did not parse: its errors are reported and it is not checked. */
  broken?: boolean;
}

export interface Program {
  modules: Module[];
  /** Modules in emission order: dependencies before dependents. */
  order: Module[];
  /** Symbol name -> where it was defined, to catch clashes between files. */
  symbols: Map<string, { file: string; node: ts.Node }>;
  diagnostics: Diagnostic[];
  /** The kit's kernel library folder and how to read it (for suggestions in diagnostics). */
  kit?: { kernelDir: string; fs: FileSystem };
}

export interface LoadOptions {
  files: string[];
  /** Directory of the kit's kernel library (minios/kernel). */
  kernelDir: string;
  allowedRoots: string[];
  fs: FileSystem;
}

const XEN_SPECIFIER = 'xen/public';
const KIT_PREFIX = 'minios/';
const ALLOWED_IMPORTS = 'a kernel may import only files in its own folder ("./util.js"), the kit library ("minios/<module>") and "xen/public"';

function within(file: string, root: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

let xenModule: Module | undefined;

/** "xen/public" as a pseudo-module whose exports are hypervisor/public's structs and constants. */
function xenPublicModule(): Module {
  if (xenModule) return xenModule;
  const pub = xenPublic();
  const exports = new Map<string, Decl>();
  for (const [name, st] of pub.structs) exports.set(name, { k: 'struct', name, st, state: 'done' });
  for (const [name, value] of pub.constants) exports.set(name, { k: 'const', name, value, type: { k: 'lit', big: false }, state: 'done' });
  for (const [name, str] of pub.strings) exports.set(name, { k: 'const', name, str, state: 'done' });
  const sf = ts.createSourceFile(XEN_SPECIFIER, '', ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  xenModule = { file: XEN_SPECIFIER, sf, own: exports, exports, scope: exports, deps: [] };
  return xenModule;
}

export function loadProgram(opts: LoadOptions): Program {
  const prog: Program = { modules: [], order: [], symbols: new Map(), diagnostics: [] };
  const byFile = new Map<string, Module>();
  const roots = opts.allowedRoots.map((r) => path.resolve(r));

  const kernelDir = path.resolve(opts.kernelDir);
  prog.kit = { kernelDir, fs: opts.fs };

  /**
   * Where an import leads. Whether it is allowed is decided from the specifier alone, before any file is looked at:
   * under the grader's sandbox a forbidden file cannot even be seen, and "cannot find" would hide the real reason.
   */
  const resolveSpecifier = (spec: string, from: string): { file: string } | { refused: string } | { missing: string[] } => {
    let base: string;
    if (spec.startsWith(KIT_PREFIX)) {
      base = path.join(kernelDir, spec.slice(KIT_PREFIX.length));
      if (!within(base, kernelDir)) return { refused: 'it leads out of the kit library (minios/)' };
    } else if (spec.startsWith('./') || spec.startsWith('../') || path.isAbsolute(spec)) {
      base = path.resolve(path.dirname(from), spec);
    } else {
      return { refused: 'a kernel cannot use Node modules or npm packages' };
    }
    const stem = base.replace(/\.(js|ts)$/, '');
    const candidates = [stem + '.ts', stem + '.kernel.ts', path.join(stem, 'index.ts')].filter((c) => roots.some((r) => within(c, r)));
    if (!candidates.length) return { refused: 'it leads outside the folders this kernel may use (its own folder and the kit library)' };
    const found = candidates.find((c) => opts.fs.exists(c));
    return found ? { file: found } : { missing: candidates };
  };

  const load = (file: string, importer?: ts.Node): Module | undefined => {
    const abs = path.resolve(file);
    const have = byFile.get(abs);
    if (have) return have;
    // An import was checked against the roots by resolveSpecifier; this is for the files the caller names.
    if (!importer && !roots.some((r) => within(abs, r))) {
      prog.diagnostics.push({ file, line: 1, column: 1, message: `'${file}' is outside the folders this kernel may use`, hint: 'give a file inside the submission folder' });
      return undefined;
    }
    const text = opts.fs.readFile(abs);
    if (text === undefined) {
      const msg = `cannot read '${file}'`;
      if (importer) prog.diagnostics.push(errorAt(importer, msg).diag);
      else prog.diagnostics.push({ file, line: 1, column: 1, message: msg, hint: 'check the path' });
      return undefined;
    }
    const sf = ts.createSourceFile(abs, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const m: Module = { file: abs, sf, own: new Map(), exports: new Map(), scope: new Map(), deps: [] };
    byFile.set(abs, m);
    prog.modules.push(m);
    const parseErrors = (sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
    for (const d of parseErrors) {
      const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
      prog.diagnostics.push({ file: abs, line: line + 1, column: character + 1, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') });
    }
    if (parseErrors.length) {
      m.broken = true;
      return m;
    }
    // Imports first (depth first), so that a clash between a kit symbol and one of the student's is reported in the
    // student's file; names are bound once every module's declarations are known (cycles are fine).
    const pending: { st: ts.ImportDeclaration; spec: string; dep: Module }[] = [];
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st)) continue;
      const spec = (st.moduleSpecifier as ts.StringLiteral).text;
      let dep: Module | undefined;
      if (spec === XEN_SPECIFIER) dep = xenPublicModule();
      else {
        const target = resolveSpecifier(spec, abs);
        if ('refused' in target) {
          prog.diagnostics.push(errorAt(st.moduleSpecifier, `import of '${spec}' is not allowed: ${target.refused}`, ALLOWED_IMPORTS).diag);
          continue;
        }
        if ('missing' in target) {
          const tried = target.missing.map((c) => path.relative(path.dirname(abs), c)).join(' or ');
          prog.diagnostics.push(errorAt(st.moduleSpecifier, `cannot find kernel module '${spec}'`, `no file ${tried} exists; check the spelling (${ALLOWED_IMPORTS})`).diag);
          continue;
        }
        dep = load(target.file, st.moduleSpecifier);
      }
      if (!dep) continue;
      m.deps.push(dep);
      pending.push({ st, spec, dep });
    }
    collectDeclarations(m, prog);
    bindings.push(() => bindImports(m, pending, prog));
    return m;
  };
  const bindings: (() => void)[] = [];

  for (const f of opts.files) load(f);
  for (const b of bindings) b();
  nameSymbols(prog);

  // Emission order: a module after everything it imports; the module holding _start first of all.
  const seen = new Set<Module>();
  const visit = (m: Module) => {
    if (seen.has(m) || m === xenModule) return;
    seen.add(m);
    for (const d of m.deps) visit(d);
    prog.order.push(m);
  };
  for (const m of prog.modules) visit(m);
  const boot = prog.order.findIndex((m) => /^\s*_start\s*:/m.test(m.sf.text));
  if (boot > 0) prog.order.unshift(...prog.order.splice(boot, 1));
  return prog;
}

function bindImports(m: Module, pending: { st: ts.ImportDeclaration; spec: string; dep: Module }[], prog: Program): void {
  for (const { st, spec, dep } of pending) {
    const clause = st.importClause;
    if (!clause) continue;
    if (clause.name) {
      prog.diagnostics.push(errorAt(clause.name, 'default imports are not part of the kernel language', 'import names: import { name } from "..."').diag);
    }
    const nb = clause.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) {
      prog.diagnostics.push(errorAt(nb, 'namespace imports (import * as x) are not part of the kernel language', 'import the names you use: import { a, b } from "..."').diag);
    } else if (nb) {
      for (const el of nb.elements) {
        const name = (el.propertyName ?? el.name).text;
        const d = dep.exports.get(name);
        if (!d) {
          prog.diagnostics.push(errorAt(el, `module '${spec}' has no export named '${name}'`,
            dep.file === XEN_SPECIFIER ? 'see hypervisor/public for the names of the guest ABI' : 'export it from that file, or check the spelling').diag);
          continue;
        }
        if (m.own.has(el.name.text)) {
          prog.diagnostics.push(errorAt(el, `'${el.name.text}' is imported and also declared in this file`, 'rename one of them').diag);
          continue;
        }
        m.scope.set(el.name.text, d);
      }
    }
  }
  for (const [n, d] of m.own) m.scope.set(n, d);
}

/**
 * Symbols of module-private functions and globals: their own name when no other module uses it (as C's static
 * functions read in a listing), else `name@module` so that two files may each have a private `ring` or `init`.
 */
function nameSymbols(prog: Program): void {
  const privates = new Map<string, Decl[]>();
  for (const m of prog.modules) {
    for (const d of m.own.values()) {
      if ((d.k === 'func' && !d.external) || (d.k === 'global' && !d.external)) {
        if (m.exports.get(d.name) === d) continue;
        (privates.get(d.name) ?? privates.set(d.name, []).get(d.name)!).push(d);
      }
    }
  }
  for (const [name, decls] of privates) {
    if (decls.length === 1 && !prog.symbols.has(name)) {
      prog.symbols.set(name, { file: (decls[0] as { module: Module }).module.file, node: (decls[0] as { node: ts.Node }).node });
      continue;
    }
    for (const d of decls) {
      const stem = path.basename((d as { module: Module }).module.file).replace(/\.(kernel\.)?ts$/, '').replace(/[^\w]/g, '_');
      (d as { sym: string }).sym = `${name}@${stem}`;
    }
  }
}

function isExported(node: ts.Node): boolean {
  return (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0;
}

function hasDeclare(node: ts.Node): boolean {
  return (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Ambient) !== 0;
}

function collectDeclarations(m: Module, prog: Program): void {
  const add = (name: ts.Identifier, d: Decl, exported: boolean) => {
    if (m.own.has(name.text)) {
      prog.diagnostics.push(errorAt(name, `'${name.text}' is declared twice in this file`, 'rename one of them').diag);
      return;
    }
    m.own.set(name.text, d);
    if (exported) m.exports.set(name.text, d);
  };
  const claimSymbol = (sym: string, node: ts.Node) => {
    const prev = prog.symbols.get(sym);
    if (prev) {
      const where = `${path.basename(prev.file)}:${prev.node.getSourceFile().getLineAndCharacterOfPosition(prev.node.getStart()).line + 1}`;
      prog.diagnostics.push(errorAt(node, `the symbol '${sym}' is already defined (${where})`, 'kernel functions and globals share one namespace, as in C: rename one').diag);
      return;
    }
    prog.symbols.set(sym, { file: m.file, node });
  };

  for (const st of m.sf.statements) {
    try {
      if (ts.isImportDeclaration(st)) continue;
      if (ts.isFunctionDeclaration(st)) {
        if (!st.name) throw errorAt(st, 'a function needs a name');
        const external = hasDeclare(st) || !st.body;
        if (!external && isExported(st)) claimSymbol(st.name.text, st.name);
        add(st.name, { k: 'func', name: st.name.text, sym: st.name.text, node: st, module: m, external }, isExported(st));
      } else if (ts.isVariableStatement(st)) {
        const isConst = (st.declarationList.flags & ts.NodeFlags.Const) !== 0;
        if (!isConst && !(st.declarationList.flags & ts.NodeFlags.Let)) throw errorAt(st, "'var' is not part of the kernel language", "use 'let' or 'const'");
        const external = hasDeclare(st);
        for (const v of st.declarationList.declarations) {
          if (!ts.isIdentifier(v.name)) throw errorAt(v.name, 'destructuring is not part of the kernel language', 'declare one variable per name');
          if (external) {
            // `declare const name: T` names data defined in asm: CArray/struct types name its storage.
            if (!v.type) throw errorAt(v.name, `declared variable '${v.name.text}' needs a type`, 'e.g. declare const stack_top: CArray<u8, 1>;');
            add(v.name, { k: 'global', name: v.name.text, sym: v.name.text, node: v, module: m, isConst, external: true }, isExported(st));
            continue;
          }
          if (isConst && v.initializer && isCompileTimeInit(v.initializer)) {
            add(v.name, { k: 'const', name: v.name.text, node: v, module: m }, isExported(st));
          } else {
            if (isExported(st)) claimSymbol(v.name.text, v.name);
            add(v.name, { k: 'global', name: v.name.text, sym: v.name.text, node: v, module: m, isConst }, isExported(st));
          }
        }
      } else if (ts.isEnumDeclaration(st)) {
        const isConstEnum = (ts.getCombinedModifierFlags(st) & ts.ModifierFlags.Const) !== 0;
        if (!isConstEnum) throw errorAt(st.name, "only 'const enum' is part of the kernel language", "write 'const enum " + st.name.text + "'");
        add(st.name, { k: 'enum', name: st.name.text, node: st, module: m }, isExported(st));
      } else if (ts.isInterfaceDeclaration(st)) {
        add(st.name, { k: 'struct', name: st.name.text, node: st, module: m }, isExported(st));
      } else if (ts.isTypeAliasDeclaration(st)) {
        add(st.name, { k: 'alias', name: st.name.text, node: st, module: m }, isExported(st));
      } else if (ts.isExpressionStatement(st) && ts.isTaggedTemplateExpression(st.expression)) {
        continue; // module-level asm, handled by the checker
      } else if (ts.isEmptyStatement(st)) {
        continue;
      } else if (ts.isClassDeclaration(st)) {
        throw errorAt(st, 'classes are not part of the kernel language', 'use an interface for the data and functions that take it');
      } else if (ts.isExportDeclaration(st) || ts.isExportAssignment(st)) {
        throw errorAt(st, 'export lists and re-exports are not part of the kernel language', "write 'export' on the declaration itself");
      } else if (ts.isModuleDeclaration(st)) {
        throw errorAt(st, 'namespaces are not part of the kernel language', 'use a separate kernel file');
      } else {
        throw errorAt(st, `a ${describeSyntax(st)} cannot appear at module level`, 'code belongs inside a function; module level holds declarations and asm`...`');
      }
    } catch (e) {
      if (e instanceof CompileError) prog.diagnostics.push(e.diag);
      else throw e;
    }
  }
}

/** A module-level const is a compile-time constant unless it names static storage (static_buffer / static_struct). */
function isCompileTimeInit(e: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return !(ts.isCallExpression(e) && ts.isIdentifier(e.expression) && ['static_buffer', 'static_struct'].includes(e.expression.text));
}

/** A readable name for a syntax kind, for "X is not part of the kernel language". */
export function describeSyntax(node: ts.Node): string {
  const names: Partial<Record<ts.SyntaxKind, string>> = {
    [ts.SyntaxKind.ArrowFunction]: 'arrow function (closure)',
    [ts.SyntaxKind.FunctionExpression]: 'function expression (closure)',
    [ts.SyntaxKind.ObjectLiteralExpression]: 'object literal',
    [ts.SyntaxKind.ArrayLiteralExpression]: 'array literal',
    [ts.SyntaxKind.NewExpression]: "'new' expression",
    [ts.SyntaxKind.ThisKeyword]: "'this'",
    [ts.SyntaxKind.TemplateExpression]: 'template string with substitutions',
    [ts.SyntaxKind.TryStatement]: "'try' statement (exceptions)",
    [ts.SyntaxKind.ThrowStatement]: "'throw' statement (exceptions)",
    [ts.SyntaxKind.ForInStatement]: "'for...in' loop",
    [ts.SyntaxKind.ForOfStatement]: "'for...of' loop",
    [ts.SyntaxKind.LabeledStatement]: 'labeled statement',
    [ts.SyntaxKind.AwaitExpression]: "'await'",
    [ts.SyntaxKind.YieldExpression]: "'yield'",
    [ts.SyntaxKind.TypeOfExpression]: "'typeof' expression",
    [ts.SyntaxKind.DeleteExpression]: "'delete' expression",
    [ts.SyntaxKind.VoidExpression]: "'void' expression",
    [ts.SyntaxKind.AsExpression]: "'as' cast",
    [ts.SyntaxKind.TypeAssertionExpression]: 'type assertion',
    [ts.SyntaxKind.NonNullExpression]: "non-null assertion '!'",
    [ts.SyntaxKind.SpreadElement]: 'spread',
    [ts.SyntaxKind.ClassExpression]: 'class expression',
    [ts.SyntaxKind.RegularExpressionLiteral]: 'regular expression',
    [ts.SyntaxKind.NullKeyword]: "'null'",
    [ts.SyntaxKind.SuperKeyword]: "'super'",
    [ts.SyntaxKind.WithStatement]: "'with' statement",
    [ts.SyntaxKind.DebuggerStatement]: "'debugger' statement",
    [ts.SyntaxKind.ExpressionStatement]: 'statement',
    [ts.SyntaxKind.IfStatement]: "'if' statement",
    [ts.SyntaxKind.ForStatement]: "'for' loop",
    [ts.SyntaxKind.WhileStatement]: "'while' loop",
    [ts.SyntaxKind.DoStatement]: "'do' loop",
    [ts.SyntaxKind.SwitchStatement]: "'switch' statement",
    [ts.SyntaxKind.Block]: 'block',
    [ts.SyntaxKind.OptionalType]: 'optional type',
    [ts.SyntaxKind.UnionType]: 'union type',
    [ts.SyntaxKind.IntersectionType]: 'intersection type',
    [ts.SyntaxKind.TypeLiteral]: 'object type literal',
    [ts.SyntaxKind.ArrayType]: 'array type (T[])',
    [ts.SyntaxKind.TupleType]: 'tuple type',
    [ts.SyntaxKind.AnyKeyword]: "'any'",
    [ts.SyntaxKind.UnknownKeyword]: "'unknown'",
    [ts.SyntaxKind.StringKeyword]: "'string'",
    [ts.SyntaxKind.NumberKeyword]: "'number'",
    [ts.SyntaxKind.BigIntKeyword]: "'bigint'",
    [ts.SyntaxKind.ObjectKeyword]: "'object'",
  };
  return names[node.kind] ?? ts.SyntaxKind[node.kind].replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
