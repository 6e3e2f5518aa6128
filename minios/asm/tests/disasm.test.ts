// Round trip through the CPU's own disassembler (machine/cpu/disasm.ts, built on the decode tables): every form we
// assemble decodes to the same length, and its text assembles back to the same bytes.
import { describe, expect, it } from 'vitest';
import { disassemble } from '../../../machine/cpu/disasm.js';
import { Assembler } from '../assembler.js';
import { generateCases, type Case } from './generate.js';

const BASE = 0x1000;

/** Known gaps, each reported to the disassembler's owner; anything else that fails to round-trip fails the test. */
const knownGaps: [RegExp, string][] = [
  [/^(sysenter|sysexit|rdpmc|rsm|lfence|mfence|sfence)\b/, 'not a Pentium-class instruction: the CPU decodes it as #UD'],
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

/**
 * Operand forms the CPU decodes that no assembler form emits: an opcode (with its ModRM.reg for groups), register
 * (mod 3) or memory operand, and 16-bit operand size (o16) for `v`-sized entries. Each exception says why.
 */
const notAssembled: [RegExp, string][] = [
  [/^82\//, 'undocumented alias of 80 /r'],
  [/^(c0|c1|d0|d1|d2|d3)\/6 /, 'sal: undocumented alias of shl (/4)'],
  [/^(f6|f7)\/1 /, 'test: undocumented alias of test /0'],
  [/^11[89a-e] /, 'hint nops other than 0f 1f'],
  [/^d[89a-f] /, 'x87 (the CPU raises #NM/#UD for it)'],
  [/^(02|03|0a|0b|12|13|1a|1b|22|23|2a|2b|32|33|3a|3b|8a|8b) reg/, 'reg, reg takes the r/m, reg direction (nasm picks the same)'],
  [/^(8f\/0|ff\/0|ff\/1|ff\/6) reg/, 'pop/inc/dec/push of a register take the one-byte +r opcode, as in nasm'],
  [/^(c6|c7)\/0 reg/, 'mov reg, imm takes b0+r/b8+r, as in nasm'],
  [/^(1b7|1bf) .*o16/, 'movzx/movsx r16, rm16: nasm refuses it (use mov)'],
  [/^1c[89a-f] o16/, 'bswap r16: undefined on the CPU, nasm refuses it'],
  [/^c9 o16$/, 'a 16-bit leave is written `o16 leave` (prefixes.test.ts); nasm has no mnemonic for it'],
];

const hex = (n: number) => n.toString(16).padStart(2, '0');
type Desc = { name: string; ops: string };
type TableEntry = null | Desc | { group: (Desc | null)[]; regGroup?: (Desc | null)[] };
/** Does this entry take a ModRM byte? (E, G, M, R, Sw, Cd, Dd operands; groups always) */
const takesModrm = (e: TableEntry) => !!e && ('group' in e || e.ops.split(',').some((o) => /^([EGMR][a-z]?|Sw|Cd|Dd)$/.test(o)));
/** Where the ModRM operand may be: a register, memory, or both. */
const modes = (ops: string) => (/E/.test(ops) ? [' reg', ' mem'] : /M/.test(ops) ? [' mem'] : [' reg']);
/** Entries whose size follows the operand size (v): both the 32-bit and the o16 form exist. */
const sized = (d: Desc) => /v|eAX/.test(d.ops) || d.name.includes('|');

describe('coverage of the CPU decoder', () => {
  it('every opcode the CPU decodes has an assembler form for each of its operand forms (register, memory, o16)', async () => {
    const TABLE = (await import('../../../machine/cpu/table.js')).TABLE as TableEntry[];
    const emitted = new Set<string>();
    const prefixes = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
    const cases = generateCases();
    for (const c of cases) {
      const a = new Assembler();
      a.label('tgt');
      a.ins(c.mn, ...c.ops);
      const b = a.link({ base: 0 }).sections[0].bytes;
      let i = 0, o16 = '';
      for (; prefixes.has(b[i]); i++) if (b[i] === 0x66) o16 = ' o16';
      let op = b[i];
      if (op === 0x0f) op = 0x100 + b[++i];
      const e = TABLE[op];
      const modrm = takesModrm(e) ? b[i + 1] : undefined;
      const where = modrm === undefined ? '' : modrm >> 6 === 3 ? ' reg' : ' mem';
      emitted.add(`${hex(op)}${e && 'group' in e ? `/${(modrm! >> 3) & 7}` : ''}${where}${o16}`);
      // +r opcodes count for their whole row of eight
      if ([0x40, 0x48, 0x50, 0x58, 0x90, 0xb0, 0xb8, 0x1c8].includes(op & ~7)) {
        for (let k = 0; k < 8; k++) emitted.add(`${hex((op & ~7) + k)}${o16}`);
      }
    }
    // jmp/jcc come from the linker's branch sizing (branches.test.ts), not the form table
    for (const op of [0xeb, 0xe9, ...Array.from({ length: 16 }, (_, k) => 0x70 + k), ...Array.from({ length: 16 }, (_, k) => 0x180 + k)]) {
      emitted.add(hex(op));
    }
    const missing: string[] = [];
    const check = (key: string, d: Desc, where: string[]) => {
      for (const w of where) {
        for (const s of sized(d) ? ['', ' o16'] : ['']) {
          const k = `${key}${w}${s}`;
          if (!emitted.has(k) && !notAssembled.some(([re]) => re.test(k))) missing.push(`${k}: ${d.name} ${d.ops}`);
        }
      }
    };
    TABLE.forEach((e, op) => {
      if (!e) return;
      if ('group' in e) {
        // with a regGroup, mod 3 decodes through it
        e.group.forEach((g, r) => g && check(`${hex(op)}/${r}`, g, modes(g.ops).filter((w) => !(e.regGroup && w === ' reg'))));
        e.regGroup?.forEach((g, r) => g && check(`${hex(op)}/${r}`, g, [' reg']));
      } else check(hex(op), e, takesModrm(e) ? modes(e.ops) : ['']);
    });
    expect(missing).toEqual([]);
    expect(cases.length).toBeGreaterThan(13000);
  });
});
