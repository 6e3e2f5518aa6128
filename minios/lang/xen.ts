// The guest ABI as the kernel language sees it: every StructDef and numeric constant exported by hypervisor/public,
// reachable from kernel files as `import { start_info_t, SCHEDOP_shutdown } from "xen/public"`.
import type { FieldType, StructDef } from '../../hypervisor/public/layout.js';
import { layoutFromDef } from './xen-structs.js';
import { publicModules } from './xen-modules.js';
import type { StructType } from './types.js';

export interface XenPublic {
  /** Struct types by the names kernels use (the StructDef's name, plus `<name>_t` when it has no such suffix). */
  structs: Map<string, StructType>;
  /** Numeric constants by name. */
  constants: Map<string, bigint>;
}

let cached: XenPublic | undefined;

function isStructDef(v: unknown): v is StructDef {
  return typeof v === 'object' && v !== null && 'fields' in v && 'offsetOf' in v && 'size' in v && typeof (v as StructDef).name === 'string';
}

/** Names under which a StructDef is visible to kernels. */
export function structNames(exportName: string, def: StructDef): string[] {
  const names = new Set<string>([exportName]);
  names.add(def.name.endsWith('_t') ? def.name : `${def.name}_t`);
  return [...names];
}

export function xenPublic(): XenPublic {
  if (cached) return cached;
  const structs = new Map<string, StructType>();
  const constants = new Map<string, bigint>();
  const byDef = new Map<StructDef, StructType>();
  for (const mod of publicModules) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'number' && Number.isInteger(value)) constants.set(name, BigInt(value));
      else if (typeof value === 'bigint') constants.set(name, value);
      else if (isStructDef(value)) {
        const st = layoutFromDef(value, byDef);
        for (const n of structNames(name, value)) if (!structs.has(n)) structs.set(n, st);
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        // A plain object of numbers (an enum-like table): its members become NAME constants.
        for (const [k, v] of Object.entries(value)) {
          if (typeof v === 'number' && Number.isInteger(v) && /^[A-Z_][A-Z0-9_]*$/.test(k) && !constants.has(k)) constants.set(k, BigInt(v));
        }
      }
    }
  }
  cached = { structs, constants };
  return cached;
}

export type { FieldType };
