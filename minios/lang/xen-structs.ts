// StructDef (hypervisor/public/layout.ts) -> the compiler's StructType, keeping gcc -m32 offsets exactly.
import type { FieldType, StructDef } from '../../hypervisor/public/layout.js';
import type { KType, StructField, StructType } from './types.js';

function fieldType(t: FieldType, byDef: Map<StructDef, StructType>): KType {
  switch (t.kind) {
    case 'scalar': return { k: 'int', bits: (t.size * 8) as 8 | 16 | 32 | 64, signed: t.signed };
    case 'struct': return { k: 'struct', s: layoutFromDef(t.def, byDef) };
    case 'array': return { k: 'array', of: fieldType(t.of, byDef), length: t.length };
  }
}

export function layoutFromDef(def: StructDef, byDef: Map<StructDef, StructType>): StructType {
  const known = byDef.get(def);
  if (known) return known;
  const st: StructType = { name: def.name.endsWith('_t') ? def.name : `${def.name}_t`, size: def.size, align: def.align, fields: new Map(), origin: 'xen/public' };
  byDef.set(def, st);
  for (const f of def.fields) {
    const field: StructField = { name: f.name, type: fieldType(f.type, byDef), offset: f.offset };
    st.fields.set(f.name, field);
  }
  return st;
}
