import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootMultiboot, parseMultibootElf } from '../multiboot.js';
import { buildKernel, runQemu } from './mb/build.js';

/** Boots a kernel on xenlab and under QEMU; returns both serial outputs and results. */
function onBoth(elf: Uint8Array) {
  let out = '';
  const r = bootMultiboot(elf, { onSerial: (s) => { out += s; } });
  const path = join(mkdtempSync(join(tmpdir(), 'xenlab-q-')), 'k.elf');
  writeFileSync(path, elf);
  return { out, r, q: runQemu(path) };
}

describe('bare Multiboot machine', () => {
  it('prints over serial exactly what QEMU prints for the CPU suite kernel (workload, flag sweeps, exceptions, paging)', () => {
    const { out, r, q } = onBoth(buildKernel('cpu-suite'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x21 });
    expect(q.status).toBe(0x21);
  });

  it('passes the command line and the loader state', () => {
    // A tiny kernel: copy the cmdline to serial, then exit with EAX's low byte.
    const elf = buildKernel('echo-cmdline');
    let out = '';
    const r = bootMultiboot(elf, { cmdline: 'hello world', onSerial: (s) => { out += s; } });
    expect(out).toBe('cmdline=hello world magic=2badb002 paging=0\n');
    expect(r.exit).toBe('debug-exit');
  });

  it('rejects files that are not Multiboot ELF32 kernels with a clear message', () => {
    expect(bootMultiboot(new Uint8Array(10))).toMatchObject({ exit: 'bad-image', message: 'not an ELF file' });
    const elf = buildKernel('echo-cmdline');
    const noHeader = elf.slice();
    for (let o = 0; o < 8192; o += 4) if (noHeader[o] === 0x02 && noHeader[o + 1] === 0xb0 && noHeader[o + 2] === 0xad) noHeader[o] = 0;
    expect(parseMultibootElf(noHeader)).toMatch(/no Multiboot header/);
    expect(bootMultiboot(elf, { memoryMiB: 1 })).toMatchObject({ exit: 'bad-image' });
    expect(bootMultiboot(elf, { memoryMiB: 4096 })).toMatchObject({ exit: 'bad-image', message: expect.stringContaining('from 2 to 1024') });
  });

  it('stops at the instruction budget', () => {
    const elf = buildKernel('echo-cmdline');
    expect(bootMultiboot(elf, { budget: 10 })).toMatchObject({ exit: 'budget', instructions: 10 });
  });
});

describe('privilege transitions against QEMU', () => {
  it('prints what QEMU prints for the rings kernel (iret to ring 3, int 0x80, #GP/#PF frames from ring 3, call gate)', () => {
    const { out, r, q } = onBoth(buildKernel('rings'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x23 });
  });
});

describe('exception frames against QEMU', () => {
  it('prints what QEMU prints for the faults kernel (every exception from ring 3 and ring 0: vector, error code, EIP, CS, EFLAGS, ESP, SS, frame position, CR2, DR6)', () => {
    const { out, r, q } = onBoth(buildKernel('faults'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x25 });
    // Every vector the kernel provokes was delivered (so the comparison covers them all).
    const vectors = new Set(out.split('\n').filter((l) => l.startsWith('vec ')).map((l) => Number(l.split(' ')[1])));
    expect([...vectors].sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]);
    // Ring-3 faults are delivered on the TSS ring-0 stack with SS:ESP pushed; #PF lines carry CR2.
    expect(out).toMatch(/^vec 14 err 00000007 .* ss 00000023 at esp0-20 cr2 [0-9a-f]{5}008$/m);
  });
});

describe('less common instructions against QEMU', () => {
  it('prints what QEMU prints for the isa kernel (LDT, segment bases, far pointers, far indirect jmp/call, DR0-7, string I/O, lock, loop/jecxz, enter with nesting, smsw/lmsw, arpl, salc, 16-bit forms)', () => {
    const { out, r, q } = onBoth(buildKernel('isa'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x27 });
    expect(out).toContain('outs ok\n'); // rep outsb reached the serial port
    expect(out.split('\n').map((l) => l.split(' ')[0])).toEqual(
      ['ldt', 'segments', 'farptr', 'farjmp', 'debugregs', 'outs', 'stringio', 'lock', 'cmpxchg', 'loop', 'enter', 'system', 'o16', 'code16', 'done', '']);
  });
});

describe('paging against QEMU', () => {
  it('prints what QEMU prints for the paging kernel (4 KiB and 4 MiB pages, PSE off, A/D bits, WP, invlpg, PDE and PTE permissions from ring 3, PAE with 2 MiB pages)', () => {
    const { out, r, q } = onBoth(buildKernel('paging'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x29 });
    expect(out).toContain('pse off 0080700a\n');           // PS ignored without CR4.PSE
    expect(out).toContain('#PF err 00000005 cr2 01c00000'); // a supervisor PDE over a user PTE
    expect(out).toContain('pae pte d 00000060\n');
  });
});

describe('restartable faults against QEMU', () => {
  it('prints what QEMU prints for the restart kernel (faults part way through string, stack, enter/leave, RMW and iret instructions leave the SDM state)', () => {
    const { out, r, q } = onBoth(buildKernel('restart'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x2b });
    expect(out.match(/^probe \d+/gm)).toHaveLength(20);
    expect(out).toContain('probe 0 vec 14 err 00000006'); // rep movsd: a user write into the hole ...
    expect(out).toMatch(/probe 0 [^\n]*\n {2}eax a0a0a0a0 ebx b0b0b0b0 ecx 00000003/); // ... with two of five dwords done
  });
});

describe('descriptor checks against QEMU', () => {
  it('prints what QEMU prints for the segs kernel (lar/lsl/verr/verw on every descriptor type, DPL, RPL, GDT and LDT, from ring 0 and ring 3)', () => {
    const { out, r, q } = onBoth(buildKernel('segs'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x2f });
    // Both rings ran every selector, and the table holds passes and failures of each instruction.
    expect(out.match(/^ring0 /gm)).toHaveLength(122);
    expect(out.match(/^ring3 /gm)).toHaveLength(122);
    expect(new Set(out.match(/zf 0000000[0-9a-f]/g))).toEqual(new Set(['zf 00000000', 'zf 00000001', 'zf 00000003', 'zf 00000007', 'zf 0000000f']));
  });
});

describe('control transfers against QEMU', () => {
  it('prints what QEMU prints for the xfer kernel (retf n to ring 3, call gate with parameters and retf n back, conforming segments by call, jmp and int)', () => {
    const { out, r, q } = onBoth(buildKernel('xfer'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x31 });
    const rec = Object.fromEntries([...out.matchAll(/^rec (\d+) ([0-9a-f]+)$/gm)].map((m) => [Number(m[1]), parseInt(m[2], 16)]));
    expect([rec[8], rec[9], rec[10]]).toEqual([0x222, 0x111, 0xfffffff8]); // parameters copied, caller's ESP pushed
    expect([rec[15], rec[18], rec[19]]).toEqual([0x33, 0x33, 0x33]);     // conforming code runs at CPL 3
  });
});

describe('debug registers against QEMU', () => {
  it('prints what QEMU prints for the debug kernel (instruction breakpoint with RF, data write and read/write breakpoints of 1, 2 and 4 bytes, a rep stopped by one, DR7 cleared)', () => {
    const { out, r, q } = onBoth(buildKernel('debug'));
    expect(q.out).toContain('done\n');
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x33 });
    expect(out.match(/^db eip/gm)).toHaveLength(6);
    expect(out).toContain('after exec bp 00000002\n'); // the breakpointed instruction ran once after the handler set RF
  });
});
