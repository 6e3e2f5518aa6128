// Random integer programs (tests/random-programs.ts, only instructions whose
// flags the SDM fully defines for the readers that follow) run inside a
// Multiboot kernel on xenlab and on QEMU; each prints its registers, flags and
// a checksum of the memory it wrote, and the two outputs must agree. The loops
// run 60 times, so their blocks also get compiled on xenlab.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootMultiboot } from '../multiboot.js';
import { buildKernelFromSource, runQemu } from './mb/build.js';
import { nasm } from './harness.js';
import { program, rng } from './random-programs.js';

const PROGRAMS = process.env.XENLAB_FUZZ_LONG ? 300 : 30;
const AT = 0x400000, STRIDE = 0x1000, DATA = 0x600000;

function kernelSource(count: number, seed0: number): string {
  const progs: string[] = [], inits: string[] = [];
  for (let p = 0; p < count; p++) {
    const seed = seed0 + p * 7919;
    const src = program(seed, p % 3 === 2, true).replace('int 0x80', 'ret');
    const bytes = nasm(src, AT + p * STRIDE);
    if (bytes.length > STRIDE) throw new Error(`program ${p} is ${bytes.length} bytes, more than ${STRIDE}`);
    progs.push(`{${Array.from(bytes).join(',')}}`);
    const next = rng(seed ^ 0xabcdef);
    inits.push(`{${[next(), next(), next(), next(), next(), next()].map((v) => `0x${(v >>> 0).toString(16)}u`).join(',')}}`);
  }
  return `#include "lib.h"
static const unsigned char progs[${count}][${STRIDE}] = {${progs.join(',\n')}};
static const u32 inits[${count}][6] = {${inits.join(',\n')}};
u32 st[8];            /* eax ebx ecx edx esi edi ebp eflags */
u32 entry, saved_esp;
void runp(void);
__asm__(".globl runp\\nrunp:\\npusha\\nmov %esp, saved_esp\\n"
        "pushl st+28\\npopf\\nmov st, %eax\\nmov st+4, %ebx\\nmov st+8, %ecx\\nmov st+12, %edx\\n"
        "mov st+16, %esi\\nmov st+20, %edi\\nmov st+24, %ebp\\ncall *entry\\n"
        "mov %eax, st\\nmov %ebx, st+4\\nmov %ecx, st+8\\nmov %edx, st+12\\nmov %esi, st+16\\nmov %edi, st+20\\n"
        "mov %ebp, st+24\\npushf\\npopl st+28\\nmov saved_esp, %esp\\npopa\\nret\\n");
void kmain(u32 magic, u32 *info) {
  (void)magic; (void)info;
  for (int p = 0; p < ${count}; p++) {
    unsigned char *code = (unsigned char *)(${AT} + p * ${STRIDE});
    for (int i = 0; i < ${STRIDE}; i++) code[i] = progs[p][i];
    u32 *data = (u32 *)${DATA}, s = inits[p][5];
    for (int i = 0; i < 256; i++) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; data[i] = s; }
    st[0] = inits[p][0]; st[1] = inits[p][1]; st[2] = inits[p][2]; st[3] = inits[p][3];
    st[4] = ${DATA} + 0x100; st[5] = ${DATA}; st[6] = ${DATA} + 0x200; st[7] = (inits[p][4] & 0x8d5) | 2;
    entry = ${AT} + p * ${STRIDE};
    runp();
    u32 h = 2166136261u;
    for (int i = 0; i < 256; i++) { h ^= data[i]; h *= 16777619u; }
    puts_serial("p"); putdec(p);
    for (int r = 0; r < 7; r++) { putc_serial(' '); puthex(st[r]); }
    puts_serial(" f "); puthex(st[7] & 0x8c5); puts_serial(" m "); puthex(h); putc_serial('\\n');
  }
  puts_serial("done\\n");
  qemu_exit(0x16);
}
`;
}

describe('random programs against QEMU', () => {
  it(`${PROGRAMS} random integer programs print the same registers, flags and memory checksum on xenlab and QEMU`, () => {
    const elf = buildKernelFromSource(kernelSource(PROGRAMS, 0x9e37));
    let out = '';
    const r = bootMultiboot(elf, { onSerial: (s) => { out += s; } });
    const path = join(mkdtempSync(join(tmpdir(), 'xenlab-q-')), 'k.elf');
    writeFileSync(path, elf);
    const q = runQemu(path);
    expect(q.out).toContain('done\n');
    expect(r).toMatchObject({ exit: 'debug-exit', status: 0x2d });
    expect(out.split('\n')).toEqual(q.out.split('\n'));
    expect(out.split('\n')).toHaveLength(PROGRAMS + 2);
  }, 60_000);
});
