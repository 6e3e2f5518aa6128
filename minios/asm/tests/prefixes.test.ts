// Prefixes written in front of instructions (rep/repe/repne, lock, segment overrides, a16/o16/a32/o32, prefixes alone
// on a line): against nasm byte for byte, and back through the CPU's disassembler.
import { describe, expect, it } from 'vitest';
import { disassemble } from '../../../machine/cpu/disasm.js';
import { Assembler } from '../assembler.js';
import { AsmError } from '../errors.js';
import { generateCases } from './generate.js';
import { compareWithNasm, nasmRejects } from './slots.js';

const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const STRING_OPS = ['movs', 'cmps', 'stos', 'lods', 'scas', 'ins', 'outs'];

/** Every string instruction with every repeat prefix, segment override and address/operand size, and mixtures. */
function stringCases(): string[] {
  const out: string[] = [];
  for (const op of STRING_OPS) {
    for (const w of ['b', 'w', 'd']) {
      const mn = op + w;
      const reps = /^(cmps|scas)/.test(op) ? ['repe', 'repz', 'repne', 'repnz', 'rep'] : ['rep'];
      out.push(mn, ...reps.map((r) => `${r} ${mn}`), ...SEGS.map((s) => `${s} ${mn}`), `a16 ${mn}`, `o16 ${mn}`, `o32 ${mn}`,
        `a32 ${mn}`, `${reps[0]} fs ${mn}`, `fs ${reps[reps.length - 1]} ${mn}`, `a16 ${reps[0]} es ${mn}`, `o16 a16 rep gs ${mn}`);
    }
  }
  out.push('fs xlatb', 'es xlat', 'a16 xlatb', 'rep nop', 'rep ret');
  return out;
}

const LOCKABLE = /^(add|or|adc|sbb|and|sub|xor|inc|dec|not|neg|xchg|cmpxchg|cmpxchg8b|xadd|bts|btr|btc)$/;

/** lock on every form of every lockable instruction whose destination is in memory (nasm's table of them). */
function lockCases(): string[] {
  return generateCases((mn) => LOCKABLE.test(mn))
    .filter((c) => typeof c.ops[0] === 'object' && c.ops[0].kind === 'mem' || (c.mn === 'xchg' && c.ops.some((o) => typeof o === 'object' && o.kind === 'mem')))
    .map((c) => `lock ${c.line}`);
}

/** A segment override written in front instead of inside [ ], and size prefixes forced on ordinary forms. */
function otherCases(): string[] {
  // short branches first, within reach of tgt
  const out: string[] = ['a16 jcxz tgt', 'a32 jcxz tgt', 'a16 loop tgt', 'a16 loop tgt, cx'];
  for (const s of SEGS) {
    out.push(`${s} mov eax, [ebx]`, `${s} add byte [esi+4], 7`, `${s} mov [0x1234], al`, `${s} push dword [ebp-8]`,
      `${s} jmp dword [eax]`, `${s} lea eax, [ecx*4+8]`, `${s} nop`, `lock ${s} inc dword [edi]`);
  }
  out.push('o16 add ax, bx', 'o16 add eax, ebx', 'o32 add ax, bx', 'o16 push 5', 'o16 pushf', 'o16 iret', 'o16 leave', 'o32 pushfw',
    'a16 add [bx], ax', 'a16 mov al, [0x10]',
    'lock', 'rep', 'repne', 'fs', 'es', 'o16', 'a16', 'a32', 'o32', 'rep lock', 'lock rep add [eax], ebx',
    'a16 mov eax, [0x10]', 'a16 mov [0x1234], ax', 'a16 add eax, [0x10]', 'a16 lea eax, [0xffff]', 'fs a16 mov eax, [0x10]',
    'mov eax, [word 0x10]', 'mov eax, [dword 0x10]', 'add eax, [word 0x10]', 'mov byte [word 0x20], 5', 'mov [word fs:0x20], al');
  return out;
}

/** Prefixes the disassembler rightly drops (no effect on the instruction): o16 on byte-sized string ops, a segment on
 * nop, rep on non-string instructions.. */
function meaningless(line: string): boolean {
  return /^(o16 .*\w+sb$|\w\w nop$|lock rep |o32 pushfw|rep (nop|ret)$|a16 xlatb)/.test(line) ||
    /^(lock|rep|repne|fs|es|o16|a16|a32|o32|rep lock)$/.test(line);
}


function disasmRoundTrip(lines: string[]): string[] {
  const failures: string[] = [];
  for (const line of lines) {
    if (meaningless(line)) continue;
    const a = new Assembler();
    a.text(`tgt:\n${line}`);
    const bytes = a.link({ base: 0x1000 }).sections[0].bytes;
    const d = disassemble(bytes, 0, 0x1000);
    if (d.length !== bytes.length) { failures.push(`${line}: decoded ${d.length} of ${bytes.length} bytes ('${d.text}')`); continue; }
    try {
      const b = new Assembler();
      b.text(`tgt:\n${d.text}`);
      const again = b.link({ base: 0x1000 }).sections[0].bytes;
      if (again.join() !== bytes.join()) failures.push(`${line}: '${d.text}' assembles to different bytes`);
    } catch (e) {
      failures.push(`${line}: '${d.text}' does not assemble: ${(e as Error).message}`);
    }
  }
  return failures;
}

describe('prefixes', () => {
  const strings = stringCases(), locks = lockCases(), others = otherCases();
  it('string instructions with rep/repe/repne, segment and size prefixes match nasm', () => {
    expect(strings.length).toBeGreaterThan(300);
    expect(compareWithNasm(strings.map((line) => ({ line })))).toEqual([]);
  });
  it('lock on every lockable memory form matches nasm', () => {
    expect(locks.length).toBeGreaterThan(500);
    expect(compareWithNasm(locks.map((line) => ({ line }))).slice(0, 10)).toEqual([]);
  });
  it('segment overrides in front, size prefixes and prefixes alone on a line match nasm', () => {
    expect(compareWithNasm(others.map((line) => ({ line })))).toEqual([]);
  });
  it('round-trip through the disassembler', () => {
    const lines = [...strings, ...locks.filter((_, i) => i % 4 === 0), ...others];
    expect(lines.filter((l) => !meaningless(l)).length).toBeGreaterThan(500);
    expect(disasmRoundTrip(lines)).toEqual([]);
  });
  it('are refused where nasm refuses them, with a reason', () => {
    const bad = ['fs add [gs:eax], ebx', 'es mov eax, [es:ebx]', 'a32 add [bx], ax', 'rep repne movsb', 'fs gs nop', 'a16 add [ebx], eax'];
    expect([...nasmRejects(bad.map((line) => ({ line })))].sort()).toEqual([...bad].sort());
    for (const line of bad) expect(() => new Assembler().text(line), line).toThrow(AsmError);
    expect(() => new Assembler().text('fs add [gs:eax], ebx')).toThrow(/conflicting segment overrides/);
  });
});
