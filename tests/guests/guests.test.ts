// C guests built with gcc -m32 against Debian's Xen headers, booted on our
// hypervisor: our ABI has to hold for code we did not assemble ourselves.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuest } from './build.js';
import { Hypervisor } from '../../hypervisor/index.js';
import { parseKernelImage } from '../../hypervisor/kernel_image.js';
import { planStartOfDay } from '../../hypervisor/domain_build.js';
import { xenlab } from '../cli.js';

function boot(name: string, opts: { cmdline?: string; memoryMiB?: number; textBase?: number } = {}) {
  const kernel = buildGuest(name, { textBase: opts.textBase });
  const hv = new Hypervisor({ wallclock: { sec: 1_700_000_000, nsec: 0 } });
  const dom = hv.createDomain({ kernel, cmdline: opts.cmdline, memoryMiB: opts.memoryMiB });
  const result = hv.run({ budget: 50_000_000 });
  return { hv, dom, result, kernel };
}

const field = (out: string, name: string) => {
  const m = new RegExp(`(?:^|[\\s])${name}=(\\S+)`).exec(out);
  if (!m) throw new Error(`no ${name}= in ${JSON.stringify(out)}`);
  return m[1];
};

describe('hello (book chapter 2)', () => {
  const { dom, result, kernel } = boot('hello', { cmdline: 'console=hvc0 hi', memoryMiB: 32 });

  it('prints hello and powers off', () => {
    expect(dom.consoleOutput.startsWith('Hello world!\n')).toBe(true);
    expect(dom.consoleOutput).not.toContain('still running');
    expect(result.outcome).toBe('shutdown');
    expect(dom.state).toBe('shutdown');
    expect(dom.shutdownReason).toBe('poweroff');
  });

  it('gets start_info in the start-of-day order xen.h documents', () => {
    const out = dom.consoleOutput;
    const sod = planStartOfDay(parseKernelImage(kernel), 32 * 256);
    expect(field(out, 'magic')).toBe('xen-3.0-x86_32');
    expect(Number(field(out, 'nr_pages'))).toBe(32 * 256);
    expect(Number(field(out, 'mfn_list'))).toBe(sod.p2mVa);
    expect(Number(field(out, 'si'))).toBe(sod.startInfoVa);
    expect(Number(field(out, 'pt_base'))).toBe(sod.ptVa);
    expect(Number(field(out, 'nr_pt_frames'))).toBe(2); // one L2 and one L1 for a 4 MiB region
    // mfn_list follows the kernel, start_info follows mfn_list (4 bytes a page), two ring pages, then the tables.
    expect(sod.startInfoVa).toBe(sod.p2mVa + Math.ceil((32 * 256 * 4) / 4096) * 4096);
    expect(sod.ptVa).toBe(sod.startInfoVa + 3 * 4096);
    expect(Number(field(out, 'shared_info'))).toBe(dom.sharedInfoMfn * 4096);
    expect(Number(field(out, 'store_mfn'))).toBe(0);
    expect(Number(field(out, 'console_mfn'))).toBe(0);
    expect(field(out, 'cmdline')).toBe('console=hvc0');
    expect(out).toContain('cmdline=console=hvc0 hi\n');
    expect(Number(field(out, 'version'))).toBe((4 << 16) | 17);
  });

  it('records hypercalls made through the hypercall page', () => {
    const first = dom.hypercalls[0];
    expect(first.name).toBe('console_io');
    expect(first.args.slice(0, 2)).toEqual([0, 13]);
    expect(first.viaHypercallPage).toBe(true);
    expect(first.callerEip).toBe(0x2000 + 18 * 32 + 5);
    const last = dom.hypercalls[dom.hypercalls.length - 1];
    expect(last.name).toBe('sched_op');
    expect(last.args[0]).toBe(2);
    expect(dom.hypercalls.every((h) => h.viaHypercallPage)).toBe(true);
  });

  it('boots through `xenlab run` with exit status 0 and only the guest text on stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenlab-hello-'));
    writeFileSync(join(dir, 'hello.elf'), kernel);
    const r = xenlab(['run', join(dir, 'hello.elf'), '--cmdline', 'x']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('Hello world!\nmagic=xen-3.0-x86_32')).toBe(true);
    writeFileSync(join(dir, 'garbage'), 'not a kernel at all');
    const bad = xenlab(['run', join(dir, 'garbage')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('not an ELF file');
  });
});

describe('hypercalls from a C guest', () => {
  const { dom, result } = boot('hypercalls');
  const out = dom.consoleOutput;
  const value = (name: string) => Number(field(out, name));

  it('runs to poweroff', () => {
    expect(result.outcome).toBe('shutdown');
    expect(dom.shutdownReason).toBe('poweroff');
  });

  it('console_io: bad pointers give -EFAULT, read gives 0, unknown command -ENOSYS', () => {
    expect(value('console_bad_ptr')).toBe(-14);
    expect(value('console_unmapped')).toBe(-14);
    expect(value('console_read')).toBe(0);
    expect(value('console_bad_cmd')).toBe(-38);
  });

  it('xen_version: numbers, strings, features, and bad arguments', () => {
    expect(value('version')).toBe(0x40011);
    expect(value('extraversion')).toBe(0);
    expect(field(out, 'extraversion_text')).toBe('.0-xenlab');
    expect(field(out, 'capabilities_text')).toBe('xen-3.0-x86_32');
    expect(value('extraversion_ro')).toBe(-14); // the page tables are mapped read-only
    expect(value('pagesize')).toBe(4096);
    expect(value('platform')).toBe(0);
    expect(value('virt_start')).toBe(0xfc000000 / 4096);
    expect(value('features')).toBe(0);
    expect(value('features_submap')).toBe(0);
    expect(value('features_bad_idx')).toBe(-22);
    expect(value('version_bad_cmd')).toBe(-38);
  });

  it('sched_op and unknown hypercalls', () => {
    expect(value('sched_yield')).toBe(0);
    expect(value('sched_bad_cmd')).toBe(-38);
    expect(value('sched_shutdown_bad_ptr')).toBe(-14);
    expect(value('unused_11')).toBe(-38);
    expect(value('raw_60')).toBe(-38);
    expect(value('raw_huge')).toBe(-38);
    const raw = dom.hypercalls.filter((h) => !h.viaHypercallPage);
    expect(raw.map((h) => h.nr)).toEqual([60, 0x80000000]);
  });
});

describe('a kernel described by Xen ELF notes at VIRT_BASE 0xC0000000', () => {
  it('boots', () => {
    const { dom, result } = boot('notes', { textBase: 0xc0000000 });
    expect(result.outcome).toBe('shutdown');
    expect(dom.consoleOutput).toMatch(/^hello from notes at 0xc000[0-9a-f]{4} si=0xc00[0-9a-f]{5}\n$/);
  });
});

describe('faults with no trap table crash the domain with a report', () => {
  const cases: [string, RegExp, RegExp, number | undefined][] = [
    ['pagefault', /page fault \(#PF\)/, /mov dword \[0xc00010\], 0x1234/, 0x00c00010],
    ['m2pwrite', /page fault/, /mov dword \[0xfc000000\], 0x1/, 0xfc000000],
    ['ptwrite', /page fault/, /mov dword \[eax\], 0x0/, undefined],
    ['hvarea', /general protection fault/, /mov eax, \[0xfc400000\]/, undefined],
    ['int80', /int \$0x80/, /int 0x80/, undefined],
    ['ud2', /invalid opcode/, /ud2/, undefined],
    ['divide', /divide error/, /idiv/, undefined],
    ['cli', /general protection fault/, /cli/, undefined],
  ];
  for (const [what, reason, insn, address] of cases) {
    it(what, () => {
      const { dom, result } = boot('faults', { cmdline: what });
      expect(dom.consoleOutput).toBe(`faulting: ${what}\n`);
      expect(result.outcome).toBe('crashed');
      expect(dom.state).toBe('crashed');
      expect(dom.crash?.reason).toMatch(reason);
      expect(dom.crash?.insn).toMatch(insn);
      expect(dom.crashReport).toMatch(/eax: 0x[0-9a-f]{8}/);
      expect(dom.crashReport).toContain(`eip: 0x${dom.crash!.eip.toString(16).padStart(8, '0')}`);
      if (address !== undefined) expect(dom.crashReport).toContain(`faulting address: 0x${address.toString(16).padStart(8, '0')}`);
    });
  }

  it('reads the M2P at 0xFC000000: m2p[p2m[0]] == 0', () => {
    const { dom } = boot('faults', { cmdline: 'm2pread' });
    expect(dom.consoleOutput).toContain('m2p[mfn_list[0]]=0x00000000');
    expect(dom.shutdownReason).toBe('poweroff');
  });
});

describe('events, time, traps and MMU rules from a C guest (book chapters 3-7)', () => {
  const { dom, result } = boot('events');
  const out = dom.consoleOutput;
  const value = (name: string) => Number(field(out, name));

  it('runs to the end', () => {
    expect(dom.crashReport).toBeUndefined();
    expect(result.outcome).toBe('shutdown');
    expect(value('done')).toBe(1);
  });

  it('maps shared_info and reads the wall clock and system time', () => {
    expect(value('map_shared_info')).toBe(0);
    expect(value('wc_sec')).toBe(1_700_000_000);
    expect(value('time_ok')).toBe(1);
  });

  it('bounces a page fault to the guest handler with CR2 and the error code, then retries', () => {
    expect(value('set_trap_table')).toBe(0);
    expect(value('set_trap_table_bad')).toBe(-14);
    expect(value('faults')).toBe(1);
    expect(value('fault_addr')).toBe(0x003ff004);
    expect(value('fault_code')).toBe(2); // write to a not-present page, supervisor
    expect(value('after_fault')).toBe(0xabcd);
    expect(value('int80')).toBe(42);
  });

  it('delivers VIRQ_TIMER and IPI events through the callback; block sleeps until the timer', () => {
    expect(value('bind_virq')).toBe(0);
    expect(value('bind_virq_again')).toBe(-17);
    expect(value('bind_virq_bad')).toBe(-14);
    expect(value('ports_differ')).toBe(1);
    expect(value('timer_ticks')).toBe(5);
    expect(value('elapsed_ms_at_least_5')).toBe(1);
    expect(value('elapsed_ms_below_7')).toBe(1);
    expect(value('send_ipi')).toBe(0);
    expect(value('ipi_events')).toBe(1);
    expect(value('send_bad_port')).toBe(-22);
    expect(value('close')).toBe(0);
    expect(value('close_again')).toBe(-22);
    expect(value('alloc_unbound')).toBe(0);
    expect(value('alloc_unbound_other')).toBe(-1);   // -EPERM: Dom0's ports are not ours to allocate
    expect(value('alloc_unbound_missing')).toBe(-3); // -ESRCH: no domain 5
  });

  it('refuses writable page tables, foreign frames and the hypervisor area', () => {
    expect(value('map_pt_writable')).toBe(-22);
    expect(value('map_pt_readonly')).toBe(0);
    expect(value('read_pt_via_map')).toBe(1);
    expect(value('map_xen_frame')).toBe(-1);
    expect(value('map_hv_area')).toBe(-22);
    expect(value('mmu_update_hv_slot')).toBe(-22);
    expect(value('mmu_update_done')).toBe(0);
    expect(value('pin_pinned')).toBe(-22);
    expect(value('flush')).toBe(0);
    expect(value('mmuext_bad')).toBe(-38);
    expect(value('current_reservation')).toBe(32 * 256);
  });
});

describe('two domains share a page through a grant and an interdomain event channel', () => {
  const hv = new Hypervisor({});
  const kernel = buildGuest('share');
  const a = hv.createDomain({ kernel, cmdline: 'granter2', name: 'granter' });
  const b = hv.createDomain({ kernel, cmdline: 'mapper 1', name: 'mapper' });
  const result = hv.run({ budget: 200_000_000 });
  const va = (name: string) => Number(field(a.consoleOutput, name));
  const vb = (name: string) => Number(field(b.consoleOutput, name));

  it('both power off', () => {
    expect(result.outcome).toBe('shutdown');
    expect([a.shutdownReason, b.shutdownReason]).toEqual(['poweroff', 'poweroff']);
  });

  it('the mapper reads what the granter wrote, and the granter sees the reply', () => {
    expect(vb('bind')).toBe(0);
    expect(vb('map')).toBe(0);
    expect(vb('map_status')).toBe(0);
    expect(b.consoleOutput).toContain('mapped: shared hello\n');
    expect(a.consoleOutput).toContain('peer wrote: hello back\n');
  });

  it('keeps GTF_reading|GTF_writing in the entry while mapped and clears them on unmap', () => {
    expect(va('setup_status')).toBe(0);
    expect(va('flags_while_mapped')).toBe(1 | 8 | 16);
    expect(va('flags_after_unmap')).toBe(1);
  });

  it('refuses writes through read-only grants, bad references, wrong domains and stale handles', () => {
    expect(vb('map_readonly_grant_writable')).toBe(-8);
    expect(vb('map_bad_ref')).toBe(-3);
    expect(vb('map_bad_dom')).toBe(-2);
    expect(vb('unmap_status')).toBe(0);
    expect(vb('unmap_again')).toBe(-4);
  });
});

describe('ring 3: stack_switch, a DPL-3 trap gate and the iret hypercall', () => {
  it('bounces system calls from ring 3 onto the kernel stack and returns', () => {
    const { dom, result } = boot('user');
    const out = dom.consoleOutput;
    const value = (name: string) => Number(field(out, name));
    expect(result.outcome).toBe('shutdown');
    expect(value('set_trap_table')).toBe(0);
    expect(value('stack_switch')).toBe(0);
    expect(value('frame_cs')).toBe(0xe02b);
    expect(value('frame_ss')).toBe(0xe033);
    expect(value('frame_esp_in_ustack')).toBe(1);
    expect(value('handler_cs')).toBe(0xe019);
    expect(value('user_result')).toBe(42);
    expect(value('user_esp_ok')).toBe(1);
    expect(value('calls')).toBe(2);
    expect(dom.hypercalls.some((h) => h.name === 'iret' && h.viaHypercallPage)).toBe(true);
  });
});
