// Calls: user functions (cdecl, C varargs), function pointers, pointer methods (p.add, p.sub, p.diff),
// conversions written as calls of a type (u8(x) ... i64(x)), and intrinsics.
import ts from 'typescript';
import { errorAt } from './diagnostics.js';
import { checkIntrinsic, intrinsicNames } from './check-intrinsics.js';
import {
  addOffset, coerce, convert, defaultType, funcType, isConst, lookupName, mk, reinterpret, scaleIndex, checkExpr, type Ctx,
} from './check-expr.js';
import type { Expr } from './ir.js';
import { i32, intTypes, isAddress, sameType, sizeOf, typeName, u32, wrapTo, type KType } from './types.js';

const CONVERSIONS = new Set(['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64']);

export function checkCall(ctx: Ctx, node: ts.CallExpression): Expr {
  if (node.questionDotToken) throw errorAt(node, "optional calls '?.' are not part of the kernel language");
  const callee = node.expression;
  if (ts.isIdentifier(callee)) {
    const name = callee.text;
    const r = lookupName(ctx, name);
    if (!r && CONVERSIONS.has(name)) return checkConversion(ctx, node, intTypes[name]);
    if (!r && intrinsicNames.has(name)) return checkIntrinsic(ctx, node, name);
    if (r && 'decl' in r && r.decl.k === 'func') {
      const ft = funcType(ctx, r.decl);
      return { k: 'call', type: ft.ret, fn: r.decl.sym, args: checkArgs(ctx, node, ft, name) };
    }
  }
  if (ts.isPropertyAccessExpression(callee) && ['add', 'sub', 'diff'].includes(callee.name.text)) {
    const p = checkExpr(ctx, callee.expression);
    if (p.type.k === 'ptr') return pointerMethod(ctx, node, p, callee.name.text);
  }
  if (node.typeArguments) throw errorAt(node, 'type arguments are only for intrinsics (ptr<T>, sizeof<T>, ...)');
  const target = checkExpr(ctx, callee);
  if (target.type.k !== 'fn') throw errorAt(callee, `${typeName(target.type)} is not a function`);
  return { k: 'callptr', type: target.type.ret, target, args: checkArgs(ctx, node, target.type, callee.getText()) };
}

function checkArgs(ctx: Ctx, node: ts.CallExpression, ft: Extract<KType, { k: 'fn' }>, name: string): Expr[] {
  const n = node.arguments.length;
  if (ft.variadic ? n < ft.params.length : n !== ft.params.length) {
    const want = `${ft.variadic ? 'at least ' : ''}${ft.params.length} argument${ft.params.length === 1 ? '' : 's'}`;
    throw errorAt(node, `'${name}' takes ${want}, not ${n}`);
  }
  return node.arguments.map((a, i) => {
    if (ts.isSpreadElement(a)) throw errorAt(a, 'spread arguments are not part of the kernel language');
    if (i >= ft.params.length) return varArg(checkExpr(ctx, a), a);
    return coerce(checkExpr(ctx, a), ft.params[i], a, `argument ${i + 1} of '${name}'`);
  });
}

/** An extra argument of a variadic call: integers widen to 32 bits (64-bit ones stay 64), addresses are words. */
function varArg(e: Expr, node: ts.Node): Expr {
  if (e.type.k === 'lit') return defaultType(e, node);
  if (e.type.k === 'int' && e.type.bits < 32) return convert(e, e.type.signed ? i32 : u32);
  if (e.type.k === 'bool') return convert(e, u32);
  if (e.type.k === 'int' || isAddress(e.type)) return e;
  throw errorAt(node, `a ${typeName(e.type)} cannot be passed as a variable argument`);
}

function pointerMethod(ctx: Ctx, node: ts.CallExpression, p: Expr, method: string): Expr {
  const t = p.type as Extract<KType, { k: 'ptr' }>;
  const size = sizeOf(t.to);
  if (node.arguments.length !== 1) throw errorAt(node, `p.${method} takes one argument`);
  const argNode = node.arguments[0];
  const pu: Expr = { ...p, type: u32 } as Expr;
  if (method === 'diff') {
    const q = checkExpr(ctx, argNode);
    if (q.type.k !== 'ptr' || !sameType(q.type, t)) throw errorAt(argNode, `p.diff needs a ${typeName(t)}, not ${typeName(q.type)}`);
    const bytes: Expr = { k: 'binary', type: i32, op: '-', a: { ...pu, type: i32 } as Expr, b: { ...q, type: i32 } as Expr };
    return size === 1 ? bytes : { k: 'binary', type: i32, op: '/', a: bytes, b: mk.const(i32, BigInt(size)) };
  }
  let n = checkExpr(ctx, argNode);
  if (n.type.k === 'lit' && isConst(n)) n = mk.const(i32, BigInt.asIntN(32, n.value));
  const off = scaleIndex(n, size, argNode);
  const r: Expr = { k: 'binary', type: t, op: method === 'add' ? '+' : '-', a: pu, b: off };
  if (isConst(off) && off.value === 0n) return p;
  if (isConst(off) && method === 'add') return addOffset(p, Number(BigInt.asIntN(32, off.value)), t);
  return r;
}

function checkConversion(ctx: Ctx, node: ts.CallExpression, to: KType): Expr {
  if (node.arguments.length !== 1) throw errorAt(node, `${typeName(to)}(x) takes one argument`);
  const argNode = node.arguments[0];
  const e = checkExpr(ctx, argNode);
  const from = e.type;
  if (from.k === 'lit' || from.k === 'int') {
    if (isConst(e)) return mk.const(to, wrapTo(e.value, to as never));
    if (from.k === 'lit') return convert(defaultType(e, argNode), to);
    return sameType(from, to) ? e : convert(e, to);
  }
  if (from.k === 'bool') return convert(e, to);
  if (isAddress(from)) {
    if (to.k === 'int' && to.bits === 32) return reinterpret(e, to);
    throw errorAt(node, `an address is 32 bits: convert it with u32(p), not ${typeName(to)}(p)`);
  }
  throw errorAt(argNode, `cannot convert ${typeName(from)} to ${typeName(to)}`);
}

