// Round trip through the CPU's own disassembler (machine/cpu/disasm.ts, built on the decode tables): every form we
// assemble decodes to the same length, and its text assembles back to the same bytes.
import { describe, expect, it } from 'vitest';
import { disassemble } from '../../../machine/cpu/disasm.js';
import { Assembler } from '../assembler.js';
import { generateCases, type Case } from './generate.js';

const BASE = 0x10000;

/** Known gaps, each reported to the disassembler's owner; anything else that fails to round-trip fails the test. */
const knownGaps: [RegExp, string][] = [
  [/strict|^push word/, 'a non-minimal encoding (strict size, push word) that disassembly text cannot express'],
  [/^(sysenter|sysexit|rdpmc|rsm|lfence|mfence|sfence)\b/, 'not a Pentium-class instruction: the CPU decodes it as #UD'],
  [/^mov e\w\w, [c-gs]s$|^(smsw|sldt|str) e\w\w$/, 'disassembler prints the 16-bit register for the 32-bit form'],
  [/^xchg ax, ax$|^pause$/, 'disassembler prints nop'],
  [/^movsx .*\[[ef]s:/, 'disassembler prints the segment prefix twice'],
];

function roundTrip(c: Case, bytes: Uint8Array, off: number): string | undefined {
  const one = new Assembler();
  one.label('tgt');
  one.ins(c.mn, ...c.ops);
  const len = one.link({ base: 0 }).sections[0].bytes.length;
  const d = disassemble(bytes, off, BASE + off);
  if (d.length !== len) return `decoded length ${d.length}, assembled ${len} ('${d.text}')`;
  const want = Array.from(bytes.subarray(off, off + len)).join(',');
  const again = (text: string) => {
    const r = new Assembler();
    r.text(text);
    return Array.from(r.link({ base: BASE + off }).sections[0].bytes).join(',');
  };
  try {
    if (again(d.text) === want) return undefined;
    // xchg is symmetric: either operand order is the same instruction
    const m = d.text.match(/^xchg (.*), (.*)$/);
    if (m && again(`xchg ${m[2]}, ${m[1]}`) === want) return undefined;
    return `'${d.text}' assembles to different bytes`;
  } catch (e) {
    return `'${d.text}' does not assemble: ${(e as Error).message}`;
  }
}

describe('disassembler round trip', () => {
  it('every generated form decodes and re-assembles to the same bytes', () => {
    const cases = generateCases((mn) => !/^(loop|jecxz|jcxz)/.test(mn));
    const a = new Assembler();
    a.label('tgt');
    for (const c of cases) {
      a.align(16, 0xcc);
      a.ins(c.mn, ...c.ops);
    }
    const bytes = a.link({ base: BASE }).sections[0].bytes;
    const failures: string[] = [];
    let ok = 0;
    cases.forEach((c, i) => {
      const problem = roundTrip(c, bytes, 16 * i);
      if (!problem) ok++;
      else if (!knownGaps.some(([re]) => re.test(c.line))) failures.push(`${c.line}: ${problem}`);
    });
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(9000);
  });
});
