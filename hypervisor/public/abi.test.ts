// The outside oracle for hypervisor/public: a C program compiled with
// gcc -m32 against Debian's libxen-dev headers prints every number and every
// struct size, field offset, field size and signedness we declare; each must
// match. Missing gcc or headers fail the test loudly.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as xen from './xen.js';
import { ALL_STRUCTS } from './structs.js';
import type { FieldType, StructDef } from './layout.js';

/** [group, C prefix, keys that have no C macro of that name]. */
const GROUPS: [Record<string, number>, string, string[]][] = [
  [xen.HYPERVISOR, '__HYPERVISOR_', []],
  [xen.X86_32, '', ['GDT_PAGES']],
  [xen.SCHEDOP, 'SCHEDOP_', []],
  [xen.SHUTDOWN, 'SHUTDOWN_', []],
  [xen.CONSOLEIO, 'CONSOLEIO_', []],
  [xen.XENVER, 'XENVER_', []],
  [xen.XENFEAT, 'XENFEAT_', []],
  [xen.MMU, 'MMU_', []],
  [xen.MMUEXT, 'MMUEXT_', []],
  [xen.UVMF, 'UVMF_', []],
  [xen.VMASST, 'VMASST_', []],
  [xen.VMASST_TYPE, 'VMASST_TYPE_', []],
  [xen.XENMEM, 'XENMEM_', []],
  [xen.VCPUOP, 'VCPUOP_', []],
  [xen.VCPU_SSHOTTMR, 'VCPU_SSHOTTMR_', []],
  [xen.CALLBACKOP, 'CALLBACKOP_', []],
  [xen.CALLBACKTYPE, 'CALLBACKTYPE_', []],
  [xen.CALLBACKF, 'CALLBACKF_', []],
  [xen.EVTCHNOP, 'EVTCHNOP_', []],
  [xen.EVTCHNSTAT, 'EVTCHNSTAT_', []],
  [xen.VIRQ, 'VIRQ_', []],
  [xen.DOMID, 'DOMID_', []],
  [xen.GNTTABOP, 'GNTTABOP_', []],
  [xen.GTF, 'GTF_', []],
  [xen.GNTMAP, 'GNTMAP_', []],
  [xen.GNTCOPY, 'GNTCOPY_', []],
  [xen.GNTST, 'GNTST_', []],
  [xen.SIF, 'SIF_', []],
  [xen.XEN_ELFNOTE, 'XEN_ELFNOTE_', []],
  [{ NR_VIRQS: xen.NR_VIRQS, XEN_LEGACY_MAX_VCPUS: xen.XEN_LEGACY_MAX_VCPUS, MAX_GUEST_CMDLINE: xen.MAX_GUEST_CMDLINE,
     GNTTAB_NR_RESERVED_ENTRIES: xen.GNTTAB_NR_RESERVED_ENTRIES }, '', []],
];

/** Members that are guest handles (a struct wrapping a pointer in C): no signedness to compare. */
const HANDLES = new Set(['sched_poll.ports', 'xen_memory_reservation.extent_start', 'gnttab_setup_table.frame_list', 'mmuext_op.arg2.vcpumask']);

const HEADERS = ['xen/xen.h', 'xen/version.h', 'xen/features.h', 'xen/sched.h', 'xen/event_channel.h', 'xen/grant_table.h',
  'xen/memory.h', 'xen/vcpu.h', 'xen/callback.h', 'xen/elfnote.h', 'xen/errno.h', 'xen/io/console.h', 'xen/io/xs_wire.h'];

interface Expect { key: string; ts: number }

function leaves(def: StructDef, t: FieldType, path: string, cpath: string, out: { path: string; cpath: string; t: FieldType }[]): void {
  out.push({ path, cpath, t });
  if (t.kind === 'struct') for (const f of t.def.fields) leaves(def, f.type, path ? `${path}.${f.name}` : f.name, cpath ? `${cpath}.${f.name}` : f.name, out);
  if (t.kind === 'array') {
    const idx = t.length > 1 ? [0, t.length - 1] : [0];
    for (const i of idx) leaves(def, t.of, `${path}.${i}`, `${cpath}[${i}]`, out);
  }
}

function buildProgram(): { source: string; expects: Expect[] } {
  const lines: string[] = ['#define __XEN_INTERFACE_VERSION__ 0x00030205', '#include <stdio.h>', '#include <stddef.h>', '#include <stdint.h>'];
  for (const h of HEADERS) lines.push(`#include <${h}>`);
  lines.push('#define P(k, v) printf("%s %lld\\n", k, (long long)(v))', 'int main(void) {');
  const expects: Expect[] = [];
  for (const [group, prefix, skip] of GROUPS) {
    for (const [k, v] of Object.entries(group)) {
      if (skip.includes(k)) continue;
      const c = prefix + k;
      lines.push(`P("${c}", ${c});`);
      expects.push({ key: c, ts: v });
    }
  }
  for (const [k, v] of Object.entries(xen.XEN_ERRNO)) expects.push({ key: `XEN_${k}`, ts: v });
  for (const def of ALL_STRUCTS) {
    const T = `struct ${def.name}`;
    lines.push(`P("sizeof ${def.name}", sizeof(${T}));`);
    expects.push({ key: `sizeof ${def.name}`, ts: def.size });
    const all: { path: string; cpath: string; t: FieldType }[] = [];
    for (const f of def.fields) leaves(def, f.type, f.name, f.name, all);
    for (const { path, cpath, t } of all) {
      const m = `((${T} *)0)->${cpath}`;
      lines.push(`P("${def.name}.${path} offset", offsetof(${T}, ${cpath}));`);
      expects.push({ key: `${def.name}.${path} offset`, ts: def.offsetOf(path) });
      const size = t.kind === 'scalar' ? t.size : t.kind === 'struct' ? t.def.size : -1;
      if (size >= 0) {
        lines.push(`P("${def.name}.${path} size", sizeof(${m}));`);
        expects.push({ key: `${def.name}.${path} size`, ts: size });
      }
      if (t.kind === 'scalar' && !HANDLES.has(`${def.name}.${path}`)) {
        lines.push(`P("${def.name}.${path} signed", ((__typeof__(${m}))-1) < 0);`);
        expects.push({ key: `${def.name}.${path} signed`, ts: t.signed ? 1 : 0 });
      }
    }
  }
  // errno.h declares an enum unless XEN_ERRNO is defined by the includer.
  lines.push('#undef XEN_ERRNO', '#define XEN_ERRNO(n, v) P("XEN_" #n, XEN_##n);', '#include <xen/errno.h>', 'return 0; }');
  return { source: lines.join('\n'), expects };
}

describe('hypervisor/public matches the Xen headers (gcc -m32)', () => {
  const { source, expects } = buildProgram();
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-abi-'));
  writeFileSync(join(dir, 'abi.c'), source);
  let output = '';
  let buildError = '';
  try {
    execFileSync('gcc', ['-m32', '-I/usr/include', '-w', '-o', join(dir, 'abi'), join(dir, 'abi.c')], { stdio: 'pipe' });
    output = execFileSync(join(dir, 'abi')).toString();
  } catch (e) {
    buildError = `gcc -m32 against /usr/include/xen failed (CI needs gcc-multilib and libxen-dev): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`;
  }
  const got = new Map<string, number>();
  for (const line of output.split('\n')) {
    const sp = line.lastIndexOf(' ');
    if (sp > 0) got.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }

  it('compiles and runs the oracle', () => {
    expect(buildError).toBe('');
    expect(got.size).toBe(expects.length);
  });

  it('agrees on every number, size, offset and signedness', () => {
    const wrong = expects.filter((e) => got.get(e.key) !== e.ts).map((e) => `${e.key}: ours ${e.ts}, headers ${got.get(e.key)}`);
    expect(wrong).toEqual([]);
    expect(expects.length).toBeGreaterThan(600);
  });
});
