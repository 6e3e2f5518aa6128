// Random operands for random forms (registers, addressing modes, displacement and immediate edges), against nasm.
// A short seeded slice by default; XENLAB_FUZZ_LONG=1 runs many more.
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { AsmError } from '../errors.js';
import { formPatterns } from '../encode.js';
import { registers, mem, sym, imm, type Operand, type Register, type MemSize, type Mem } from '../operands.js';
import { nasmLine } from './generate.js';
import { compareWithNasm, nasmRejects, type SlotCase } from './slots.js';
import { pick, rng } from './rng.js';

const long = !!process.env.XENLAB_FUZZ_LONG;
const ROUNDS = long ? 40 : 2;
const PER_ROUND = 2500;

const regs = [...registers.values()];
const gpr = (size: number) => regs.filter((r) => r.cls === 'gpr' && r.size === size);
const r32 = gpr(4);

function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

function randDisp(r: () => number): number | ReturnType<typeof sym> {
  const x = r();
  if (x < 0.25) return 0;
  if (x < 0.45) return pick(r, [127, 128, -128, -129, 1, -1, 0x7fffffff, -0x80000000, 0xffffffff, 0x80000000]);
  if (x < 0.65) return randInt(r, -128, 127);
  if (x < 0.8) return randInt(r, -0x80000000, 0x7fffffff);
  return sym('tgt', randInt(r, -16, 16));
}

function randMem16(r: () => number, size?: MemSize): Mem {
  const [b, i] = pick(r, [['bx', 'si'], ['bx', 'di'], ['bp', 'si'], ['bp', 'di'], ['si'], ['di'], ['bp'], ['bx'], ['si', 'bx'], ['di', 'bp']]);
  const disp = r() < 0.2 ? sym('tgt', randInt(r, 0, 8)) : pick(r, [0, 1, -1, 127, 128, -128, -129, 0x7fff, -0x8000, 0xffff, randInt(r, -0x8000, 0xffff)]);
  const seg = r() < 0.15 ? pick(r, regs.filter((x) => x.cls === 'seg')) : undefined;
  return { ...mem({ base: registers.get(b), index: i ? registers.get(i) : undefined, disp, seg }), ...(size ? { size } : {}) };
}

function randMem(r: () => number, size?: MemSize): Mem {
  if (r() < 0.1) return randMem16(r, size);
  const base = r() < 0.8 ? pick(r, r32) : undefined;
  const index = r() < 0.5 ? pick(r, r32.filter((x) => x.name !== 'esp')) : undefined;
  const scale = pick(r, [1, 2, 4, 8] as const);
  const seg = r() < 0.15 ? pick(r, regs.filter((x) => x.cls === 'seg')) : undefined;
  return { ...mem({ base, index, scale: index ? scale : 1, disp: randDisp(r), seg }), ...(size ? { size } : {}) };
}

function randImm(r: () => number, bits: number): number {
  const edges = bits === 8 ? [0, 1, 127, 128, 255, -1, -128] : bits === 16 ? [0, 0x7fff, 0x8000, 0xffff, -1, -0x8000, 127, 128, -129]
    : [0, 127, 128, -128, -129, 0x7fffffff, 0x80000000, 0xffffffff, -1, -0x80000000];
  if (r() < 0.5) return pick(r, edges);
  return bits === 8 ? randInt(r, -128, 255) : bits === 16 ? randInt(r, -0x8000, 0xffff) : randInt(r, -0x80000000, 0xffffffff);
}

function operandFor(r: () => number, p: string): Operand | undefined {
  const sizeOf: Record<string, MemSize> = { rm8: 1, rm16: 2, rm32: 4, m8: 1, m16: 2, m32: 4, m64: 8 };
  switch (p) {
    case 'r8': case 'r16': case 'r32': return pick(r, gpr(Number(p.slice(1)) / 8));
    case 'rm8': case 'rm16': case 'rm32':
      return r() < 0.4 ? pick(r, gpr(sizeOf[p])) : randMem(r, sizeOf[p]);
    case 'm8': case 'm16': case 'm32': case 'm64': return randMem(r, sizeOf[p]);
    case 'm': return randMem(r);
    case 'mfar': return { ...randMem(r, r() < 0.3 ? 4 : undefined), far: true };
    case 'mfar16': return { ...randMem(r, 2), far: true };
    case 'srm16': return r() < 0.4 ? pick(r, gpr(2)) : randMem(r, 2);
    case 'moffs8': case 'moffs16': case 'moffs32': return mem({ disp: randDisp(r), seg: r() < 0.3 ? pick(r, regs.filter((x) => x.cls === 'seg')) : undefined });
    case 'imm8': case 'uimm8': return randImm(r, 8);
    case 'imm16': case 'uimm16': return randImm(r, 16);
    case 'imm32': return r() < 0.1 ? sym('tgt', randInt(r, 0, 99)) : randImm(r, 32);
    case 'sx8': return r() < 0.8 ? randInt(r, -128, 127) : imm(randInt(r, -128, 127), 1);
    case 'wsx8': return imm(randInt(r, -128, 127), 2);
    case 'wimm16': return imm(randImm(r, 16), 2);
    case 'one': return 1;
    case 'sreg': return pick(r, regs.filter((x) => x.cls === 'seg'));
    case 'creg': return pick(r, regs.filter((x) => x.cls === 'cr'));
    case 'dreg': return pick(r, regs.filter((x) => x.cls === 'dr'));
    case 'farptr': return { kind: 'far', seg: randImm(r, 16) & 0xffff, offset: r() < 0.2 ? sym('tgt') : randImm(r, 32) >>> 0 };
    case 'farptr16': return { kind: 'far', seg: randImm(r, 16) & 0xffff, offset: r() < 0.2 ? sym('tgt') : randImm(r, 16) & 0xffff, size: 2 };
    case 'rel8': return undefined;
    case 'rel32': return sym('tgt', randInt(r, -100, 100));
    case 'wrel16': return imm(r() < 0.5 ? sym('tgt', randInt(r, 0, 100)) : randInt(r, 0, 0xffff), 2);
    default: return registers.get(p) as Register | undefined;
  }
}

function randomCases(seed: number, n: number): SlotCase[] {
  const r = rng(seed);
  const forms = formPatterns().filter((f) => !f.pats.includes('rel8'));
  const out: SlotCase[] = [];
  while (out.length < n) {
    const f = pick(r, forms);
    const ops = f.pats.map((p) => operandFor(r, p));
    if (ops.some((o) => o === undefined)) continue;
    const withPrefix = r() < 0.05 && /^(add|sub|and|or|xor|adc|sbb|inc|dec|not|neg|xchg|cmpxchg|xadd|bts|btr|btc)$/.test(f.mn) && ops.some((o) => typeof o === 'object' && o.kind === 'mem');
    // a segment override written in front (when the address has none), or a16 on an address without registers
    const memOp = ops.find((o): o is Mem => typeof o === 'object' && o.kind === 'mem');
    const seg = memOp && !memOp.seg && r() < 0.05 ? `${pick(r, ['es', 'cs', 'ss', 'ds', 'fs', 'gs'])} ` : '';
    const a16 = memOp && !memOp.base && !memOp.index && typeof memOp.disp === 'number' && memOp.disp >= 0 && memOp.disp <= 0xffff && r() < 0.2 ? 'a16 ' : '';
    const mn = `${withPrefix ? 'lock ' : ''}${seg}${a16}${f.mn}`;
    out.push({ line: nasmLine(mn, ops as Operand[]), mn, ops: ops as Operand[] });
  }
  return out;
}

describe('random operands against nasm', () => {
  it(`${ROUNDS * PER_ROUND} random instructions encode as nasm encodes them`, () => {
    let compared = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const cases = randomCases(1000 + round, PER_ROUND);
      const rejected = nasmRejects(cases);
      for (const c of cases.filter((c) => rejected.has(c.line))) {
        expect(() => new Assembler().text(`tgt:\n${c.line}`), `nasm rejects '${c.line}'`).toThrow(AsmError);
      }
      const kept = cases.filter((c) => !rejected.has(c.line));
      const mismatches = compareWithNasm(kept);
      expect(mismatches.slice(0, 10)).toEqual([]);
      compared += kept.length;
    }
    expect(compared).toBeGreaterThan(ROUNDS * PER_ROUND * 0.8);
  });
});
