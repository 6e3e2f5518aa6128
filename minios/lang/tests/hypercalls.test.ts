// The library has a wrapper for every hypercall the hypervisor offers, and the less common ones reach it with their
// arguments in the right registers.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { boot } from './boot.js';
import { kernelDir } from './helpers.js';

const registered = vi.hoisted(() => new Set<number>());
vi.mock('../../../hypervisor/hypercall.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../hypervisor/hypercall.js')>();
  return {
    ...real,
    registerHypercalls: (entries: Parameters<typeof real.registerHypercalls>[0]) => {
      for (const nr of Object.keys(entries)) registered.add(Number(nr));
      real.registerHypercalls(entries);
    },
  };
});

describe('hypercall wrappers', () => {
  it('exist for every hypercall the hypervisor registers (iret excepted: it is jumped to from assembly)', async () => {
    const { installHypercalls } = await import('../../../hypervisor/hypercall_table.js');
    const { HYPERCALL_NAMES } = await import('../../../hypervisor/public/xen.js');
    installHypercalls();
    expect(registered.size).toBeGreaterThan(20);
    const src = fs.readFileSync(path.join(kernelDir, 'hypercalls.ts'), 'utf8');
    const wrappers = new Set([...src.matchAll(/export function HYPERVISOR_(\w+)\(/g)].map((m) => m[1]));
    const missing = [...registered].map((nr) => HYPERCALL_NAMES[nr]).filter((n) => n !== 'iret' && !wrappers.has(n));
    expect(missing).toEqual([]);
  });

  it('compat event_channel_op, update_va_mapping_otherdomain, domctl/sysctl/platform_op and compat sched_op reach the hypervisor', () => {
    const r = boot({
      'k.ts': `import "minios/bootstrap";
import { printk } from "minios/console";
import { HYPERVISOR_event_channel_op_compat, HYPERVISOR_update_va_mapping_otherdomain, HYPERVISOR_sched_op_compat, HYPERVISOR_domctl, HYPERVISOR_sysctl, HYPERVISOR_platform_op } from "minios/hypercalls";
import { DOMID_SELF, EVTCHNOP_alloc_unbound, SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

export function start_kernel(si: Ptr<start_info_t>): void {
  // { u32 cmd; evtchn_alloc_unbound_t { u16 dom; u16 remote_dom; u32 port } }
  const op = stack_buffer<u32>(3);
  op[0] = EVTCHNOP_alloc_unbound;
  op[1] = DOMID_SELF;
  op[2] = 0xffff;
  const rc = HYPERVISOR_event_channel_op_compat(op);
  printk("alloc %d port %u\\n", rc, op[2]);
  // another domain's frame needs privilege (Dom0) or an existing domain (7): -EPERM, -ESRCH
  printk("other %d %d\\n", HYPERVISOR_update_va_mapping_otherdomain(0x400000, 0, 0, 0), HYPERVISOR_update_va_mapping_otherdomain(0x400000, 0, 0, 7));
  // the toolstack's calls: domctl version 0x15 is Xen 4.17's (-EPERM: not privileged), a struct in Xen's hole is
  // -EFAULT, and 0x15 is not platform_op's version (-EACCES)
  const ctl = stack_buffer<u32>(4);
  ctl[1] = 0x15;
  printk("ctl %d %d %d\\n", HYPERVISOR_domctl(ctl), HYPERVISOR_sysctl(ptr<u32>(0xfffff000)), HYPERVISOR_platform_op(ctl));
  HYPERVISOR_sched_op_compat(SCHEDOP_shutdown, SHUTDOWN_poweroff);
  printk("not reached\\n");
}
`,
    });
    expect(r.console).toMatch(/^alloc 0 port [1-9]\d*\nother -1 -3\nctl -1 -14 -13\n$/);
    expect(r.state).toBe('shutdown');
  });
});
