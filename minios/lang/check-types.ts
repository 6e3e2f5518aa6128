// Type syntax -> kernel types: integer aliases, Ptr<T>, CArray<T, N>, interfaces as C structs, const enums, aliases.
import ts from 'typescript';
import { errorAt } from './diagnostics.js';
import type { Decl, Module } from './program.js';
import { describeSyntax } from './program.js';
import { xenImportHint } from './suggest.js';
import { xenPublic } from './xen.js';
import { bool, cstr, i32, intTypes, layoutStruct, voidT, type KType, type StructType } from './types.js';

export function lookupType(name: string, m: Module): Decl | undefined {
  return m.scope.get(name);
}

export function resolveType(node: ts.TypeNode, m: Module): KType {
  switch (node.kind) {
    case ts.SyntaxKind.VoidKeyword: return voidT;
    case ts.SyntaxKind.BooleanKeyword: return bool;
    case ts.SyntaxKind.NumberKeyword:
      throw errorAt(node, "'number' has no width in the kernel language", 'use an integer type: u8, u16, u32, i8, i16, i32');
    case ts.SyntaxKind.BigIntKeyword:
      throw errorAt(node, "'bigint' has no width in the kernel language", 'use u64 or i64');
    case ts.SyntaxKind.StringKeyword:
      throw errorAt(node, "'string' values are not part of the kernel language", 'string literals have type cstr; a byte buffer is Ptr<u8>');
    case ts.SyntaxKind.AnyKeyword:
      throw errorAt(node, "'any' is not part of the kernel language", 'give the value its type, e.g. u32 or Ptr<u8>');
    case ts.SyntaxKind.ParenthesizedType:
      return resolveType((node as ts.ParenthesizedTypeNode).type, m);
  }
  if (ts.isUnionTypeNode(node)) {
    // Ptr<u8> | cstr (CharPtr written out) is a byte pointer; no other unions exist in the language.
    const parts = node.types.map((t) => resolveType(t, m));
    const bytePtr = (t: KType) => t.k === 'cstr' || (t.k === 'ptr' && t.to.k === 'int' && t.to.bits === 8);
    if (parts.every(bytePtr)) return { k: 'ptr', to: intTypes.u8 };
    throw errorAt(node, 'union types are not part of the kernel language', 'a value has exactly one type; CharPtr (Ptr<u8> | cstr) is the one union the kit knows');
  }
  if (ts.isFunctionTypeNode(node)) {
    if (node.typeParameters) throw errorAt(node, 'generic function types are not part of the kernel language');
    const params = node.parameters.map((p) => {
      if (!p.type) throw errorAt(p, 'a parameter of a function type needs a type');
      return resolveType(p.type, m);
    });
    return { k: 'fn', params, ret: resolveType(node.type, m) };
  }
  if (ts.isTypeReferenceNode(node)) {
    if (!ts.isIdentifier(node.typeName)) throw errorAt(node, 'qualified type names are not part of the kernel language', 'import the type by name');
    const name = node.typeName.text;
    const args = node.typeArguments ?? [];
    const noArgs = () => {
      if (args.length) throw errorAt(node, `'${name}' takes no type arguments`);
    };
    if (intTypes[name]) { noArgs(); return intTypes[name]; }
    if (name === 'bool') { noArgs(); return bool; }
    if (name === 'cstr') { noArgs(); return cstr; }
    if (name === 'VoidPtr') { noArgs(); return { k: 'ptr', to: voidT }; }
    if (name === 'CharPtr') { noArgs(); return { k: 'ptr', to: intTypes.u8 }; }
    if (name === 'Ptr') {
      if (args.length !== 1) throw errorAt(node, 'Ptr takes one type argument', 'e.g. Ptr<u8>');
      return { k: 'ptr', to: resolvePointee(args[0], m) };
    }
    if (name === 'CArray') {
      if (args.length !== 2) throw errorAt(node, 'CArray takes an element type and a length', 'e.g. CArray<u8, 16>');
      const lenNode = args[1];
      if (!ts.isLiteralTypeNode(lenNode) || !ts.isNumericLiteral(lenNode.literal)) throw errorAt(lenNode, 'the length of a CArray must be a number literal', 'e.g. CArray<u8, 16>');
      const length = Number(lenNode.literal.text);
      if (!Number.isInteger(length) || length <= 0) throw errorAt(lenNode, `array length ${lenNode.literal.text} must be a positive integer`);
      return { k: 'array', of: resolveType(args[0], m), length };
    }
    const d = lookupType(name, m);
    if (!d) {
      const fallback = 'integer types are u8..u64 and i8..i64; import struct types from "xen/public" or the file declaring them';
      throw errorAt(node.typeName, `unknown type '${name}'`, xenPublic().structs.has(name) ? xenImportHint(name) : fallback);
    }
    noArgs();
    switch (d.k) {
      case 'struct': return { k: 'struct', s: resolveStruct(d) };
      case 'enum': return i32;
      case 'alias': return resolveAlias(d);
      default: throw errorAt(node.typeName, `'${name}' is a value, not a type`);
    }
  }
  throw errorAt(node, `a ${describeSyntax(node)} is not part of the kernel language`, 'use u8..u64, i8..i64, bool, Ptr<T>, CArray<T, N>, a struct interface or a function type');
}

/** Ptr<T>'s T may be void/any-like only through VoidPtr; Ptr<void> is accepted as bytes. */
function resolvePointee(node: ts.TypeNode, m: Module): KType {
  if (node.kind === ts.SyntaxKind.VoidKeyword) return voidT;
  return resolveType(node, m);
}

export function resolveAlias(d: Extract<Decl, { k: 'alias' }>): KType {
  if (d.type) return d.type;
  if (d.state === 'busy') throw errorAt(d.node.name, `type alias '${d.name}' refers to itself`);
  if (d.node.typeParameters) throw errorAt(d.node, 'generic type aliases are not part of the kernel language');
  d.state = 'busy';
  try {
    d.type = resolveType(d.node.type, d.module);
  } finally {
    d.state = 'done';
  }
  return d.type;
}

const incomplete = new Set<StructType>();

export function resolveStruct(d: Extract<Decl, { k: 'struct' }>): StructType {
  if (d.st && d.state === 'done') return d.st;
  const node = d.node!;
  const m = d.module!;
  // Still being laid out: a Ptr to it is fine (the shell is returned); embedding it is caught below.
  if (d.state === 'busy' && d.st) return d.st;
  if (node.typeParameters) throw errorAt(node, 'generic interfaces are not part of the kernel language');
  if (node.heritageClauses) throw errorAt(node.heritageClauses[0], "'extends' is not part of the kernel language", 'embed the other struct as a field');
  d.state = 'busy';
  // Register a shell first so that Ptr<Self> fields can refer to it.
  const shell: StructType = { name: d.name, size: 0, align: 1, fields: new Map(), origin: m.file };
  d.st = shell;
  incomplete.add(shell);
  try {
    const spec: { name: string; type: KType }[] = [];
    for (const member of node.members) {
      if (!ts.isPropertySignature(member)) throw errorAt(member, 'a struct interface holds only fields', 'write functions that take the struct as a parameter');
      if (member.questionToken) throw errorAt(member, 'optional fields are not part of the kernel language', 'every field of a struct is always present');
      if (!ts.isIdentifier(member.name)) throw errorAt(member.name, 'a field name must be an identifier');
      if (!member.type) throw errorAt(member, `field '${member.name.text}' needs a type`);
      const t = member.type.kind === ts.SyntaxKind.TypeReference && isSelfEmbed(member.type as ts.TypeReferenceNode, d.name)
        ? (() => { throw errorAt(member.type!, `struct '${d.name}' contains itself`, 'hold a Ptr<' + d.name + '> instead'); })()
        : resolveType(member.type, m);
      if (t.k === 'void') throw errorAt(member.type, 'a field cannot be void');
      if ((t.k === 'struct' && incomplete.has(t.s)) || (t.k === 'array' && t.of.k === 'struct' && incomplete.has(t.of.s))) {
        throw errorAt(member.type, `struct '${d.name}' contains itself through '${member.name.text}'`, 'hold a Ptr to it instead');
      }
      spec.push({ name: member.name.text, type: t });
    }
    const laid = layoutStruct(d.name, m.file, spec);
    shell.size = laid.size;
    shell.align = laid.align;
    for (const [k, v] of laid.fields) shell.fields.set(k, v);
  } finally {
    d.state = 'done';
    incomplete.delete(shell);
  }
  return shell;
}

function isSelfEmbed(t: ts.TypeReferenceNode, name: string): boolean {
  return ts.isIdentifier(t.typeName) && t.typeName.text === name;
}
