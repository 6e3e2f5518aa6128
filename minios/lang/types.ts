// Types of the kernel language and their machine layout (i386 System V, as gcc -m32).

export type IntBits = 8 | 16 | 32 | 64;

export type KType =
  | { k: 'int'; bits: IntBits; signed: boolean }
  | { k: 'bool' }
  | { k: 'void' }
  /** A typed pointer (Ptr<T>, CArray<T, N> decays to one). */
  | { k: 'ptr'; to: KType }
  /** A struct reference: the value is the struct's address; fields are reached directly. */
  | { k: 'struct'; s: StructType }
  /** A fixed array: only as a field or storage type; its value is a pointer to element 0. */
  | { k: 'array'; of: KType; length: number }
  /** A string literal: the address of NUL-terminated bytes in .rodata. */
  | { k: 'cstr' }
  /** A function pointer. */
  | { k: 'fn'; params: KType[]; ret: KType; variadic?: boolean }
  /** An integer constant not yet given a width (Go's untyped constants): it takes the width it meets. */
  | { k: 'lit'; big: boolean };

export interface StructField {
  name: string;
  type: KType;
  offset: number;
}

export interface StructType {
  name: string;
  size: number;
  align: number;
  fields: Map<string, StructField>;
  /** Where it was declared, for messages. */
  origin: string;
}

export const u8: KType = { k: 'int', bits: 8, signed: false };
export const u16: KType = { k: 'int', bits: 16, signed: false };
export const u32: KType = { k: 'int', bits: 32, signed: false };
export const u64: KType = { k: 'int', bits: 64, signed: false };
export const i8: KType = { k: 'int', bits: 8, signed: true };
export const i16: KType = { k: 'int', bits: 16, signed: true };
export const i32: KType = { k: 'int', bits: 32, signed: true };
export const i64: KType = { k: 'int', bits: 64, signed: true };
export const bool: KType = { k: 'bool' };
export const voidT: KType = { k: 'void' };
export const cstr: KType = { k: 'cstr' };
export const litT: KType = { k: 'lit', big: false };
export const bigLitT: KType = { k: 'lit', big: true };

export const intTypes: Record<string, KType> = { u8, u16, u32, u64, i8, i16, i32, i64 };

export function isInt(t: KType): t is Extract<KType, { k: 'int' }> {
  return t.k === 'int';
}
export function is64(t: KType): boolean {
  return t.k === 'int' && t.bits === 64;
}
/** Values held as a 32-bit address. */
export function isAddress(t: KType): boolean {
  return t.k === 'ptr' || t.k === 'struct' || t.k === 'cstr' || t.k === 'fn';
}

export function sizeOf(t: KType): number {
  switch (t.k) {
    case 'int': return t.bits / 8;
    case 'bool': return 1;
    case 'void': return 1;
    case 'ptr': case 'cstr': case 'fn': return 4;
    case 'struct': return t.s.size;
    case 'array': return sizeOf(t.of) * t.length;
    case 'lit': return 4;
  }
}

export function alignOf(t: KType): number {
  switch (t.k) {
    case 'int': return Math.min(4, t.bits / 8);
    case 'struct': return t.s.align;
    case 'array': return alignOf(t.of);
    default: return Math.min(4, sizeOf(t));
  }
}

/** Size of the value as held in registers/stack slots: 8 for 64-bit integers, else 4. */
export function slotSize(t: KType): number {
  return is64(t) ? 8 : 4;
}

export function typeName(t: KType): string {
  switch (t.k) {
    case 'int': return `${t.signed ? 'i' : 'u'}${t.bits}`;
    case 'bool': return 'bool';
    case 'void': return 'void';
    case 'ptr': return t.to.k === 'void' ? 'VoidPtr' : `Ptr<${typeName(t.to)}>`;
    case 'struct': return t.s.name;
    case 'array': return `CArray<${typeName(t.of)}, ${t.length}>`;
    case 'cstr': return 'cstr';
    case 'fn': return `(${[...t.params.map(typeName), ...(t.variadic ? ['...VarArg[]'] : [])].join(', ')}) => ${typeName(t.ret)}`;
    case 'lit': return t.big ? 'bigint constant' : 'integer constant';
  }
}

export function sameType(a: KType, b: KType): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'int': return a.bits === (b as typeof a).bits && a.signed === (b as typeof a).signed;
    case 'ptr': return sameType(a.to, (b as typeof a).to);
    case 'struct': return a.s === (b as typeof a).s;
    case 'array': return a.length === (b as typeof a).length && sameType(a.of, (b as typeof a).of);
    case 'fn': {
      const f = b as typeof a;
      return a.params.length === f.params.length && !!a.variadic === !!f.variadic && a.params.every((p, i) => sameType(p, f.params[i])) && sameType(a.ret, f.ret);
    }
    case 'lit': return a.big === (b as typeof a).big;
    default: return true;
  }
}

/** Range of an integer type as BigInts. */
export function intRange(t: { bits: IntBits; signed: boolean }): [bigint, bigint] {
  const b = BigInt(t.bits);
  return t.signed ? [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n] : [0n, (1n << b) - 1n];
}

/** Wraps v to the width and signedness of t (C conversion semantics). */
export function wrapTo(v: bigint, t: { bits: IntBits; signed: boolean }): bigint {
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Lays out fields in declaration order with C rules. */
export function layoutStruct(name: string, origin: string, spec: { name: string; type: KType }[], opts: { union?: boolean } = {}): StructType {
  const fields = new Map<string, StructField>();
  let offset = 0;
  let align = 1;
  for (const f of spec) {
    const a = alignOf(f.type);
    align = Math.max(align, a);
    const at = opts.union ? 0 : alignUp(offset, a);
    fields.set(f.name, { name: f.name, type: f.type, offset: at });
    offset = opts.union ? Math.max(offset, sizeOf(f.type)) : at + sizeOf(f.type);
  }
  return { name, origin, size: alignUp(offset, align), align, fields };
}
