// Intrinsics: conversions to pointers, addresses, sizes, stack storage, volatile access, barriers, atomics, hypercalls.
import ts from 'typescript';
import { errorAt } from './diagnostics.js';
import { resolveType } from './check-types.js';
import { checkAccess, checkExpr, coerce, condition, isConst, mk, reinterpret, type Ctx } from './check-expr.js';
import type { Expr, Local } from './ir.js';
import { bool, i32, isAddress, sizeOf, typeName, u32, u64, u8, voidT, type KType } from './types.js';

export const intrinsicNames = new Set([
  'ptr', 'ref', 'addr_of', 'sizeof', 'offsetof', 'static_buffer', 'static_struct', 'stack_struct', 'stack_buffer',
  'volatile_read', 'volatile_write', 'barrier', 'mb', 'rmb', 'wmb', 'xchg', 'cmpxchg', 'atomic_add',
  'synch_set_bit', 'synch_clear_bit', 'synch_test_and_set_bit', 'synch_test_and_clear_bit', 'synch_test_bit',
  'hypercall', 'asm', 'rdtsc', 'breakpoint', 'ffs32', 'va_start', 'char',
]);

function typeArg(ctx: Ctx, node: ts.CallExpression, name: string): KType {
  const ta = node.typeArguments;
  if (!ta || ta.length !== 1) throw errorAt(node, `${name} needs a type argument: ${name}<T>(...)`);
  return resolveType(ta[0], ctx.m);
}

function args(node: ts.CallExpression, name: string, n: number): readonly ts.Expression[] {
  if (node.arguments.length !== n) throw errorAt(node, `${name} takes ${n} argument${n === 1 ? '' : 's'}, not ${node.arguments.length}`);
  return node.arguments;
}

function needFn(ctx: Ctx, node: ts.Node, name: string): NonNullable<Ctx['fn']> {
  if (!ctx.fn) throw errorAt(node, `${name} can only be used inside a function`);
  return ctx.fn;
}

/** A pointer argument to a memory intrinsic, returning the pointer and its element type. */
function pointerArg(ctx: Ctx, node: ts.Expression, name: string): { p: Expr; elem: KType } {
  const p = checkExpr(ctx, node);
  if (p.type.k !== 'ptr') throw errorAt(node, `${name} needs a pointer, not ${typeName(p.type)}`, 'take an address with addr_of(x)');
  return { p, elem: p.type.to };
}

function intElem(node: ts.Node, elem: KType, name: string): void {
  if (elem.k !== 'int' || elem.bits === 64) throw errorAt(node, `${name} works on 8-, 16- and 32-bit integers, not ${typeName(elem)}`);
}

function constArg(ctx: Ctx, node: ts.Expression, what: string): bigint {
  const e = checkExpr(ctx, node);
  if (!isConst(e) || e.type.k === 'bool') throw errorAt(node, `${what} must be a compile-time constant`);
  return e.value;
}

export function checkIntrinsic(ctx: Ctx, node: ts.CallExpression, name: string): Expr {
  const intr = (type: KType, a: Expr[], nr?: number): Expr => ({ k: 'intrinsic', type, name, args: a, nr });
  switch (name) {
    case 'ptr':
    case 'ref': {
      const t = typeArg(ctx, node, name);
      const [a] = args(node, name, 1);
      const e = checkExpr(ctx, a);
      if (name === 'ref' && t.k !== 'struct') throw errorAt(node, `ref<T> needs a struct type, not ${typeName(t)}`, 'use ptr<T> for other types');
      const to: KType = name === 'ptr' ? { k: 'ptr', to: t } : t;
      if (e.type.k === 'lit' && isConst(e)) return mk.const(to, BigInt.asUintN(32, e.value));
      if (e.type.k === 'int' && e.type.bits === 32) return reinterpret(e, to);
      if (isAddress(e.type)) return reinterpret(e, to);
      throw errorAt(a, `${name}<T>(x) needs a 32-bit integer or an address, not ${typeName(e.type)}`, e.type.k === 'int' ? 'convert it first: u32(x)' : undefined);
    }
    case 'addr_of': {
      const [a] = args(node, name, 1);
      const acc = checkAccess(ctx, a);
      if (acc && 'place' in acc) {
        if (acc.place.k === 'local') (acc.place.local as Local & { addressTaken?: boolean }).addressTaken = true;
        return { k: 'addr', type: { k: 'ptr', to: acc.place.type }, place: acc.place };
      }
      if (acc && 'value' in acc) {
        const t = acc.value.type;
        return { ...acc.value, type: t.k === 'ptr' ? t : { k: 'ptr', to: t } } as Expr;
      }
      const e = checkExpr(ctx, a);
      if (e.type.k === 'struct') return { ...e, type: { k: 'ptr', to: e.type } } as Expr;
      if (e.k === 'symaddr') return e.type.k === 'cstr' ? { ...e, type: { k: 'ptr', to: { k: 'int', bits: 8, signed: false } } } : e;
      throw errorAt(a, 'addr_of needs a variable, a field, an element or a struct');
    }
    case 'sizeof': {
      args(node, name, 0);
      return mk.const(u32, BigInt(sizeOf(typeArg(ctx, node, name))));
    }
    case 'offsetof': {
      const t = typeArg(ctx, node, name);
      const [a] = args(node, name, 1);
      if (!ts.isStringLiteral(a)) throw errorAt(a, 'offsetof needs the field path as a string literal', 'e.g. offsetof<start_info_t>("console.domU.evtchn")');
      let cur = t;
      let off = 0;
      for (const part of a.text.split('.')) {
        if (cur.k === 'array' && /^\d+$/.test(part)) {
          off += Number(part) * sizeOf(cur.of);
          cur = cur.of;
          continue;
        }
        if (cur.k !== 'struct') throw errorAt(a, `'${part}' in "${a.text}" follows a ${typeName(cur)}, which has no fields`);
        const f = cur.s.fields.get(part);
        if (!f) throw errorAt(a, `struct ${cur.s.name} has no field '${part}'`, `its fields: ${[...cur.s.fields.keys()].join(', ')}`);
        off += f.offset;
        cur = f.type;
      }
      return mk.const(u32, BigInt(off));
    }
    case 'static_buffer':
    case 'static_struct':
      throw errorAt(node, `${name} declares static storage and belongs at module level`, `e.g. const page = ${name === 'static_buffer' ? 'static_buffer<u8>(4096, 4096)' : 'static_struct<my_state>()'}; use stack_${name.slice(7)} inside a function`);
    case 'stack_struct':
    case 'stack_buffer': {
      const fn = needFn(ctx, node, name);
      const t = typeArg(ctx, node, name);
      let bytes: number;
      let type: KType;
      if (name === 'stack_struct') {
        args(node, name, 0);
        if (t.k !== 'struct') throw errorAt(node, `stack_struct needs a struct type, not ${typeName(t)}`, 'use stack_buffer<T>(n) for arrays');
        bytes = t.s.size;
        type = { k: 'ptr', to: t };
      } else {
        const [n] = args(node, name, 1);
        const count = constArg(ctx, n, 'the element count of stack_buffer');
        if (count <= 0n || count > 65536n) throw errorAt(n, `stack_buffer of ${count} elements: the count must be 1..65536`);
        bytes = sizeOf(t) * Number(count);
        type = { k: 'ptr', to: t };
      }
      const local: Local = { name: `<${name} at line ${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}>`, type, offset: 0, storage: bytes, param: false };
      fn.func.locals.push(local);
      return { k: 'frameaddr', type, local };
    }
    case 'volatile_read': {
      const [a] = args(node, name, 1);
      const { p, elem } = pointerArg(ctx, a, name);
      if (elem.k === 'struct' || elem.k === 'array') throw errorAt(a, `volatile_read reads a scalar, not a ${typeName(elem)}`);
      return mk.load({ k: 'mem', addr: p, offset: 0, type: elem, volatile: true });
    }
    case 'volatile_write': {
      const [a, v] = args(node, name, 2);
      const { p, elem } = pointerArg(ctx, a, name);
      if (elem.k === 'struct' || elem.k === 'array') throw errorAt(a, `volatile_write writes a scalar, not a ${typeName(elem)}`);
      const value = coerce(checkExpr(ctx, v), elem, v, 'volatile_write');
      return { k: 'assign', type: voidT, place: { k: 'mem', addr: p, offset: 0, type: elem, volatile: true }, value };
    }
    case 'barrier': case 'mb': case 'rmb': case 'wmb': case 'breakpoint':
      args(node, name, 0);
      return intr(voidT, []);
    case 'rdtsc':
      args(node, name, 0);
      return intr(u64, []);
    case 'ffs32': {
      const [a] = args(node, name, 1);
      return intr(u32, [coerce(checkExpr(ctx, a), u32, a, 'ffs32')]);
    }
    case 'xchg':
    case 'atomic_add': {
      const [a, v] = args(node, name, 2);
      const { p, elem } = pointerArg(ctx, a, name);
      intElem(a, elem, name);
      return intr(elem, [p, coerce(checkExpr(ctx, v), elem, v, name)]);
    }
    case 'cmpxchg': {
      const [a, o, v] = args(node, name, 3);
      const { p, elem } = pointerArg(ctx, a, name);
      intElem(a, elem, name);
      return intr(elem, [p, coerce(checkExpr(ctx, o), elem, o, name), coerce(checkExpr(ctx, v), elem, v, name)]);
    }
    case 'synch_set_bit': case 'synch_clear_bit': case 'synch_test_and_set_bit': case 'synch_test_and_clear_bit': case 'synch_test_bit': {
      const [n, a] = args(node, name, 2);
      const nr = coerce(checkExpr(ctx, n), u32, n, `bit number of ${name}`);
      const p = checkExpr(ctx, a);
      if (p.type.k !== 'ptr' && p.type.k !== 'struct') throw errorAt(a, `${name} needs a pointer to the bitmap, not ${typeName(p.type)}`);
      return intr(name.includes('test') ? bool : voidT, [nr, { ...p, type: u32 } as Expr]);
    }
    case 'hypercall': {
      needFn(ctx, node, name);
      if (node.arguments.length < 1 || node.arguments.length > 6) throw errorAt(node, 'hypercall takes the hypercall number and up to 5 arguments');
      const nr = constArg(ctx, node.arguments[0], 'the hypercall number');
      if (nr < 0n || nr >= 128n) throw errorAt(node.arguments[0], `hypercall number ${nr} is outside the hypercall page (0..127)`);
      const hargs = node.arguments.slice(1).map((a, i) => {
        const e = checkExpr(ctx, a);
        if (e.type.k === 'lit') return coerce(e, (e as { value: bigint }).value < 0n ? i32 : u32, a, `hypercall argument ${i + 1}`);
        if (e.type.k === 'int' && e.type.bits === 64) throw errorAt(a, 'hypercall arguments are 32 bits', 'split a 64-bit value into two u32 arguments, low word first');
        if (e.type.k === 'int' || e.type.k === 'bool' || isAddress(e.type)) return e.type.k === 'int' && e.type.bits < 32 ? coerce(e, e.type.signed ? i32 : u32, a, 'hypercall argument') : e;
        throw errorAt(a, `a ${typeName(e.type)} cannot be a hypercall argument`);
      });
      return intr(i32, hargs, Number(nr));
    }
    case 'asm':
      throw errorAt(node, 'asm is a tagged template: asm`...`, not a call');
    case 'char': {
      const [a] = args(node, name, 1);
      if (!ts.isStringLiteral(a) || new TextEncoder().encode(a.text).length !== 1) throw errorAt(a, 'char takes a string literal of one byte', "e.g. char('%')");
      return mk.const(u8, BigInt(new TextEncoder().encode(a.text)[0]));
    }
    case 'va_start': {
      const [a] = args(node, name, 1);
      const e = checkExpr(ctx, a);
      if (!ts.isIdentifier(a) || e.k !== 'addr' || e.place.k !== 'local' || !e.place.local.name.endsWith('$first')) {
        throw errorAt(a, 'va_start takes the rest parameter of this function', 'declare it as ...args: VarArg[] and call va_start(args)');
      }
      return e;
    }
  }
  void condition;
  throw errorAt(node, `unknown intrinsic '${name}'`);
}
