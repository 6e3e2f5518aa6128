// Statements, functions, globals and module-level asm: the whole program checked into IR, collecting every error.
import ts from 'typescript';
import { CompileError, errorAt, type Diagnostic } from './diagnostics.js';
import { resolveType } from './check-types.js';
import {
  checkExpr, coerce, condition, constValue, defaultType, funcType, globalType, internString, isConst, isVarArgs, type Ctx, type FnCtx,
} from './check-expr.js';
import type { Expr, Func, GlobalVar, Local, Pos, ProgramIR, Stmt } from './ir.js';
import { describeSyntax, type Decl, type Module, type Program } from './program.js';
import { alignOf, cstr, sizeOf, typeName, u32, voidT, type KType } from './types.js';

export function posOf(node: ts.Node): Pos {
  const sf = node.getSourceFile();
  const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return { file: sf.fileName, line: line + 1, column: character + 1 };
}

export function checkProgram(prog: Program): { ir: ProgramIR; diagnostics: Diagnostic[] } {
  const ir: ProgramIR = { items: [], strings: new Map(), helpers: new Set() };
  const diagnostics: Diagnostic[] = [...prog.diagnostics];
  const guard = (f: () => void) => {
    try {
      f();
    } catch (e) {
      if (e instanceof CompileError) diagnostics.push(e.diag);
      else throw e;
    }
  };
  for (const m of prog.order) {
    if (m.broken) continue;
    const ctx: Ctx = { prog, m, ir };
    for (const st of m.sf.statements) {
      guard(() => {
        if (ts.isExpressionStatement(st) && ts.isTaggedTemplateExpression(st.expression)) {
          ir.items.push({ k: 'asm', pos: posOf(st), text: asmText(ctx, st.expression) });
        } else if (ts.isFunctionDeclaration(st) && st.body && st.name) {
          ir.items.push({ k: 'func', f: checkFunction(ctx, m.own.get(st.name.text) as Extract<Decl, { k: 'func' }>) });
        } else if (ts.isFunctionDeclaration(st) && st.name) {
          funcType(ctx, m.own.get(st.name.text) as Extract<Decl, { k: 'func' }>);
        } else if (ts.isVariableStatement(st)) {
          for (const v of st.declarationList.declarations) {
            if (!ts.isIdentifier(v.name)) continue;
            const d = m.own.get(v.name.text);
            if (d?.k === 'global' && d.external) guard(() => void globalType(ctx, d));
            else if (d?.k === 'global') guard(() => ir.items.push({ k: 'global', g: checkGlobal(ctx, d) }));
            else if (d?.k === 'const') guard(() => void constValue(ctx, d));
          }
        }
      });
    }
  }
  return { ir, diagnostics };
}

// ---- asm templates ----

export function asmText(ctx: Ctx, node: ts.TaggedTemplateExpression): string {
  if (!ts.isIdentifier(node.tag) || node.tag.text !== 'asm') {
    throw errorAt(node.tag, 'the only tagged template in the kernel language is asm`...`');
  }
  const t = node.template;
  if (ts.isNoSubstitutionTemplateLiteral(t)) return rawOf(t);
  let text = rawOf(t.head);
  for (const span of t.templateSpans) {
    text += asmValue(ctx, span.expression) + rawOf(span.literal);
  }
  return text;
}

function rawOf(n: ts.TemplateLiteralLikeNode): string {
  // The raw text keeps backslashes as written (nasm strings use them as-is).
  return n.rawText ?? n.text;
}

/** ${x} inside asm: constants become numbers; functions and globals their symbol names. */
function asmValue(ctx: Ctx, e: ts.Expression): string {
  if (ts.isIdentifier(e)) {
    const d = ctx.m.scope.get(e.text);
    if (d && (d.k === 'func' || d.k === 'global')) return d.sym;
  }
  const v = checkExpr(ctx, e);
  if (isConst(v)) return v.value < 0n ? `(${v.value})` : `0x${v.value.toString(16)}`;
  if (v.k === 'symaddr') return v.offset ? `${v.sym}+${v.offset}` : v.sym;
  throw errorAt(e, 'a value inside asm`...` must be a constant, a function or a global', 'asm text is fixed when compiling; pass run-time values through a naked function\'s stack arguments');
}

// ---- globals ----

function checkGlobal(ctx: Ctx, d: Extract<Decl, { k: 'global' }>): GlobalVar {
  const v = d.node;
  const pos = posOf(v);
  const init = v.initializer;
  if (init && ts.isCallExpression(init) && ts.isIdentifier(init.expression) && ['static_buffer', 'static_struct'].includes(init.expression.text)) {
    const t = globalType(ctx, d);
    const kind = init.expression.text;
    let count = 1;
    let alignArg: ts.Expression | undefined;
    if (kind === 'static_buffer') {
      if (init.arguments.length < 1 || init.arguments.length > 2) throw errorAt(init, 'static_buffer<T>(count, align?) takes a count and an optional alignment');
      const c = checkExpr(ctx, init.arguments[0]);
      if (!isConst(c) || c.value <= 0n || c.value > 0x1000000n) throw errorAt(init.arguments[0], 'the count of static_buffer must be a constant from 1 to 16M');
      count = Number(c.value);
      alignArg = init.arguments[1];
    } else {
      if (init.arguments.length > 1) throw errorAt(init, 'static_struct<T>(align?) takes an optional alignment');
      alignArg = init.arguments[0];
    }
    const elem = t.k === 'ptr' ? t.to : t;
    let align = alignOf(elem);
    if (alignArg) {
      const a = checkExpr(ctx, alignArg);
      if (!isConst(a) || a.value <= 0n || (a.value & (a.value - 1n)) !== 0n || a.value > 0x400000n) throw errorAt(alignArg, 'the alignment must be a constant power of two (at most 4 MiB)');
      align = Math.max(align, Number(a.value));
    }
    if (d.isConst) {
      d.storage = true;
      return { sym: d.sym, pos, type: t, size: sizeOf(elem) * count, align, readonly: false };
    }
    // `let p = static_buffer(...)`: a pointer variable that starts at anonymous storage.
    const storage = `${d.sym}__storage`;
    ctx.ir.items.push({ k: 'global', g: { sym: storage, pos, type: elem, size: sizeOf(elem) * count, align, readonly: false } });
    return { sym: d.sym, pos, type: t, size: 4, align: 4, init: { bytes: [0, 0, 0, 0], relocs: [{ at: 0, sym: storage, offset: 0 }] }, readonly: false };
  }
  const t = globalType(ctx, d);
  if (t.k === 'void' || t.k === 'array') throw errorAt(v, `a global of type ${typeName(t)} is not supported`, 'use static_buffer<T>(n) for arrays');
  const size = t.k === 'struct' ? 4 : sizeOf(t);
  const g: GlobalVar = { sym: d.sym, pos, type: t, size, align: Math.min(4, size), readonly: false };
  if (init) {
    const e = coerce(checkExpr(ctx, init), t, init, `initial value of '${d.name}'`);
    const bytes = new Array<number>(size).fill(0);
    if (isConst(e)) {
      const u = BigInt.asUintN(size * 8, e.value);
      for (let i = 0; i < size; i++) bytes[i] = Number((u >> BigInt(8 * i)) & 0xffn);
      g.init = { bytes, relocs: [] };
    } else if (e.k === 'symaddr') {
      g.init = { bytes, relocs: [{ at: 0, sym: e.sym, offset: e.offset }] };
    } else {
      throw errorAt(init, `the initial value of global '${d.name}' must be known while compiling`, 'use a constant, a string literal, NULL or a function name; set it at run time in your init function');
    }
  }
  return g;
}

// ---- functions ----

function checkFunction(ctx: Ctx, d: Extract<Decl, { k: 'func' }>): Func {
  const node = d.node;
  if (node.asteriskToken) throw errorAt(node, 'generator functions are not part of the kernel language');
  if (node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) throw errorAt(node, 'async functions are not part of the kernel language');
  if (node.typeParameters) throw errorAt(node.typeParameters[0], 'generic functions are not part of the kernel language', 'write one function per type');
  for (const p of node.parameters) {
    if (!ts.isIdentifier(p.name)) throw errorAt(p.name, 'destructuring parameters are not part of the kernel language');
    if (p.dotDotDotToken && isVarArgs(p) && p === node.parameters[node.parameters.length - 1]) continue;
    if (p.dotDotDotToken) throw errorAt(p, 'rest parameters are not part of the kernel language', 'pass a pointer and a count');
    if (p.questionToken || p.initializer) throw errorAt(p, 'optional and default parameters are not part of the kernel language', 'pass every argument');
  }
  const ft = funcType(ctx, d);
  const body = node.body!;
  const naked = body.statements.length > 0 && ts.isExpressionStatement(body.statements[0]) && ts.isStringLiteral(body.statements[0].expression) && body.statements[0].expression.text === 'naked';
  const params: Local[] = [];
  let off = 8;
  node.parameters.slice(0, ft.params.length).forEach((p, i) => {
    const t = ft.params[i];
    params.push({ name: (p.name as ts.Identifier).text, type: t, offset: off, param: true });
    off += t.k === 'int' && t.bits === 64 ? 8 : 4;
  });
  const scope = new Map(params.map((p) => [p.name, p]));
  if (ft.variadic) {
    // The rest parameter names the address of the first extra argument word: a va_list.
    const rest = node.parameters[node.parameters.length - 1];
    const slot: Local = { name: `${(rest.name as ts.Identifier).text}$first`, type: u32, offset: off, param: true };
    const ptrT: KType = { k: 'ptr', to: u32 };
    scope.set((rest.name as ts.Identifier).text, { name: (rest.name as ts.Identifier).text, type: ptrT, offset: off, param: true, isConst: true, value: { k: 'addr', type: ptrT, place: { k: 'local', local: slot, type: u32 } } });
  }
  const func: Func = { name: d.sym, pos: posOf(node), params, locals: [], ret: ft.ret, body: [], naked, exported: true };
  const fn: FnCtx = { func, scopes: [scope], breakable: 0, continuable: 0 };
  const fctx: Ctx = { ...ctx, fn };
  if (naked) {
    for (const st of body.statements.slice(1)) {
      if (ts.isExpressionStatement(st) && ts.isTaggedTemplateExpression(st.expression)) func.body.push({ k: 'asm', pos: posOf(st), text: asmText(fctx, st.expression) });
      else throw errorAt(st, 'a naked function holds only asm`...` statements', 'it has no prologue, so plain statements could not find their variables');
    }
    return func;
  }
  func.body = checkStatements(fctx, body.statements);
  if (ft.ret.k !== 'void' && !endsWithReturn(func.body)) {
    throw errorAt(node.name ?? node, `function '${d.name}' can reach its end without returning a ${typeName(ft.ret)}`, 'end every path with a return');
  }
  return func;
}

/** Conservative: the last statement returns, or is an if/else whose branches both do, or an endless loop. */
function endsWithReturn(body: Stmt[]): boolean {
  const last = body[body.length - 1];
  if (!last) return false;
  switch (last.k) {
    case 'return': return true;
    case 'block': return endsWithReturn(last.body);
    case 'if': return !!last.else && endsWithReturn([last.then]) && endsWithReturn([last.else]);
    case 'while': return isConst(last.cond) && last.cond.value !== 0n && !containsBreak(last.body);
    case 'for': return (!last.cond || (isConst(last.cond) && last.cond.value !== 0n)) && !containsBreak(last.body);
    case 'do': return isConst(last.cond) && last.cond.value !== 0n && !containsBreak(last.body);
    case 'switch': return last.cases.some((c) => c.isDefault) && last.cases.every((c, i) => i < last.cases.length - 1 ? true : endsWithReturn(c.body)) && !last.cases.some((c) => c.body.some(containsBreakStmt));
    case 'asm': return false;
    default: return false;
  }
}

function containsBreak(s: Stmt): boolean {
  return containsBreakStmt(s);
}

/** A break that leaves this statement (not one inside a nested loop or switch). */
function containsBreakStmt(s: Stmt): boolean {
  switch (s.k) {
    case 'break': return true;
    case 'block': return s.body.some(containsBreakStmt);
    case 'if': return containsBreakStmt(s.then) || (!!s.else && containsBreakStmt(s.else));
    default: return false;
  }
}

function checkStatements(ctx: Ctx, stmts: readonly ts.Statement[]): Stmt[] {
  const out: Stmt[] = [];
  for (const st of stmts) {
    const s = checkStatement(ctx, st);
    if (s) out.push(s);
  }
  return out;
}

function inScope<T>(ctx: Ctx, f: () => T): T {
  ctx.fn!.scopes.push(new Map());
  try {
    return f();
  } finally {
    ctx.fn!.scopes.pop();
  }
}

function declareLocal(ctx: Ctx, name: ts.Identifier, type: KType, isConst: boolean, value?: Expr): Local {
  const fn = ctx.fn!;
  const scope = fn.scopes[fn.scopes.length - 1];
  if (scope.has(name.text)) throw errorAt(name, `'${name.text}' is already declared in this block`);
  const l: Local = { name: name.text, type, offset: 0, param: false, isConst, value };
  scope.set(name.text, l);
  if (!value) fn.func.locals.push(l);
  return l;
}

function checkStatement(ctx: Ctx, st: ts.Statement): Stmt | undefined {
  const pos = posOf(st);
  const fn = ctx.fn!;
  if (ts.isBlock(st)) return { k: 'block', pos, body: inScope(ctx, () => checkStatements(ctx, st.statements)) };
  if (ts.isExpressionStatement(st)) {
    const e = st.expression;
    if (ts.isTaggedTemplateExpression(e)) return { k: 'asm', pos, text: asmText(ctx, e) };
    if (ts.isStringLiteral(e) && e.text === 'naked') throw errorAt(e, '"naked" must be the first statement of the function');
    const ex = checkExpr(ctx, e);
    return { k: 'expr', pos, e: discardValue(ex) };
  }
  if (ts.isVariableStatement(st)) return checkVarList(ctx, st.declarationList, pos);
  if (ts.isIfStatement(st)) {
    const cond = condition(ctx, st.expression);
    const then = inScope(ctx, () => checkStatement(ctx, st.thenStatement)) ?? { k: 'block', pos, body: [] };
    const els = st.elseStatement ? inScope(ctx, () => checkStatement(ctx, st.elseStatement!)) : undefined;
    return { k: 'if', pos, cond, then, else: els };
  }
  if (ts.isWhileStatement(st)) {
    const cond = condition(ctx, st.expression);
    return { k: 'while', pos, cond, body: loopBody(ctx, st.statement, pos) };
  }
  if (ts.isDoStatement(st)) {
    const body = loopBody(ctx, st.statement, pos);
    return { k: 'do', pos, body, cond: condition(ctx, st.expression) };
  }
  if (ts.isForStatement(st)) {
    return inScope(ctx, () => {
      let init: Stmt | undefined;
      if (st.initializer) {
        if (ts.isVariableDeclarationList(st.initializer)) {
          init = checkVarList(ctx, st.initializer, posOf(st.initializer));
        } else init = { k: 'expr', pos: posOf(st.initializer), e: discardValue(checkExpr(ctx, st.initializer)) };
      }
      const cond = st.condition ? condition(ctx, st.condition) : undefined;
      const step = st.incrementor ? discardValue(checkExpr(ctx, st.incrementor)) : undefined;
      const body = loopBody(ctx, st.statement, pos);
      return { k: 'for', pos, init, cond, step, stepPos: st.incrementor ? posOf(st.incrementor) : undefined, body };
    });
  }
  if (ts.isSwitchStatement(st)) {
    const value = checkExpr(ctx, st.expression);
    const v = defaultType(value, st.expression);
    if (v.type.k !== 'int' || v.type.bits === 64) throw errorAt(st.expression, `switch needs an integer of at most 32 bits, not ${typeName(v.type)}`);
    const seen = new Map<bigint, ts.Node>();
    fn.breakable++;
    try {
      const cases = inScope(ctx, () => st.caseBlock.clauses.map((c) => {
        const values: bigint[] = [];
        if (ts.isCaseClause(c)) {
          const e = coerce(checkExpr(ctx, c.expression), v.type, c.expression, 'case label');
          if (!isConst(e)) throw errorAt(c.expression, 'a case label must be a compile-time constant');
          if (seen.has(e.value)) throw errorAt(c.expression, `duplicate case label ${e.value}`);
          seen.set(e.value, c);
          values.push(e.value);
        }
        return { values, isDefault: ts.isDefaultClause(c), pos: posOf(c), body: checkStatements(ctx, c.statements) };
      }));
      return { k: 'switch', pos, value: v, cases };
    } finally {
      fn.breakable--;
    }
  }
  if (ts.isBreakStatement(st)) {
    if (st.label) throw errorAt(st.label, 'labeled break is not part of the kernel language', 'use a flag variable, or return');
    if (!fn.breakable) throw errorAt(st, "'break' outside a loop or switch");
    return { k: 'break', pos };
  }
  if (ts.isContinueStatement(st)) {
    if (st.label) throw errorAt(st.label, 'labeled continue is not part of the kernel language');
    if (!fn.continuable) throw errorAt(st, "'continue' outside a loop");
    return { k: 'continue', pos };
  }
  if (ts.isReturnStatement(st)) {
    const ret = fn.func.ret;
    if (!st.expression) {
      if (ret.k !== 'void') throw errorAt(st, `'${fn.func.name}' must return a ${typeName(ret)}`);
      return { k: 'return', pos };
    }
    if (ret.k === 'void') throw errorAt(st.expression, `'${fn.func.name}' returns nothing (void)`, 'remove the value, or declare a return type');
    return { k: 'return', pos, value: coerce(checkExpr(ctx, st.expression), ret, st.expression, 'return value') };
  }
  if (ts.isEmptyStatement(st)) return undefined;
  if (ts.isFunctionDeclaration(st)) throw errorAt(st, 'nested functions are closures, which the kernel language does not have', 'move the function to module level');
  if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) throw errorAt(st, `a ${describeSyntax(st)} belongs at module level`);
  throw errorAt(st, `${/^[aeiou]/.test(describeSyntax(st)) ? 'an' : 'a'} ${describeSyntax(st)} is not part of the kernel language`,
    ts.isTryStatement(st) || ts.isThrowStatement(st) ? 'return an error code (a negative number) instead' : ts.isForOfStatement(st) || ts.isForInStatement(st) ? 'use a counting for loop' : undefined);
}

function checkVarList(ctx: Ctx, list: ts.VariableDeclarationList, pos: Pos): Stmt {
  const isConstDecl = (list.flags & ts.NodeFlags.Const) !== 0;
  if (!isConstDecl && !(list.flags & ts.NodeFlags.Let)) throw errorAt(list, "'var' is not part of the kernel language", "use 'let' or 'const'");
  const body: Stmt[] = [];
  for (const v of list.declarations) {
    if (!ts.isIdentifier(v.name)) throw errorAt(v.name, 'destructuring is not part of the kernel language', 'declare one variable per name');
    let t: KType | undefined = v.type ? resolveType(v.type, ctx.m) : undefined;
    let init: Expr | undefined;
    let fromLiteral = false;
    if (v.initializer) {
      init = checkExpr(ctx, v.initializer);
      if (t) init = coerce(init, t, v.initializer, `initial value of '${v.name.text}'`);
      else {
        fromLiteral = init.type.k === 'lit';
        init = defaultType(init, v.initializer);
        t = init.type;
      }
    }
    if (!t) throw errorAt(v.name, `'${v.name.text}' needs a type or an initial value`, `e.g. let ${v.name.text}: u32 = 0;`);
    if (t.k === 'void' || t.k === 'array') throw errorAt(v.name, `a local of type ${typeName(t)} is not supported`, 'use stack_buffer<T>(n) for arrays');
    if (t.k === 'cstr' && !isConstDecl) {
      // fine: a pointer to constant bytes
    }
    if (isConstDecl && init && (isConst(init) || (init.k === 'symaddr' && init.type.k === 'cstr'))) {
      // A constant: no storage, every use sees the value (so "...".length stays known).
      declareLocal(ctx, v.name, t, true, init);
      continue;
    }
    const local = declareLocal(ctx, v.name, t, isConstDecl);
    if (fromLiteral) local.fromLiteral = true;
    if (init) body.push({ k: 'expr', pos: posOf(v), e: { k: 'assign', type: voidT, place: { k: 'local', local, type: t }, value: init } });
  }
  return body.length === 1 ? body[0] : { k: 'block', pos, body };
}

function loopBody(ctx: Ctx, st: ts.Statement, pos: Pos): Stmt {
  const fn = ctx.fn!;
  fn.breakable++;
  fn.continuable++;
  try {
    return inScope(ctx, () => checkStatement(ctx, st)) ?? { k: 'block', pos, body: [] };
  } finally {
    fn.breakable--;
    fn.continuable--;
  }
}

/** An expression whose value is thrown away: x++ needs no copy of the old value. */
function discardValue(e: Expr): Expr {
  if (e.k === 'update' && e.post) return { ...e, post: false };
  return e;
}

export { internString, cstr, u32 };
