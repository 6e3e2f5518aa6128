// Differential test of results and flags against the host CPU: each
// instruction runs natively (a gcc -m32 helper with inline asm, fed random
// operands on stdin) and on the emulator, and EAX-EDX plus the flags the SDM
// defines for that instruction must agree.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE, makeMachine, nasm } from './harness.js';

const ALL = 0x8d5, NO_AF = ALL & ~0x10, C = 1, O = 0x800, Z = 0x40;
interface Case { insn: string; mask: (ecx: number) => number; filter?: (r: number[]) => boolean }

const ops: Case[] = [];
const all = () => ALL;
for (const n of ['add', 'adc', 'sub', 'sbb', 'cmp']) {
  ops.push({ insn: `${n} eax, ebx`, mask: all }, { insn: `${n} ax, bx`, mask: all }, { insn: `${n} al, bl`, mask: all }, { insn: `${n} ah, bl`, mask: all });
}
// Immediate forms (eAX,Iv and group 1 with imm32/imm8), which have their own fast handlers.
for (const n of ['add', 'sub', 'cmp']) ops.push({ insn: `${n} eax, 0x80000001`, mask: all }, { insn: `${n} ebx, -3`, mask: all }, { insn: `${n} ecx, 0x7fffffff`, mask: all });
for (const n of ['and', 'or', 'xor']) ops.push({ insn: `${n} eax, 0xff00ff00`, mask: () => NO_AF }, { insn: `${n} edx, -2`, mask: () => NO_AF });
for (const n of ['and', 'or', 'xor', 'test']) ops.push({ insn: `${n} eax, ebx`, mask: () => NO_AF }, { insn: `${n} al, bl`, mask: () => NO_AF });
for (const n of ['inc', 'dec', 'neg', 'not']) ops.push({ insn: `${n} eax`, mask: all }, { insn: `${n} bx`, mask: all }, { insn: `${n} cl`, mask: all });
// Shifts: with count 0 nothing changes; OF only defined for count 1; AF undefined.
const shiftMask = (size: number) => (ecx: number) => {
  const n = ecx & 0x1f;
  if (n === 0) return ALL;
  if (size < 32 && n >= size) return n === size ? NO_AF & ~O : Z | 0x80 | 4; // CF undefined past the width
  return n === 1 ? NO_AF : NO_AF & ~O;
};
for (const n of ['shl', 'shr', 'sar']) {
  ops.push({ insn: `${n} eax, cl`, mask: shiftMask(32) }, { insn: `${n} bx, cl`, mask: shiftMask(16) }, { insn: `${n} al, cl`, mask: shiftMask(8) });
}
const rotMask = (ecx: number) => ((ecx & 0x1f) === 0 ? ALL : (ecx & 0x1f) === 1 ? ALL : ALL & ~O);
for (const n of ['rol', 'ror', 'rcl', 'rcr']) {
  ops.push({ insn: `${n} eax, cl`, mask: rotMask }, { insn: `${n} bx, cl`, mask: rotMask }, { insn: `${n} al, cl`, mask: rotMask });
}
ops.push({ insn: 'shld eax, ebx, cl', mask: (c) => ((c & 31) === 0 ? ALL : (c & 31) === 1 ? NO_AF : NO_AF & ~O) });
ops.push({ insn: 'shrd eax, ebx, cl', mask: (c) => ((c & 31) === 0 ? ALL : (c & 31) === 1 ? NO_AF : NO_AF & ~O) });
for (const n of ['mul', 'imul']) ops.push({ insn: `${n} ebx`, mask: () => C | O }, { insn: `${n} bx`, mask: () => C | O }, { insn: `${n} bl`, mask: () => C | O });
ops.push({ insn: 'imul eax, ebx', mask: () => C | O }, { insn: 'imul ax, bx', mask: () => C | O }, { insn: 'imul eax, ebx, 0x1234567', mask: () => C | O });
ops.push({ insn: 'bt eax, ebx', mask: () => C }, { insn: 'bts eax, ebx', mask: () => C }, { insn: 'btr eax, ebx', mask: () => C }, { insn: 'btc eax, ebx', mask: () => C });
ops.push({ insn: 'bsf eax, ebx', mask: () => Z, filter: (r) => r[3] !== 0 }, { insn: 'bsr eax, ebx', mask: () => Z, filter: (r) => r[3] !== 0 });
ops.push({ insn: 'daa', mask: () => ALL & ~O }, { insn: 'das', mask: () => ALL & ~O }, { insn: 'aaa', mask: () => C | 0x10 }, { insn: 'aas', mask: () => C | 0x10 });
ops.push({ insn: 'aam 10', mask: () => Z | 0x80 | 4 }, { insn: 'aad 10', mask: () => Z | 0x80 | 4 }, { insn: 'aam 7', mask: () => Z | 0x80 | 4 });
ops.push({ insn: 'xadd eax, ebx', mask: all }, { insn: 'cmpxchg ebx, ecx', mask: all }, { insn: 'cmpxchg bl, cl', mask: all });
ops.push({ insn: 'bswap eax', mask: all }, { insn: 'cwde', mask: all }, { insn: 'cdq', mask: all }, { insn: 'sahf', mask: all }, { insn: 'lahf', mask: all }, { insn: 'cmc', mask: all });
ops.push({ insn: 'movsx eax, bl', mask: all }, { insn: 'movzx eax, bx', mask: all }, { insn: 'setg cl', mask: all }, { insn: 'setbe cl', mask: all }, { insn: 'cmovl eax, ebx', mask: all }, { insn: 'setp cl', mask: all });
// div/idiv: only operands that do not raise #DE (checked in TypeScript first).
const divOk = (signed: boolean, size: number) => (r: number[]) => {
  const [eax, , edx, ebx] = r;
  const d = size === 32 ? ebx : size === 16 ? ebx & 0xffff : ebx & 0xff;
  if (d === 0) return false;
  if (!signed) {
    if (size === 32) return edx < d;
    if (size === 16) return (edx & 0xffff) < d;
    return ((eax >>> 8) & 0xff) < d;
  }
  const sx = (v: number, b: number) => (b === 32 ? BigInt(v | 0) : BigInt((v << (32 - b)) >> (32 - b)));
  const n = size === 32 ? (BigInt(edx | 0) << 32n) | BigInt(eax >>> 0) : size === 16 ? sx(((edx & 0xffff) << 16) | (eax & 0xffff), 32) : sx(eax & 0xffff, 16);
  const q = n / sx(d, size);
  const lim = 1n << BigInt(size - 1);
  return q < lim && q >= -lim;
};
for (const size of [32, 16, 8]) {
  const reg = size === 32 ? 'ebx' : size === 16 ? 'bx' : 'bl';
  ops.push({ insn: `div ${reg}`, mask: () => 0, filter: divOk(false, size) }, { insn: `idiv ${reg}`, mask: () => 0, filter: divOk(true, size) });
}

const EDGE = [0, 1, 2, 7, 8, 9, 0x0f, 0x10, 0x1f, 0x20, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x99, 0x9a];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
}

function nativeHelper(insns: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'xenlab-flags-'));
  const fns = insns.map((s, k) => `static void t${k}(unsigned *r) {
  unsigned a = r[0], c = r[1], d = r[2], b = r[3], f = r[4];
  __asm__ volatile("push %[f]\\n\\tpopfd\\n\\t${s}\\n\\tpushfd\\n\\tpop %[f]" : "+a"(a), "+b"(b), "+c"(c), "+d"(d), [f] "+S"(f) :: "cc", "memory");
  r[0] = a; r[1] = c; r[2] = d; r[3] = b; r[4] = f;
}`).join('\n');
  const src = `#include <stdio.h>
${fns}
static void (*const T[])(unsigned *) = { ${insns.map((_, k) => `t${k}`).join(', ')} };
int main(void) {
  unsigned k, r[5];
  while (scanf("%u %x %x %x %x %x", &k, &r[0], &r[1], &r[2], &r[3], &r[4]) == 6) {
    T[k](r);
    printf("%x %x %x %x %x\\n", r[0], r[1], r[2], r[3], r[4]);
  }
  return 0;
}
`;
  writeFileSync(join(dir, 'h.c'), src);
  execFileSync('gcc', ['-m32', '-O1', '-masm=intel', '-o', join(dir, 'h'), join(dir, 'h.c')], { stdio: 'pipe' });
  return join(dir, 'h');
}

describe('results and flags match the host CPU', () => {
  const perOp = process.env.XENLAB_FUZZ_LONG ? 5000 : 300;
  it(`${ops.length} instruction forms x ${perOp} operand sets`, () => {
    const helper = nativeHelper(ops.map((o) => o.insn));
    const next = rng(0x5eed);
    const pick = () => (next() % 3 === 0 ? EDGE[next() % EDGE.length] : next() % 4 === 0 ? next() & 0xff : next());
    const cases: { k: number; r: number[] }[] = [];
    ops.forEach((op, k) => {
      let made = 0, tries = 0;
      while (made < perOp && tries++ < perOp * 20) {
        const r = [pick(), next() % 2 ? next() % 40 : pick(), pick(), pick(), (next() & 0x8d5) | 2];
        if (op.filter && !op.filter(r)) continue;
        cases.push({ k, r });
        made++;
      }
    });
    const input = cases.map(({ k, r }) => `${k} ${r.map((v) => (v >>> 0).toString(16)).join(' ')}`).join('\n') + '\n';
    const out = execFileSync(helper, { input, maxBuffer: 1 << 28 }).toString().trim().split('\n');
    expect(out.length).toBe(cases.length);
    // Emulator: one machine, each form assembled once at its own address.
    const m = makeMachine({ cpl: 0, paging: false });
    const addrs: number[] = [];
    let at = CODE;
    for (const op of ops) {
      const bytes = nasm(`${op.insn}\nhlt`, at);
      m.mem.writeBytes(at, bytes);
      addrs.push(at);
      at += 32;
    }
    const mismatches: string[] = [];
    cases.forEach(({ k, r }, n) => {
      const [a, c, d, b, f] = r;
      m.cpu.regs.set([a, c, d, b]);
      m.cpu.setEflags(f);
      m.cpu.eip = addrs[k];
      const exit = m.cpu.run(1);
      const got = [m.cpu.regs[0], m.cpu.regs[1], m.cpu.regs[2], m.cpu.regs[3], m.cpu.getEflags()];
      const want = out[n].split(' ').map((h) => parseInt(h, 16) >>> 0);
      const mask = ops[k].mask(c) | 0x8d5 & 0; // flags compared under the op's mask
      const flagsOk = ((got[4] ^ want[4]) & mask) === 0;
      const regsOk = got.slice(0, 4).every((v, j) => v === want[j]);
      if (exit.kind !== 'budget' || !flagsOk || !regsOk) {
        if (mismatches.length < 20) {
          mismatches.push(`${ops[k].insn} in [${r.map((v) => (v >>> 0).toString(16)).join(' ')}] want [${want.map((v) => v.toString(16)).join(' ')}] got [${got.map((v) => v.toString(16)).join(' ')}] mask ${mask.toString(16)} exit ${exit.kind}`);
        }
      }
    });
    expect(mismatches).toEqual([]);
  });
});
