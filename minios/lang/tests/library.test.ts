// Library code on the bare machine (no hypervisor): grant-table bookkeeping, string helpers.
import { describe, expect, it } from 'vitest';
import { KernelRunner } from './machine.js';

describe('gnttab bookkeeping', () => {
  const k = KernelRunner.of({
    'g.ts': `import { gnttab_init_free_list, gnttab_grant_access, gnttab_end_access, gnttab_entry, gnttab_free } from "minios/gnttab";
import { GTF_reading, GTF_writing } from "xen/public";
export function setup(): u32 { gnttab_init_free_list(); return gnttab_free; }
export function grant(dom: u32, frame: u32, ro: u32): u32 { return gnttab_grant_access(dom, frame, ro != 0); }
export function flags(ref: u32): u32 { return gnttab_entry(ref).flags; }
export function frame(ref: u32): u32 { return gnttab_entry(ref).frame; }
export function domid(ref: u32): u32 { return gnttab_entry(ref).domid; }
export function busy(ref: u32, how: u32): void { gnttab_entry(ref).flags |= u16(how == 1 ? GTF_reading : GTF_writing); }
export function idle(ref: u32): void { gnttab_entry(ref).flags &= u16(~(GTF_reading | GTF_writing)); }
export function end(ref: u32): u32 { return gnttab_end_access(ref) ? 1 : 0; }
export function free_count(): u32 { return gnttab_free; }
`,
  });

  it('hands out refs past the reserved ones and fills the entry (flags last)', () => {
    expect(k.call('setup').eax).toBe(2048 - 8);
    const ref = k.call('grant', [0, 0x1234, 0]).eax;
    expect(ref).toBe(8);
    expect(k.call('flags', [ref]).eax).toBe(1); // GTF_permit_access
    expect(k.call('frame', [ref]).eax).toBe(0x1234);
    const ro = k.call('grant', [5, 0x99, 1]).eax;
    expect(ro).toBe(9);
    expect(k.call('flags', [ro]).eax).toBe(1 | 4); // permit_access | readonly
    expect(k.call('domid', [ro]).eax).toBe(5);
    expect(k.call('free_count').eax).toBe(2048 - 8 - 2);
  });

  it('refuses to end access while the other side reads or writes, then frees the ref', () => {
    k.call('setup');
    const ref = k.call('grant', [0, 0x42, 0]).eax;
    for (const how of [1, 2]) {
      k.call('busy', [ref, how]);
      expect(k.call('end', [ref]).eax).toBe(0);
      expect(k.call('flags', [ref]).eax & 1).toBe(1);
      k.call('idle', [ref]);
    }
    expect(k.call('end', [ref]).eax).toBe(1);
    expect(k.call('flags', [ref]).eax).toBe(0);
    expect(k.call('grant', [0, 0x43, 0]).eax).toBe(ref); // the freed ref is reused first
  });
});

describe('string helpers', () => {
  const k = KernelRunner.of({
    's.ts': `import { strlen, strcmp, strncmp, strlcpy, memcmp, simple_strtoul } from "minios/string";
const buf = static_buffer<u8>(16);
export function t_strlen(): u32 { return strlen("hello") * 100 + strlen(""); }
export function t_strcmp(): u32 { return (strcmp("abc", "abc") == 0 ? 1 : 0) + (strcmp("abc", "abd") < 0 ? 2 : 0) + (strcmp("b", "a") > 0 ? 4 : 0) + (strncmp("abcX", "abcY", 3) == 0 ? 8 : 0); }
export function t_strlcpy(): u32 { const n = strlcpy(buf, "truncate me", 5); return n * 1000 + strlen(buf) * 10 + (memcmp(buf, ptr<u8>("trun"), 5) == 0 ? 1 : 0); }
export function t_strtoul(): u32 { return simple_strtoul("4096abc"); }
`,
  });
  it('measure, compare, copy and parse', () => {
    expect(k.call('t_strlen').eax).toBe(500);
    expect(k.call('t_strcmp').eax).toBe(15);
    expect(k.call('t_strlcpy').eax).toBe(11 * 1000 + 4 * 10 + 1);
    expect(k.call('t_strtoul').eax).toBe(4096);
  });
});

describe('the whole library', () => {
  it('compiles together into one kernel (every minios/kernel module)', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { compileKernel, formatDiagnostic } = await import('../index.js');
    const { kernelDir, repoRoot } = await import('./helpers.js');
    const files = fs.readdirSync(kernelDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => path.join(kernelDir, f));
    const fixtures = path.join(repoRoot, 'minios/lang/fixtures');
    const r = compileKernel({ files: [...files, path.join(fixtures, 'bench-start.kernel.ts')], kitRoot: repoRoot, allowedRoots: [kernelDir, fixtures] });
    expect(r.ok ? [] : r.diagnostics.map((d) => formatDiagnostic(d))).toEqual([]);
    if (r.ok) for (const fn of ['printk', 'init_events', 'init_blkfront', 'xenbus_read', 'gnttab_end_access', 'alloc_pages']) expect(r.image.symbols.has(fn)).toBe(true);
  });
});
