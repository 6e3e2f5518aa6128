// C struct layout as gcc -m32 lays it out (i386 System V: u64/i64 align to 4
// inside structs). Every guest-visible structure is declared once with these
// helpers; the hypervisor reads and writes guest memory through them and the
// kernel-language compiler turns them into typed field accesses.

export type ScalarName = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64';

export type FieldType =
  | { kind: 'scalar'; name: ScalarName; size: number; align: number; signed: boolean }
  | { kind: 'struct'; def: StructDef }
  | { kind: 'array'; of: FieldType; length: number };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
}

export interface StructDef {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly Field[];
  /** Field by name; throws a clear error when the name is not a field. */
  field(name: string): Field;
  /** Byte offset of a dotted path such as "console.domU.evtchn" or "vcpu_info.1.time.version". */
  offsetOf(path: string): number;
}

function scalar(name: ScalarName, size: number, align: number, signed: boolean): FieldType {
  return { kind: 'scalar', name, size, align, signed };
}

export const u8 = scalar('u8', 1, 1, false);
export const u16 = scalar('u16', 2, 2, false);
export const u32 = scalar('u32', 4, 4, false);
export const u64 = scalar('u64', 8, 4, false);
export const i8 = scalar('i8', 1, 1, true);
export const i16 = scalar('i16', 2, 2, true);
export const i32 = scalar('i32', 4, 4, true);
export const i64 = scalar('i64', 8, 4, true);

export function array(of: FieldType, length: number): FieldType {
  return { kind: 'array', of, length };
}

export function nested(def: StructDef): FieldType {
  return { kind: 'struct', def };
}

export function sizeOf(t: FieldType): number {
  switch (t.kind) {
    case 'scalar': return t.size;
    case 'struct': return t.def.size;
    case 'array': return sizeOf(t.of) * t.length;
  }
}

export function alignOf(t: FieldType): number {
  switch (t.kind) {
    case 'scalar': return t.align;
    case 'struct': return t.def.align;
    case 'array': return alignOf(t.of);
  }
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Lay out fields in order with C rules; `opts.union` overlays them all at 0. */
export function struct(
  name: string,
  spec: ReadonlyArray<readonly [string, FieldType]>,
  opts: { union?: boolean; size?: number } = {},
): StructDef {
  let offset = 0;
  let align = 1;
  const fields: Field[] = [];
  for (const [fname, type] of spec) {
    const a = alignOf(type);
    align = Math.max(align, a);
    const at = opts.union ? 0 : alignUp(offset, a);
    fields.push({ name: fname, type, offset: at });
    offset = opts.union ? Math.max(offset, sizeOf(type)) : at + sizeOf(type);
  }
  const size = opts.size ?? alignUp(offset, align);
  if (size < offset) throw new Error(`struct ${name}: declared size ${size} is smaller than its fields (${offset})`);
  const byName = new Map(fields.map((f) => [f.name, f]));
  const def: StructDef = {
    name,
    size,
    align,
    fields,
    field(fname: string): Field {
      const f = byName.get(fname);
      if (!f) throw new Error(`struct ${name} has no field '${fname}' (fields: ${fields.map((x) => x.name).join(', ')})`);
      return f;
    },
    offsetOf(path: string): number {
      let t: FieldType = { kind: 'struct', def };
      let off = 0;
      for (const part of path.split('.')) {
        if (t.kind === 'array') {
          const i = Number(part);
          if (!Number.isInteger(i) || i < 0 || i >= t.length) throw new Error(`${name}.${path}: index ${part} out of range 0..${t.length - 1}`);
          off += i * sizeOf(t.of);
          t = t.of;
        } else if (t.kind === 'struct') {
          const f = t.def.field(part);
          off += f.offset;
          t = f.type;
        } else {
          throw new Error(`${name}.${path}: '${part}' follows a scalar`);
        }
      }
      return off;
    },
  };
  return def;
}
