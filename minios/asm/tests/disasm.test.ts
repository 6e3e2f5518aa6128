// Round trip through the CPU's own disassembler (machine/cpu/disasm.ts, built on the decode tables): every form we
// assemble decodes to the same length, and its text assembles back to the same bytes.
import { describe, expect, it } from 'vitest';
import { disassemble } from '../../../machine/cpu/disasm.js';
import { Assembler } from '../assembler.js';
import { generateCases, type Case } from './generate.js';

const BASE = 0x1000;

/** Known gaps, each reported to the disassembler's owner; anything else that fails to round-trip fails the test. */
const knownGaps: [RegExp, string][] = [
  [/strict/, 'a non-minimal encoding (strict size) that disassembly text cannot express'],
  [/^(sysenter|sysexit|rdpmc|rsm|lfence|mfence|sfence)\b/, 'not a Pentium-class instruction: the CPU decodes it as #UD'],
  [/^xchg ax, ax$|^pause$/, 'disassembler prints nop'],
  [/^movsx .*\[([c-gs]s:|bx|bp|si|di)/, 'disassembler prints segment and address-size prefixes of movsx again in front'],
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

/** Opcodes the CPU decodes that no assembler form needs to emit: aliases nasm never emits, and x87 (not yet). */
const notAssembled: [RegExp, string][] = [
  [/^82\//, 'undocumented alias of 80 /r'],
  [/^(c0|c1|d0|d1|d2|d3)\/6 sal/, 'undocumented alias of shl (/4)'],
  [/^(f6|f7)\/1 test/, 'undocumented alias of test /0'],
  [/^11[89a-e] nop/, 'hint nops other than 0f 1f'],
  [/^d[89a-f] fpu/, 'x87 is not assembled yet'],
];

describe('coverage of the CPU decoder', () => {
  it('every opcode the CPU decodes has an assembler form', async () => {
    const { TABLE } = await import('../../../machine/cpu/table.js');
    const emitted = new Set<string>();
    const prefixes = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
    for (const c of generateCases()) {
      const a = new Assembler();
      a.label('tgt');
      a.ins(c.mn, ...c.ops);
      const b = a.link({ base: 0 }).sections[0].bytes;
      let i = 0;
      while (prefixes.has(b[i])) i++;
      let op = b[i];
      if (op === 0x0f) op = 0x100 + b[++i];
      // +r opcodes count for their whole row of eight
      emitted.add(`${op}`).add(`${op}/${(b[i + 1] >> 3) & 7}`);
    }
    for (const [op, row] of [[0x40, 8], [0x48, 8], [0x50, 8], [0x58, 8], [0x90, 8], [0xb0, 8], [0xb8, 8], [0x1c8, 8], [0x70, 16], [0x180, 16]]) {
      if ([...Array(row).keys()].some((k) => emitted.has(`${op + k}`)) || op === 0x70 || op === 0x180) {
        for (let k = 0; k < row; k++) emitted.add(`${op + k}`);
      }
    }
    // jmp/jcc come from the linker's branch sizing, not the form table
    for (const op of [0xeb, 0xe9]) emitted.add(`${op}`);
    const missing: string[] = [];
    (TABLE as (null | { name: string; ops: string } | { group: ({ name: string; ops: string } | null)[]; regGroup?: ({ name: string; ops: string } | null)[] })[])
      .forEach((e, op) => {
        if (!e) return;
        const check = (key: string, d: { name: string; ops: string }) => {
          const text = `${op.toString(16)}${key.includes('/') ? '/' + key.split('/')[1] : ''} ${d.name}`;
          if (!emitted.has(key) && !notAssembled.some(([re]) => re.test(text))) missing.push(`${text} ${d.ops}`);
        };
        if ('group' in e) {
          e.group.forEach((g, r) => g && check(`${op}/${r}`, g));
          e.regGroup?.forEach((g, r) => g && check(`${op}/${r}`, g));
        } else check(`${op}`, e);
      });
    expect(missing).toEqual([]);
  });
});
