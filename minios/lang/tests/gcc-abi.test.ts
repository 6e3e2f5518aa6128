// cdecl both ways against gcc -m32: functions compiled by gcc (their machine code placed in the kernel as bytes)
// are called from the kernel language with every kind of argument (narrow, signed, 64-bit, bool), and gcc code calls
// back into a kernel-language function through a function pointer.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelRunner } from './machine.js';

const C = `#include <stdint.h>
uint64_t mix(uint8_t a, int16_t b, uint64_t c, int32_t d, _Bool e) {
  return (c * 3) ^ ((uint64_t)(int64_t)b << 20) ^ ((uint64_t)a << 40) ^ (uint64_t)(int64_t)d ^ (e ? 0x5555 : 0x1111);
}
int64_t apply(int64_t (*f)(uint32_t, int64_t, uint8_t, int16_t), uint32_t x) {
  return f(x, -(int64_t)x * 1000000007LL, (uint8_t)(x + 1), (int16_t)(x * 3)) + 1;
}
`;

/** gcc's code for C as nasm text: each function's label and its bytes (no relocations: the code is self-contained). */
function gccAsm(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-gcc-abi-'));
  try {
    const c = path.join(dir, 'c.c'), o = path.join(dir, 'c.o'), bin = path.join(dir, 'text.bin');
    fs.writeFileSync(c, C);
    execFileSync('gcc', ['-m32', '-O2', '-fno-pic', '-fno-stack-protector', '-fcf-protection=none', '-fno-asynchronous-unwind-tables', '-c', c, '-o', o], { stdio: 'pipe' });
    if (/R_386/.test(execFileSync('objdump', ['-r', o], { encoding: 'utf8' }))) throw new Error('gcc output has relocations: the C code must be self-contained');
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', o, bin]);
    const text = fs.readFileSync(bin);
    const syms = execFileSync('nm', [o], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split(' '))
      .filter(([, t]) => t === 'T').map(([v, , n]) => ({ at: parseInt(v, 16), name: n })).sort((a, b) => a.at - b.at);
    let asm = '';
    syms.forEach((s, i) => {
      const end = i + 1 < syms.length ? syms[i + 1].at : text.length;
      asm += `    global ${s.name}\n${s.name}:\n    db ${Array.from(text.subarray(s.at, end)).join(', ')}\n`;
    });
    return asm;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const M64 = (1n << 64n) - 1n;

describe('cdecl with gcc -m32 code', () => {
  const k = KernelRunner.of({
    'abi.ts': `asm\`
${gccAsm()}\`;
declare function mix(a: u8, b: i16, c: u64, d: i32, e: bool): u64;
declare function apply(f: (x: u32, y: i64, z: u8, w: i16) => i64, x: u32): i64;
function callback(x: u32, y: i64, z: u8, w: i16): i64 { return y * 3n + i64(x) + i64(z) * 1000n + i64(w) * 1000000n; }
export function t_mix(a: u8, b: i16, c: u64, d: i32, e: bool): u64 { return mix(a, b, c, d, e); }
export function t_mix_computed(x: u32): u64 { return mix(u8(x * 7), i16(x * 1000), u64(x) << 33n, i32(x) - 5, x > 3); }
export function t_apply(x: u32): i64 { return apply(callback, x); }
`,
  });
  const mixRef = (a: bigint, b: bigint, c: bigint, d: bigint, e: boolean) =>
    ((c * 3n) ^ (BigInt.asUintN(64, b) << 20n) ^ (a << 40n) ^ BigInt.asUintN(64, d) ^ (e ? 0x5555n : 0x1111n)) & M64;
  const u64 = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

  it('the kernel language calls gcc code with narrow, signed, 64-bit and bool arguments', () => {
    for (const [a, b, c, d, e] of [[0, 0, 0n, 0, false], [255, -1, M64, -1, true], [0x80, -32768, 0x123456789abcdefn, -0x80000000, true], [7, 32767, 1n << 63n, 0x7fffffff, false]] as const) {
      const r = k.call('t_mix', [a, b >>> 0, Number(c & 0xffffffffn), Number(c >> 32n), d >>> 0, e ? 1 : 0]);
      expect(u64(r.eax, r.edx)).toBe(mixRef(BigInt(a), BigInt(b), c, BigInt(d), e));
    }
    for (const x of [0, 1, 4, 100, 0xffffffff]) {
      const r = k.call('t_mix_computed', [x]);
      const a = BigInt((x * 7) & 0xff), b = BigInt.asIntN(16, BigInt(x) * 1000n), c = (BigInt(x) << 33n) & M64, d = BigInt.asIntN(32, BigInt(x) - 5n);
      expect(u64(r.eax, r.edx)).toBe(mixRef(a, b, c, d, x > 3));
    }
  });

  it('gcc code calls back into the kernel language through a function pointer', () => {
    for (const x of [0, 1, 77, 0x10000, 0xffffffff]) {
      const X = BigInt(x);
      const y = BigInt.asIntN(64, -X * 1000000007n), z = BigInt((x + 1) & 0xff), w = BigInt.asIntN(16, X * 3n);
      const want = BigInt.asIntN(64, BigInt.asIntN(64, y * 3n + X + z * 1000n + w * 1000000n) + 1n);
      const r = k.call('t_apply', [x]);
      expect(BigInt.asIntN(64, u64(r.eax, r.edx))).toBe(want);
    }
  });
});
