// The guest ABI as the kernel language sees it: every StructDef and numeric constant exported by hypervisor/public,
// reachable from kernel files as `import { start_info_t, SCHEDOP_shutdown } from "xen/public"`.
import type { FieldType, StructDef } from '../../hypervisor/public/layout.js';
import { layoutFromDef } from './xen-structs.js';
import { groupPrefix, publicModules } from './xen-modules.js';
import type { StructType } from './types.js';

export interface XenPublic {
  /** Struct types by the names kernels use (the StructDef's name, plus `<name>_t` when it has no such suffix). */
  structs: Map<string, StructType>;
  /** Numeric constants by their C names. */
  constants: Map<string, bigint>;
  /** String constants (START_INFO_MAGIC). */
  strings: Map<string, string>;
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
  const strings = new Map<string, string>();
  const byDef = new Map<StructDef, StructType>();
  const ident = /^[A-Za-z_$][\w$]*$/;
  for (const mod of publicModules) {
    for (const [name, value] of Object.entries(mod).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (typeof value === 'number' && Number.isInteger(value)) constants.set(name, BigInt(value));
      else if (typeof value === 'bigint') constants.set(name, value);
      else if (typeof value === 'string') strings.set(name, value);
      else if (isStructDef(value)) {
        const st = layoutFromDef(value, byDef);
        for (const n of structNames(name, value)) if (!structs.has(n)) structs.set(n, st);
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        // A group of numbers keyed by C name without prefix: SCHEDOP.shutdown is SCHEDOP_shutdown.
        const prefix = groupPrefix[name] ?? `${name}_`;
        for (const [k, v] of Object.entries(value)) {
          const cname = prefix + k;
          if (typeof v === 'number' && Number.isInteger(v) && ident.test(cname) && !constants.has(cname)) constants.set(cname, BigInt(v));
        }
      }
    }
  }
  // Nested structs (start_info_console_domU, ...) are reachable by name too.
  for (const st of byDef.values()) if (!structs.has(st.name)) structs.set(st.name, st);
  cached = { structs, constants, strings };
  return cached;
}

export type { FieldType };
