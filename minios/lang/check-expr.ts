// Expressions: TypeScript syntax -> typed IR, with the width and pointer checks TypeScript cannot make.
import ts from 'typescript';
import { errorAt } from './diagnostics.js';
import { resolveStruct, resolveType } from './check-types.js';
import { foldBinary, foldCompare } from './fold.js';
import type { BinOp, CmpOp, Expr, Func, Local, Place, ProgramIR } from './ir.js';
import { describeSyntax, type Decl, type Module, type Program } from './program.js';
import {
  bigLitT, bool, cstr, i32, i64, intRange, intTypes, is64, isAddress, litT, sameType, sizeOf, typeName, u32, u8, voidT, wrapTo,
  type KType, type StructType,
} from './types.js';
import { intrinsicNames } from './check-intrinsics.js';
import { checkCall } from './check-call.js';
import { importHint } from './suggest.js';

export interface FnCtx {
  func: Func;
  scopes: Map<string, Local>[];
  breakable: number;
  continuable: number;
}

export interface Ctx {
  prog: Program;
  m: Module;
  ir: ProgramIR;
  fn?: FnCtx;
}

export const mk = {
  const(type: KType, value: bigint): Expr { return { k: 'const', type, value }; },
  load(place: Place): Expr { return { k: 'load', type: place.type, place }; },
};

export function isConst(e: Expr): e is Extract<Expr, { k: 'const' }> {
  return e.k === 'const';
}

export function internString(ctx: Ctx, text: string): string {
  let sym = ctx.ir.strings.get(text);
  if (!sym) {
    sym = `__str_${ctx.ir.strings.size}`;
    ctx.ir.strings.set(text, sym);
  }
  return sym;
}

const CONVERSIONS = new Set(['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64']);

/** The type an untyped constant takes when nothing else decides: i32 (then u32), or i64 for bigint literals. */
/** An expression of untyped constants that is not itself constant (c ? 1 : 2, A | (c ? B : 0)) takes type `to`. */
function retypeLit(e: Expr, to: KType, node: ts.Node, what: string): Expr {
  switch (e.k) {
    case 'const': return coerce(e, to, node, what);
    case 'cond': return { ...e, type: to, a: retypeLit(e.a, to, node, what), b: retypeLit(e.b, to, node, what) };
    case 'binary': {
      const shift = e.op === '<<' || e.op === '>>' || e.op === '>>>';
      return { ...e, type: to, a: retypeLit(e.a, to, node, what), b: shift ? e.b : retypeLit(e.b, to, node, what) };
    }
    case 'unary': return { ...e, type: to, e: retypeLit(e.e, to, node, what) };
    default: return e.type.k === 'lit' ? coerce(e, to, node, what) : e;
  }
}

export function defaultType(e: Expr, node: ts.Node): Expr {
  if (e.type.k === 'lit' && !isConst(e)) {
    const first = (x: Expr): Expr => (x.k === 'cond' ? first(x.a) : x.k === 'binary' || x.k === 'unary' ? first(x.k === 'binary' ? x.a : x.e) : x);
    const d = defaultType(first(e), node);
    return retypeLit(e, d.type, node, 'constant expression');
  }
  if (e.type.k !== 'lit' || !isConst(e)) return e;
  const cands = e.type.big ? [i64, intTypes.u64] : [i32, u32, i64, intTypes.u64];
  for (const t of cands) if (fits(e.value, t)) return mk.const(t, e.value);
  throw errorAt(node, `constant ${e.value} does not fit in 64 bits`);
}

function fits(v: bigint, t: KType): boolean {
  if (t.k !== 'int') return false;
  const [lo, hi] = intRange(t);
  return v >= lo && v <= hi;
}

/** Lossless implicit widening: u8 -> u16/u32/u64/i16/i32/i64, i8 -> i16/i32/i64, and so on. */
function widens(from: KType, to: KType): boolean {
  if (from.k !== 'int' || to.k !== 'int') return false;
  if (to.bits <= from.bits) return false;
  return from.signed === to.signed || (!from.signed && to.signed);
}

/**
 * The same 32-bit value seen as another type (an i32 count as u32, an integer as a pointer). An operation keeps the
 * type it was checked at (i / 2 of an i32 stays a signed division even when its result is used as a u32), so anything
 * but a leaf is wrapped in a conversion, which between 32-bit types emits nothing.
 */
export function reinterpret(e: Expr, to: KType): Expr {
  if (e.k === 'const' || e.k === 'load' || e.k === 'symaddr' || e.k === 'frameaddr' || e.k === 'addr' || e.k === 'call' || e.k === 'callptr') {
    return { ...e, type: to } as Expr;
  }
  return { k: 'convert', type: to, from: e.type, e };
}

function convert(e: Expr, to: KType): Expr {
  if (isConst(e) && to.k === 'int') return mk.const(to, wrapTo(e.value, to));
  return { k: 'convert', type: to, from: e.type, e };
}

/** Implicit conversion of e to `to` (assignment, argument, return), or a compile error saying how to convert. */
export function coerce(e: Expr, to: KType, node: ts.Node, what: string): Expr {
  const from = e.type;
  if (sameType(from, to)) return e;
  if (from.k === 'lit' && !isConst(e) && to.k === 'int') return retypeLit(e, to, node, what);
  if (from.k === 'lit' && isConst(e)) {
    if (to.k === 'int') {
      if (!fits(e.value, to)) throw errorAt(node, `constant ${e.value} does not fit in ${typeName(to)} (${what})`, `${typeName(to)} holds ${intRange(to as never).join('..')}; convert explicitly with ${typeName(to)}(x) to wrap`);
      return mk.const(to, e.value);
    }
    if ((to.k === 'ptr' || to.k === 'fn') && e.value === 0n) return mk.const(to, 0n);
  }
  if (widens(from, to)) return convert(e, to);
  // NULL and pointers of any kind to a byte pointer's opposite are explicit, except NULL itself.
  if (to.k === 'ptr' && from.k === 'ptr' && isConst(e) && e.value === 0n) return { ...e, type: to };
  if (to.k === 'ptr' && from.k === 'cstr' && to.to.k === 'int' && to.to.bits === 8) return { ...e, type: to };
  // Anything with an address converts to a void pointer, as to C's void *.
  if (to.k === 'ptr' && to.to.k === 'void' && isAddress(from)) return { ...e, type: to } as Expr;
  if (to.k === 'struct' && from.k === 'ptr' && from.to.k === 'struct' && from.to.s === to.s) return { ...e, type: to };
  if (to.k === 'fn' && from.k === 'fn' && sameType(from, to)) return e;
  let hint: string | undefined;
  if (to.k === 'int' && (from.k === 'int' || from.k === 'bool')) hint = `convert explicitly: ${typeName(to)}(x)`;
  else if (to.k === 'int' && from.k === 'cstr') hint = 'a string literal is text, not a number: use the numeric constant (e.g. from "xen/public")';
  else if (to.k === 'int' && isAddress(from)) hint = 'take the address as a number with u32(p)';
  else if (to.k === 'ptr' && (from.k === 'ptr' || from.k === 'int' || from.k === 'struct')) hint = `convert explicitly: ptr<${typeName(to.to)}>(p)`;
  else if (to.k === 'ptr' && from.k === 'struct') hint = 'take its address with addr_of(s)';
  else if (to.k === 'struct' && (from.k === 'int' || from.k === 'ptr')) hint = `convert explicitly: ref<${to.s.name}>(p)`;
  else if (to.k === 'bool' && from.k === 'int') hint = 'compare it: x != 0';
  else if (to.k === 'int' && from.k === 'lit') hint = 'a bigint literal (5n) is for u64/i64; write a number';
  throw errorAt(node, `${what}: ${typeName(from)} is not assignable to ${typeName(to)}`, hint);
}

/** A value used as a condition: bool as is, integers and pointers compared with zero. */
export function condition(ctx: Ctx, node: ts.Expression): Expr {
  const e = checkExpr(ctx, node);
  return toCondition(e, node);
}

function toCondition(e: Expr, node: ts.Node): Expr {
  if (e.type.k === 'bool') return e;
  if (e.type.k === 'lit' && !isConst(e)) e = defaultType(e, node);
  if (e.type.k === 'lit') return mk.const(bool, (e as { value: bigint }).value !== 0n ? 1n : 0n);
  if (e.type.k === 'int' || e.type.k === 'ptr' || e.type.k === 'struct' || e.type.k === 'fn') {
    return { k: 'cmp', type: bool, op: '!=', opType: e.type.k === 'int' ? e.type : u32, a: e, b: mk.const(e.type.k === 'int' ? e.type : u32, 0n) };
  }
  throw errorAt(node, `a ${typeName(e.type)} cannot be a condition`, 'use a comparison or an integer');
}

export function lookupName(ctx: Ctx, name: string): { local: Local } | { decl: Decl } | undefined {
  if (ctx.fn) {
    for (let i = ctx.fn.scopes.length - 1; i >= 0; i--) {
      const l = ctx.fn.scopes[i].get(name);
      if (l) return { local: l };
    }
  }
  const d = ctx.m.scope.get(name);
  return d ? { decl: d } : undefined;
}

// ---- declarations referenced from expressions: lazily typed and evaluated ----

export function funcType(ctx: Ctx, d: Extract<Decl, { k: 'func' }>): Extract<KType, { k: 'fn' }> {
  if (d.type) return d.type as Extract<KType, { k: 'fn' }>;
  const node = d.node;
  const variadic = node.parameters.length > 0 && isVarArgs(node.parameters[node.parameters.length - 1]);
  const params = node.parameters.slice(0, variadic ? -1 : undefined).map((p) => {
    if (!p.type) throw errorAt(p, `parameter '${p.name.getText()}' needs a type`, 'e.g. (n: u32)');
    return resolveType(p.type, d.module);
  });
  let ret: KType = voidT;
  if (node.type) ret = resolveType(node.type, d.module);
  else if (node.body && containsValueReturn(node.body)) throw errorAt(node.name ?? node, `function '${d.name}' needs a return type`, 'e.g. function f(): u32 { ... }');
  d.type = { k: 'fn', params, ret, variadic };
  return d.type as Extract<KType, { k: 'fn' }>;
}

/** `...args: VarArg[]`: C varargs (the callee reads them through a Ptr<u32> to the first extra word). */
export function isVarArgs(p: ts.ParameterDeclaration): boolean {
  return !!p.dotDotDotToken && !!p.type && ts.isArrayTypeNode(p.type) && ts.isTypeReferenceNode(p.type.elementType)
    && ts.isIdentifier(p.type.elementType.typeName) && p.type.elementType.typeName.text === 'VarArg';
}

function containsValueReturn(n: ts.Node): boolean {
  let found = false;
  const visit = (x: ts.Node) => {
    if (found || ts.isFunctionLike(x)) return;
    if (ts.isReturnStatement(x) && x.expression) found = true;
    else ts.forEachChild(x, visit);
  };
  ts.forEachChild(n, visit);
  return found;
}

export function globalType(ctx: Ctx, d: Extract<Decl, { k: 'global' }>): KType {
  if (d.type) return d.type;
  const v = d.node;
  if (d.external) {
    const t = resolveType(v.type!, d.module);
    d.storage = t.k === 'array' || t.k === 'struct';
    d.type = t.k === 'array' ? { k: 'ptr', to: t.of } : t;
    return d.type;
  }
  if (v.type) d.type = resolveType(v.type, d.module);
  else if (v.initializer) {
    const mctx: Ctx = { prog: ctx.prog, m: d.module, ir: ctx.ir };
    const init = v.initializer;
    const call = ts.isCallExpression(init) && ts.isIdentifier(init.expression) ? init.expression.text : '';
    if (call === 'static_buffer' || call === 'static_struct') {
      const ta = (init as ts.CallExpression).typeArguments;
      if (!ta || ta.length !== 1) throw errorAt(init, `${call} needs its element type: ${call}<u8>(...)`);
      const t = resolveType(ta[0], d.module);
      d.type = { k: 'ptr', to: t };
      if (call === 'static_struct' && t.k !== 'struct') throw errorAt(ta[0], 'static_struct needs a struct type', 'use static_buffer for integers');
    } else {
      d.type = defaultType(checkExpr(mctx, init), init).type;
    }
  } else throw errorAt(v.name, `global '${d.name}' needs a type`, 'e.g. let count: u32 = 0;');
  return d.type;
}

export function constValue(ctx: Ctx, d: Extract<Decl, { k: 'const' }>): Expr {
  if (d.state === 'done') {
    if (d.addr) return d.addr;
    if (d.str !== undefined) return { k: 'symaddr', type: cstr, sym: internString(ctx, d.str), offset: 0 };
    // A constant whose definition failed (reported there) stands for 0 in its uses, so one mistake is one error.
    if (d.type === undefined || d.value === undefined) return mk.const(litT, 0n);
    return mk.const(d.type, d.value);
  }
  const v = d.node as ts.VariableDeclaration;
  if (d.state === 'busy') throw errorAt(v.name, `constant '${d.name}' is defined in terms of itself`);
  d.state = 'busy';
  try {
    const mctx: Ctx = { prog: ctx.prog, m: d.module!, ir: ctx.ir };
    let e = checkExpr(mctx, v.initializer!);
    if (v.type) e = coerce(e, resolveType(v.type, d.module!), v.initializer!, `constant '${d.name}'`);
    if (e.k === 'symaddr' && e.type.k === 'cstr') {
      d.str = [...ctx.ir.strings].find(([, s]) => s === e.sym)![0];
    } else if (e.k === 'symaddr') {
      d.addr = e;
    } else if (isConst(e)) {
      d.value = e.value;
      d.type = e.type;
    } else {
      throw errorAt(v.initializer!, `module-level const '${d.name}' must be a compile-time constant`,
        "use 'let' for a global variable, or static_buffer/static_struct for storage");
    }
  } finally {
    d.state = 'done';
  }
  return constValue(ctx, d);
}

export function enumMembers(ctx: Ctx, d: Extract<Decl, { k: 'enum' }>): Map<string, bigint> {
  if (d.members) return d.members;
  const members = new Map<string, bigint>();
  d.members = members;
  let next = 0n;
  const mctx: Ctx = { prog: ctx.prog, m: d.module, ir: ctx.ir };
  for (const mem of d.node.members) {
    const name = mem.name.getText();
    if (mem.initializer) {
      // Earlier members are visible unqualified inside the enum, as in TypeScript.
      const e = withEnumScope(mctx, members, () => checkExpr(mctx, mem.initializer!));
      if (!isConst(e) || e.type.k === 'bool') throw errorAt(mem.initializer, 'an enum member must be an integer constant');
      next = e.value;
    }
    members.set(name, next);
    next += 1n;
  }
  return members;
}

function withEnumScope<T>(ctx: Ctx, members: Map<string, bigint>, f: () => T): T {
  const saved = ctx.m.scope;
  const scope = new Map(saved);
  for (const [k, v] of members) scope.set(k, { k: 'const', name: k, value: v, type: litT, state: 'done' });
  ctx.m = { ...ctx.m, scope };
  try {
    return f();
  } finally {
    ctx.m = { ...ctx.m, scope: saved };
  }
}

// ---- places (things that can be assigned or have their address taken) ----

/** Folds a constant added to an address into the place's offset. */
function memPlace(addr: Expr, offset: number, type: KType): Place {
  if (addr.k === 'binary' && addr.op === '+' && isConst(addr.b)) return memPlace(addr.a, offset + Number(BigInt.asIntN(32, addr.b.value)), type);
  return { k: 'mem', addr, offset, type };
}

/** addr + off as an address expression, folded where possible. */
export function addOffset(addr: Expr, off: number, type: KType): Expr {
  if (off === 0) return { ...addr, type } as Expr;
  if (addr.k === 'symaddr') return { ...addr, offset: addr.offset + off, type };
  if (addr.k === 'binary' && addr.op === '+' && isConst(addr.b)) return { ...addr, type, b: mk.const(u32, BigInt.asUintN(32, addr.b.value + BigInt(off))) };
  return { k: 'binary', type, op: '+', a: { ...addr, type: u32 } as Expr, b: mk.const(u32, BigInt(off >>> 0)) };
}

/** A field or element: a place for scalars, an address for embedded structs and arrays. */
export type Access = { place: Place } | { value: Expr };

function accessAt(addr: Expr, offset: number, t: KType): Access {
  if (t.k === 'struct') return { value: addOffset(addr, offset, t) };
  if (t.k === 'array') return { value: addOffset(addr, offset, { k: 'ptr', to: t.of }) };
  return { place: memPlace(addr, offset, t) };
}

export function structOf(t: KType): StructType | undefined {
  if (t.k === 'struct') return t.s;
  if (t.k === 'ptr' && t.to.k === 'struct') return t.to.s;
  return undefined;
}

export function checkAccess(ctx: Ctx, node: ts.Expression): Access | undefined {
  if (ts.isParenthesizedExpression(node)) return checkAccess(ctx, node.expression);
  if (ts.isIdentifier(node)) {
    const r = lookupName(ctx, node.text);
    if (r && 'local' in r) {
      if (r.local.value) return { value: r.local.value };
      return { place: { k: 'local', local: r.local, type: r.local.type } };
    }
    if (r && r.decl.k === 'global') {
      const t = globalType(ctx, r.decl);
      if (r.decl.storage) return undefined;
      return { place: { k: 'global', sym: r.decl.sym, type: t } };
    }
    return undefined;
  }
  if (ts.isPropertyAccessExpression(node)) {
    const objNode = node.expression;
    if (ts.isIdentifier(objNode)) {
      const r = lookupName(ctx, objNode.text);
      if (r && 'decl' in r && r.decl.k === 'enum') return undefined;
    }
    const obj = checkExpr(ctx, objNode);
    const st = structOf(obj.type);
    if (!st) return undefined;
    const fname = node.name.text;
    const f = st.fields.get(fname);
    if (!f) {
      if (obj.type.k === 'ptr' && ['add', 'sub', 'diff'].includes(fname)) return undefined;
      throw errorAt(node.name, `struct ${st.name} has no field '${fname}'`, `its fields: ${[...st.fields.keys()].join(', ')}`);
    }
    return accessAt(obj, f.offset, f.type);
  }
  if (ts.isElementAccessExpression(node)) {
    const base = checkExpr(ctx, node.expression);
    if (base.type.k !== 'ptr') {
      if (base.type.k === 'cstr') throw errorAt(node, 'indexing a string literal is not supported', 'copy it into a buffer, or index a Ptr<u8>');
      throw errorAt(node.expression, `only pointers can be indexed, not ${typeName(base.type)}`, 'declare it as Ptr<T> or CArray<T, N>');
    }
    const elem = base.type.to;
    if (elem.k === 'void') throw errorAt(node.expression, 'a VoidPtr points to nothing in particular and cannot be indexed', 'convert it first: ptr<u8>(p)[i]');
    const size = sizeOf(elem);
    const idx = checkExpr(ctx, node.argumentExpression);
    if (isConst(idx)) {
      if (idx.type.k !== 'int' && idx.type.k !== 'lit') throw errorAt(node.argumentExpression, `an index must be an integer, not ${typeName(idx.type)}`);
      return accessAt(base, Number(BigInt.asIntN(32, idx.value * BigInt(size))), elem);
    }
    const scaled = scaleIndex(idx, size, node.argumentExpression);
    return accessAt({ k: 'binary', type: u32, op: '+', a: { ...base, type: u32 } as Expr, b: scaled }, 0, elem);
  }
  return undefined;
}

/** i * size as a u32 byte offset (i of any integer type up to 32 bits; negative indexes wrap as in C). */
export function scaleIndex(idx: Expr, size: number, node: ts.Node): Expr {
  if (idx.type.k !== 'int' || idx.type.bits === 64) throw errorAt(node, `an index must be an integer of at most 32 bits, not ${typeName(idx.type)}`, 'convert it: u32(i)');
  const i32v = idx.type.bits === 32 ? idx : convert(idx, idx.type.signed ? i32 : u32);
  const asU: Expr = reinterpret(i32v, u32);
  if (size === 1) return asU;
  return { k: 'binary', type: u32, op: '*', a: asU, b: mk.const(u32, BigInt(size)) };
}

export function checkPlace(ctx: Ctx, node: ts.Expression, what: string): Place {
  checkWritable(ctx, node);
  const a = checkAccess(ctx, node);
  if (a && 'place' in a) return a.place;
  if (a && 'value' in a) throw errorAt(node, `cannot ${what} a whole ${typeName(a.value.type)}`, 'copy structs and arrays field by field, or with memcpy');
  throw errorAt(node, `cannot ${what} this expression`, 'assign to a variable, a field (s.f), or an element (p[i])');
}

function checkWritable(ctx: Ctx, node: ts.Expression): void {
  let n: ts.Expression = node;
  while (ts.isParenthesizedExpression(n)) n = n.expression;
  if (!ts.isIdentifier(n)) return;
  const r = lookupName(ctx, n.text);
  if (r && 'local' in r && r.local.isConst) throw errorAt(node, `cannot assign to '${n.text}' because it is a constant`, "declare it with 'let'");
  if (r && 'decl' in r && r.decl.k === 'global' && r.decl.isConst) throw errorAt(node, `cannot assign to '${n.text}' because it is a constant`, "declare it with 'let'");
  if (r && 'decl' in r && r.decl.k === 'global' && r.decl.module.file !== ctx.m.file) {
    throw errorAt(node, `cannot assign to '${n.text}' because it is an import`, 'imports are read-only, as in TypeScript: export a function from its module that sets it');
  }
}

// ---- expressions ----

const binOps: Partial<Record<ts.SyntaxKind, BinOp>> = {
  [ts.SyntaxKind.PlusToken]: '+', [ts.SyntaxKind.MinusToken]: '-', [ts.SyntaxKind.AsteriskToken]: '*',
  [ts.SyntaxKind.SlashToken]: '/', [ts.SyntaxKind.PercentToken]: '%', [ts.SyntaxKind.AmpersandToken]: '&',
  [ts.SyntaxKind.BarToken]: '|', [ts.SyntaxKind.CaretToken]: '^', [ts.SyntaxKind.LessThanLessThanToken]: '<<',
  [ts.SyntaxKind.GreaterThanGreaterThanToken]: '>>', [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken]: '>>>',
};
const compoundOps: Partial<Record<ts.SyntaxKind, BinOp>> = {
  [ts.SyntaxKind.PlusEqualsToken]: '+', [ts.SyntaxKind.MinusEqualsToken]: '-', [ts.SyntaxKind.AsteriskEqualsToken]: '*',
  [ts.SyntaxKind.SlashEqualsToken]: '/', [ts.SyntaxKind.PercentEqualsToken]: '%', [ts.SyntaxKind.AmpersandEqualsToken]: '&',
  [ts.SyntaxKind.BarEqualsToken]: '|', [ts.SyntaxKind.CaretEqualsToken]: '^', [ts.SyntaxKind.LessThanLessThanEqualsToken]: '<<',
  [ts.SyntaxKind.GreaterThanGreaterThanEqualsToken]: '>>', [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken]: '>>>',
};
const cmpOps: Partial<Record<ts.SyntaxKind, CmpOp>> = {
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: '==', [ts.SyntaxKind.ExclamationEqualsEqualsToken]: '!=',
  [ts.SyntaxKind.EqualsEqualsToken]: '==', [ts.SyntaxKind.ExclamationEqualsToken]: '!=',
  [ts.SyntaxKind.LessThanToken]: '<', [ts.SyntaxKind.LessThanEqualsToken]: '<=',
  [ts.SyntaxKind.GreaterThanToken]: '>', [ts.SyntaxKind.GreaterThanEqualsToken]: '>=',
};

export function checkExpr(ctx: Ctx, node: ts.Expression): Expr {
  switch (node.kind) {
    case ts.SyntaxKind.NumericLiteral: {
      const text = (node as ts.NumericLiteral).getText();
      if (/[.eE]/.test(text) && !/^0[xX]/.test(text)) throw errorAt(node, `'${text}' is not an integer`, 'the kernel language has integers only');
      return mk.const(litT, BigInt(text.replace(/_/g, '')));
    }
    case ts.SyntaxKind.BigIntLiteral:
      return mk.const(bigLitT, BigInt((node as ts.BigIntLiteral).text.slice(0, -1).replace(/_/g, '')));
    case ts.SyntaxKind.TrueKeyword: return mk.const(bool, 1n);
    case ts.SyntaxKind.FalseKeyword: return mk.const(bool, 0n);
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      return { k: 'symaddr', type: cstr, sym: internString(ctx, (node as ts.StringLiteral).text), offset: 0 };
    case ts.SyntaxKind.ParenthesizedExpression:
      return checkExpr(ctx, (node as ts.ParenthesizedExpression).expression);
    case ts.SyntaxKind.Identifier: return checkIdentifier(ctx, node as ts.Identifier);
    case ts.SyntaxKind.PropertyAccessExpression: return checkPropertyAccess(ctx, node as ts.PropertyAccessExpression);
    case ts.SyntaxKind.ElementAccessExpression: {
      const a = checkAccess(ctx, node)!;
      return 'place' in a ? mk.load(a.place) : a.value;
    }
    case ts.SyntaxKind.CallExpression: return checkCall(ctx, node as ts.CallExpression);
    case ts.SyntaxKind.BinaryExpression: return checkBinary(ctx, node as ts.BinaryExpression);
    case ts.SyntaxKind.PrefixUnaryExpression: return checkPrefix(ctx, node as ts.PrefixUnaryExpression);
    case ts.SyntaxKind.PostfixUnaryExpression: {
      const n = node as ts.PostfixUnaryExpression;
      return incDec(ctx, n.operand, n.operator === ts.SyntaxKind.PlusPlusToken ? '+' : '-', true, n);
    }
    case ts.SyntaxKind.ConditionalExpression: {
      const n = node as ts.ConditionalExpression;
      const c = condition(ctx, n.condition);
      let a = checkExpr(ctx, n.whenTrue);
      let b = checkExpr(ctx, n.whenFalse);
      [a, b] = unify(a, b, n, '?:');
      if (isConst(c)) return c.value ? a : b;
      // Two constant branches stay an untyped constant until the context gives them a type.
      if (a.type.k === 'lit' && b.type.k === 'lit') return { k: 'cond', type: a.type.big || b.type.big ? bigLitT : litT, c, a, b };
      if (!sameType(a.type, b.type)) b = coerce(b, a.type, n.whenFalse, 'the branches of ?:');
      return { k: 'cond', type: a.type, c, a, b };
    }
    case ts.SyntaxKind.TaggedTemplateExpression:
      throw errorAt(node, 'asm`...` is a statement, not a value', 'write it on its own line; results go through registers in a naked function');
    case ts.SyntaxKind.AsExpression:
      throw errorAt(node, "'as' casts are not part of the kernel language", 'convert with u32(x), i8(x), ptr<T>(p) or ref<T>(p)');
    case ts.SyntaxKind.NullKeyword:
      throw errorAt(node, "'null' is not part of the kernel language", 'use NULL for a null pointer');
    case ts.SyntaxKind.ArrowFunction:
    case ts.SyntaxKind.FunctionExpression:
      throw errorAt(node, `a ${describeSyntax(node)} is not part of the kernel language`, 'declare a named function at module level and pass its name');
    case ts.SyntaxKind.ObjectLiteralExpression:
    case ts.SyntaxKind.ArrayLiteralExpression:
      throw errorAt(node, `an ${describeSyntax(node)} would build an object at run time, which the kernel language has no memory for`, 'use stack_struct<T>() or static_struct<T>() and set its fields');
    case ts.SyntaxKind.TemplateExpression:
      throw errorAt(node, 'a template string with substitutions builds a string at run time', 'print values with printk("x=%d\\n", x)');
    default:
      throw errorAt(node, `${article(describeSyntax(node))} is not part of the kernel language`);
  }
}

function article(s: string): string {
  return /^[aeiou]/i.test(s) ? `an ${s}` : `a ${s}`;
}

function checkIdentifier(ctx: Ctx, node: ts.Identifier): Expr {
  const name = node.text;
  if (name === 'NULL') return mk.const({ k: 'ptr', to: u8 }, 0n);
  if (name === 'undefined') throw errorAt(node, "'undefined' is not part of the kernel language", 'use NULL or 0');
  const r = lookupName(ctx, name);
  if (!r) {
    if (intrinsicNames.has(name) || CONVERSIONS.has(name)) throw errorAt(node, `'${name}' is an intrinsic and must be called`);
    throw errorAt(node, `cannot find name '${name}'`, importHint(ctx.prog, ctx.m.file, name, 'declare it, or import it from the file that exports it'));
  }
  if ('local' in r) return r.local.value ?? mk.load({ k: 'local', local: r.local, type: r.local.type });
  const d = r.decl;
  switch (d.k) {
    case 'const': return constValue(ctx, d);
    case 'global': {
      const t = globalType(ctx, d);
      if (d.storage) return { k: 'symaddr', type: t, sym: d.sym, offset: 0 };
      if (!ctx.fn) throw errorAt(node, `global variable '${name}' is not a compile-time constant`, 'module-level constants can use only other constants');
      return mk.load({ k: 'global', sym: d.sym, type: t });
    }
    case 'func': return { k: 'symaddr', type: funcType(ctx, d), sym: d.sym, offset: 0 };
    case 'enum': throw errorAt(node, `'${name}' is an enum; name a member: ${name}.${[...enumMembers(ctx, d).keys()][0] ?? 'X'}`);
    default: throw errorAt(node, `'${name}' is a type, not a value`);
  }
}

function checkPropertyAccess(ctx: Ctx, node: ts.PropertyAccessExpression): Expr {
  const obj = node.expression;
  const prop = node.name.text;
  if (ts.isIdentifier(obj)) {
    const r = lookupName(ctx, obj.text);
    if (r && 'decl' in r && r.decl.k === 'enum') {
      const members = enumMembers(ctx, r.decl);
      const v = members.get(prop);
      if (v === undefined) throw errorAt(node.name, `enum ${obj.text} has no member '${prop}'`, `its members: ${[...members.keys()].join(', ')}`);
      return mk.const(litT, v);
    }
  }
  if (prop === 'length') {
    const e = checkExpr(ctx, obj);
    if (e.type.k === 'cstr' && e.k === 'symaddr') {
      const text = [...ctx.ir.strings].find(([, s]) => s === e.sym)![0];
      return mk.const(litT, BigInt(new TextEncoder().encode(text).length));
    }
    if (e.type.k === 'cstr') throw errorAt(node, 'the length of a run-time string is not known while compiling', 'use strlen(s)');
  }
  const a = checkAccess(ctx, node);
  if (a) return 'place' in a ? mk.load(a.place) : a.value;
  const e = checkExpr(ctx, obj);
  if (e.type.k === 'ptr' && ['add', 'sub', 'diff'].includes(prop)) throw errorAt(node, `p.${prop} is a method: call it, p.${prop}(n)`);
  throw errorAt(node.name, `${typeName(e.type)} has no field '${prop}'`, e.type.k === 'ptr' ? 'index the pointer (p[i]) or convert it to a struct pointer' : 'fields belong to struct types');
}

/** True when a bitwise operator's operand is an unparenthesised comparison: the C precedence trap. */
function comparedInside(node: ts.Node): boolean {
  if (!ts.isBinaryExpression(node)) return false;
  const cmp = (e: ts.Expression) => ts.isBinaryExpression(e) && e.operatorToken.kind >= ts.SyntaxKind.LessThanToken && e.operatorToken.kind <= ts.SyntaxKind.ExclamationEqualsEqualsToken;
  return cmp(node.left) || cmp(node.right);
}

/** Brings two operands to one type: constants take the other side's type, narrower integers widen losslessly. */
function unify(a: Expr, b: Expr, node: ts.Node, op: string): [Expr, Expr] {
  const ta = a.type, tb = b.type;
  if (ta.k === 'lit' && tb.k === 'lit') {
    const big = ta.big || tb.big;
    return [{ ...a, type: big ? bigLitT : litT } as Expr, { ...b, type: big ? bigLitT : litT } as Expr];
  }
  if (ta.k === 'lit') return [coerce(a, tb, nodeLeft(node), `left operand of '${op}'`), b];
  if (tb.k === 'lit') return [a, coerce(b, ta, nodeRight(node), `right operand of '${op}'`)];
  if (sameType(ta, tb)) return [a, b];
  if (widens(ta, tb)) return [convert(a, tb), b];
  if (widens(tb, ta)) return [a, convert(b, ta)];
  const guessed = (e: Expr) => (e.k === 'load' && e.place.k === 'local' && e.place.local.fromLiteral ? e.place.local : undefined);
  const g = guessed(a) ?? guessed(b);
  const other = guessed(a) ? tb : ta;
  const hint = g && other.k === 'int'
    ? `'${g.name}' became an i32 because it was declared from a bare number; give it the type you mean: let ${g.name}: ${typeName(other)} = ...`
    : ta.k === 'int' && tb.k === 'int' ? `convert one side explicitly, e.g. ${typeName(tb)}(x) or ${typeName(ta)}(y)`
    : ['&', '|', '^'].includes(op) && comparedInside(node) ? `'==' and the other comparisons bind tighter than '${op}' (as in C): x ${op} 1 == 1 means x ${op} (1 == 1); write (x ${op} 1) == 1`
    : undefined;
  throw errorAt(node, `operands of '${op}' have different types: ${typeName(ta)} and ${typeName(tb)}`, hint);
}

function nodeLeft(n: ts.Node): ts.Node {
  return ts.isBinaryExpression(n) ? n.left : n;
}
function nodeRight(n: ts.Node): ts.Node {
  return ts.isBinaryExpression(n) ? n.right : n;
}

function arithmetic(ctx: Ctx, op: BinOp, a: Expr, b: Expr, node: ts.Node): Expr {
  if (op === '<<' || op === '>>' || op === '>>>') return shift(op, a, b, node);
  if ((a.type.k === 'ptr' || b.type.k === 'ptr' || a.type.k === 'struct' || b.type.k === 'struct') && (op === '+' || op === '-')) {
    throw errorAt(node, `'${op}' on a pointer`, op === '+' ? 'use p.add(n), which counts in elements' : 'use p.sub(n), or p.diff(q) for a distance');
  }
  [a, b] = unify(a, b, node, op);
  const t = a.type;
  if (t.k === 'bool' && (op === '&' || op === '|' || op === '^')) return { k: 'binary', type: bool, op, a, b };
  if (t.k !== 'int' && t.k !== 'lit') throw errorAt(node, `'${op}' needs integer operands, not ${typeName(t)}`, t.k === 'bool' ? 'use && and || for truth values' : undefined);
  if (isConst(a) && isConst(b)) {
    const v = foldBinary(op, a.value, b.value, t.k === 'int' ? t : undefined);
    if (v === undefined) throw errorAt(node, 'division by zero in a constant expression');
    return mk.const(t, v);
  }
  if ((op === '/' || op === '%') && isConst(b) && b.value === 0n) throw errorAt(nodeRight(node), 'division by zero');
  return { k: 'binary', type: t, op, a, b };
}

function shift(op: BinOp, a: Expr, b: Expr, node: ts.Node): Expr {
  if (b.type.k === 'lit') b = mk.const(u32, BigInt.asUintN(32, (b as { value: bigint }).value));
  if (b.type.k !== 'int') throw errorAt(nodeRight(node), `a shift count must be an integer, not ${typeName(b.type)}`);
  if (a.type.k === 'lit' && isConst(a) && isConst(b)) return mk.const(a.type, foldBinary(op, a.value, b.value)!);
  if (a.type.k === 'lit') a = defaultType(a, nodeLeft(node));
  if (a.type.k !== 'int') throw errorAt(nodeLeft(node), `'${op}' needs an integer, not ${typeName(a.type)}`);
  if (b.type.bits === 64) b = convert(b, u32);
  else if (b.type.bits !== 32) b = convert(b, u32);
  else b = reinterpret(b, u32);
  if (isConst(a) && isConst(b)) return mk.const(a.type, foldBinary(op, a.value, b.value, a.type)!);
  return { k: 'binary', type: a.type, op, a, b };
}

function compare(op: CmpOp, a: Expr, b: Expr, node: ts.Node): Expr {
  // Pointers compare with pointers (any pointee) and NULL, as unsigned addresses.
  const addrLike = (t: KType) => t.k === 'ptr' || t.k === 'struct' || t.k === 'fn' || t.k === 'cstr';
  if (addrLike(a.type) || addrLike(b.type)) {
    const ok = (e: Expr) => addrLike(e.type) || (isConst(e) && e.value === 0n);
    if (!ok(a) || !ok(b)) throw errorAt(node, `cannot compare ${typeName(a.type)} with ${typeName(b.type)}`, 'compare pointers with pointers or NULL; u32(p) gives an address as a number');
    return { k: 'cmp', type: bool, op, opType: u32, a: { ...a, type: u32 } as Expr, b: { ...b, type: u32 } as Expr };
  }
  [a, b] = unify(a, b, node, op);
  if (a.type.k === 'lit' && isConst(a) && isConst(b)) return mk.const(bool, foldCompare(op, a.value, b.value) ? 1n : 0n);
  if (a.type.k === 'bool') {
    if (op !== '==' && op !== '!=') throw errorAt(node, `'${op}' does not order truth values`, 'compare bools with == or !=');
  } else if (a.type.k !== 'int') throw errorAt(node, `cannot compare ${typeName(a.type)} values`);
  if (isConst(a) && isConst(b)) return mk.const(bool, foldCompare(op, a.value, b.value) ? 1n : 0n);
  return { k: 'cmp', type: bool, op, opType: a.type, a, b };
}

function checkBinary(ctx: Ctx, node: ts.BinaryExpression): Expr {
  const k = node.operatorToken.kind;
  if (k === ts.SyntaxKind.EqualsToken) {
    const place = checkPlace(ctx, node.left, 'assign to');
    const value = coerce(checkExpr(ctx, node.right), place.type, node.right, 'assignment');
    return { k: 'assign', type: place.type, place, value };
  }
  const cop = compoundOps[k];
  if (cop) return compound(ctx, node.left, cop, node.right, node);
  if (k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken) {
    const a = condition(ctx, node.left);
    const b = condition(ctx, node.right);
    const op = k === ts.SyntaxKind.AmpersandAmpersandToken ? '&&' : '||';
    if (isConst(a)) return op === '&&' ? (a.value ? b : a) : (a.value ? a : b);
    return { k: 'logic', type: bool, op, a, b };
  }
  if (k === ts.SyntaxKind.CommaToken) {
    const a = checkExpr(ctx, node.left);
    const b = checkExpr(ctx, node.right);
    return { k: 'seq', type: b.type, a, b };
  }
  if (k === ts.SyntaxKind.EqualsEqualsToken || k === ts.SyntaxKind.ExclamationEqualsToken) {
    // Allowed: on integers == and === mean the same. Say so only for clarity in the docs.
  }
  const cmp = cmpOps[k];
  if (cmp) return compare(cmp, checkExpr(ctx, node.left), checkExpr(ctx, node.right), node);
  const op = binOps[k];
  if (op) return arithmetic(ctx, op, checkExpr(ctx, node.left), checkExpr(ctx, node.right), node);
  if (k === ts.SyntaxKind.AsteriskAsteriskToken) throw errorAt(node.operatorToken, "'**' is not part of the kernel language", 'multiply in a loop');
  if (k === ts.SyntaxKind.QuestionQuestionToken) throw errorAt(node.operatorToken, "'??' is not part of the kernel language", 'test for NULL with ==');
  if (k === ts.SyntaxKind.InstanceOfKeyword || k === ts.SyntaxKind.InKeyword) throw errorAt(node.operatorToken, `'${node.operatorToken.getText()}' is not part of the kernel language`);
  throw errorAt(node.operatorToken, `operator '${node.operatorToken.getText()}' is not part of the kernel language`);
}

function compound(ctx: Ctx, target: ts.Expression, op: BinOp, rhs: ts.Expression, node: ts.Node): Expr {
  const place = checkPlace(ctx, target, 'assign to');
  const t = place.type;
  if (t.k !== 'int') throw errorAt(node, `'${op}=' needs an integer variable, not ${typeName(t)}`, t.k === 'ptr' ? 'move a pointer with p = p.add(n)' : undefined);
  let value = checkExpr(ctx, rhs);
  if (op === '<<' || op === '>>' || op === '>>>') {
    if (value.type.k === 'lit') value = mk.const(u32, BigInt.asUintN(32, (value as { value: bigint }).value));
    if (value.type.k !== 'int') throw errorAt(rhs, `a shift count must be an integer, not ${typeName(value.type)}`);
    if (value.type.bits !== 32) value = convert(value, u32);
    else value = reinterpret(value, u32);
  } else value = coerce(value, t, rhs, `right operand of '${op}='`);
  if ((op === '/' || op === '%') && isConst(value) && value.value === 0n) throw errorAt(rhs, 'division by zero');
  return { k: 'update', type: t, place, op, value, post: false };
}

function incDec(ctx: Ctx, target: ts.Expression, op: '+' | '-', post: boolean, node: ts.Node): Expr {
  const place = checkPlace(ctx, target, op === '+' ? 'increment' : 'decrement');
  const t = place.type;
  if (t.k !== 'int') throw errorAt(node, `'${op}${op}' needs an integer variable, not ${typeName(t)}`, t.k === 'ptr' ? 'move a pointer with p = p.add(1)' : undefined);
  return { k: 'update', type: t, place, op, value: mk.const(t, 1n), post };
}

function checkPrefix(ctx: Ctx, node: ts.PrefixUnaryExpression): Expr {
  switch (node.operator) {
    case ts.SyntaxKind.PlusPlusToken: return incDec(ctx, node.operand, '+', false, node);
    case ts.SyntaxKind.MinusMinusToken: return incDec(ctx, node.operand, '-', false, node);
    case ts.SyntaxKind.ExclamationToken: {
      const c = condition(ctx, node.operand);
      if (isConst(c)) return mk.const(bool, c.value ? 0n : 1n);
      return { k: 'not', type: bool, e: c };
    }
    case ts.SyntaxKind.MinusToken:
    case ts.SyntaxKind.TildeToken: {
      const e = checkExpr(ctx, node.operand);
      const op = node.operator === ts.SyntaxKind.MinusToken ? '-' : '~';
      if (e.type.k === 'lit' && isConst(e)) return mk.const(e.type, op === '-' ? -e.value : ~e.value);
      if (e.type.k !== 'int') throw errorAt(node, `'${op}' needs an integer, not ${typeName(e.type)}`);
      if (isConst(e)) return mk.const(e.type, wrapTo(op === '-' ? -e.value : ~e.value, e.type));
      return { k: 'unary', type: e.type, op, e };
    }
    case ts.SyntaxKind.PlusToken: {
      const e = checkExpr(ctx, node.operand);
      if (e.type.k !== 'int' && e.type.k !== 'lit') throw errorAt(node, `unary '+' needs an integer, not ${typeName(e.type)}`);
      return e;
    }
  }
  throw errorAt(node, 'this unary operator is not part of the kernel language');
}

export { convert, fits, widens };
export function pointerTo(t: KType): KType {
  return { k: 'ptr', to: t };
}
export function structRef(d: Extract<Decl, { k: 'struct' }>): KType {
  return { k: 'struct', s: resolveStruct(d) };
}
export { is64 };
