// Generates test instructions for every form of the table: operands for each pattern, as objects and as nasm text.
import { formPatterns } from '../encode.js';
import {
  al, cl, dh, bh, ax, cx, dx, sp, di, bx, bp, si, eax, ecx, edx, ebx, esp, ebp, esi, edi, es, cs, ss, ds, fs, gs,
  cr0, cr2, cr3, cr4, dr0, dr3, dr6, dr7, mem, sym, farPtr, imm, formatOperand, type Mem, type MemSize, type Operand,
} from '../operands.js';

export interface Case {
  mn: string;
  ops: Operand[];
  line: string;
}

const addrs: Omit<Mem, 'size'>[] = [
  mem({ base: ebx }), mem({ base: ebp }), mem({ base: esp }), mem({ base: eax, disp: 0x10 }), mem({ base: ebp, disp: -4 }),
  mem({ base: esi, disp: 0x12345 }), mem({ disp: 0x1234 }), mem({ base: edx, index: ecx, scale: 4 }),
  mem({ index: ecx, scale: 4, disp: 0x100 }), mem({ base: esp, index: eax, scale: 2, disp: 8 }), mem({ index: ebx, scale: 2 }),
  mem({ base: eax, disp: -0x80 }), mem({ base: edi, disp: 0x7f }), mem({ base: ecx, disp: 0x80 }), mem({ base: eax, seg: fs }),
  mem({ disp: 0x10, seg: es }), mem({ base: ebx, disp: sym('tgt', 4) }), mem({ disp: sym('tgt') }),
  mem({ base: ebp, index: esi, scale: 8, disp: -0x1000 }), mem({ index: esp, base: eax }),
  // 16-bit addressing (0x67)
  mem({ base: bx, index: si }), mem({ base: bp }), mem({ base: di, disp: 0x1234 }), mem({ base: bx, disp: -1 }),
  mem({ base: si, index: bp, disp: 4, seg: es }), mem({ base: bp, index: di, disp: -0x200 }), mem({ base: bx, disp: sym('tgt', 2) }),
];
const mems = (size?: MemSize): Mem[] => addrs.map((m) => ({ ...m, ...(size ? { size } : {}) }) as Mem);

const imms: Record<string, number[]> = {
  imm8: [0, 1, 0x7f, 0x80, 0xff, -1, -128],
  imm16: [0x1234, 0xffff, -2, 0x80],
  imm32: [0x12345678, 0xffffffff, -0x80000000, 0x80, 5],
  sx8: [1, -1, 0x7f, -128],
};

function candidates(p: string): Operand[] {
  switch (p) {
    case 'r8': return [al, cl, dh, bh];
    case 'r16': return [ax, cx, sp, di];
    case 'r32': return [eax, ecx, esp, ebp, edi];
    case 'rm8': return [al, bh, ...mems(1)];
    case 'rm16': return [ax, di, ...mems(2)];
    case 'rm32': return [eax, esp, edi, ...mems(4)];
    case 'm': return [mems()[0], mems()[7], mems()[16]];
    case 'm8': return mems(1).slice(0, 6);
    case 'm16': return mems(2).slice(0, 6);
    case 'm32': return mems(4).slice(0, 6);
    case 'm64': return [mems(8)[0], mems(8)[9]];
    case 'mfar': return [{ ...mems()[0], far: true }, { ...mems()[3], far: true }, { ...mems(4)[7], far: true }, { ...mems()[21], far: true }];
    case 'mfar16': return [{ ...mems(2)[0], far: true }, { ...mems(2)[9], far: true }, { ...mems(2)[20], far: true }];
    case 'srm16': return [ax, di, ...mems(2)];
    case 'moffs8': case 'moffs16': case 'moffs32': return [mem({ disp: 0x1234 }), mem({ disp: 0x10, seg: fs }), mem({ disp: sym('tgt') })];
    case 'imm8': return [...imms[p], imm(5, 1), imm(-3, 1, true)];
    case 'imm16': return [...imms[p], imm(5, 2), imm(0x1234, 2, true)];
    case 'imm32': return [...imms[p], sym('tgt'), sym('tgt', 8), imm(5, 4), imm(5, 4, true), imm(sym('tgt'), 4)];
    case 'sx8': return [...imms[p], imm(5, 1), imm(-5, 1, true)];
    case 'uimm8': return imms.imm8;
    case 'uimm16': return imms.imm16;
    case 'wsx8': return [imm(5, 2), imm(-1, 2)];
    case 'wimm16': return [imm(0x1234, 2), imm(5, 2, true)];
    case 'one': return [1];
    case 'al': return [al]; case 'ax': return [ax]; case 'eax': return [eax]; case 'cl': return [cl]; case 'dx': return [dx];
    case 'cx': return [cx]; case 'ecx': return [ecx];
    case 'es': return [es]; case 'cs': return [cs]; case 'ss': return [ss]; case 'ds': return [ds]; case 'fs': return [fs]; case 'gs': return [gs];
    case 'sreg': return [es, cs, ss, ds, fs, gs];
    case 'creg': return [cr0, cr2, cr3, cr4];
    case 'dreg': return [dr0, dr3, dr6, dr7];
    case 'rel8': case 'rel32': return [sym('tgt')];
    case 'wrel16': return [imm(sym('tgt'), 2), imm(sym('tgt', 0x40), 2), imm(0x1234, 2)];
    case 'farptr': return [farPtr(0x10, 0x12345678), farPtr(0xe019, sym('tgt')), farPtr(0x08, 0x1000, 4)];
    case 'farptr16': return [farPtr(0x10, 0x1234, 2), farPtr(0xffff, 0xffff, 2), farPtr(0x18, sym('tgt'), 2)];
    default: throw new Error(`no test operands for pattern ${p}`);
  }
}

/** nasm text of an instruction; memory operands always carry their size so nasm never guesses. */
export function nasmLine(mn: string, ops: Operand[]): string {
  const text = ops.map((o) => {
    return formatOperand(o);
  });
  // nasm takes a 16-bit conditional jump only as `jcc near word x`
  if (/^j(?!mp)/.test(mn) && ops.length === 1 && typeof ops[0] === 'object' && ops[0].kind === 'imm') return `${mn} near ${text[0]}`;
  return text.length ? `${mn} ${text.join(', ')}` : mn;
}

/** For each form: every candidate of each operand position with the others at their first candidate, and a diagonal. */
export function generateCases(filter?: (mn: string) => boolean): Case[] {
  const out: Case[] = [];
  const seen = new Set<string>();
  for (const { mn, pats } of formPatterns()) {
    if (filter && !filter(mn)) continue;
    const cands = pats.map(candidates);
    const combos: Operand[][] = [];
    if (!pats.length) combos.push([]);
    pats.forEach((_, i) => {
      for (const c of cands[i]) combos.push(cands.map((cs, j) => (j === i ? c : cs[0])));
    });
    // and a diagonal (each position at its k-th candidate), so that register pairs other than the first meet
    // (xchg ecx, esp; shld edi, esp, cl)
    if (pats.length > 1) {
      const n = Math.min(...cands.map((cs) => cs.length));
      for (let k = 1; k < n; k++) combos.push(cands.map((cs) => cs[k]));
    }
    for (const ops of combos) {
      const line = nasmLine(mn, ops);
      if (seen.has(line)) continue;
      seen.add(line);
      out.push({ mn, ops, line });
    }
  }
  return out;
}
