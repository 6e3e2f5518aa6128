// Random token soup into text() and random operand objects into ins(): only AsmError may come out, never a host error.
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { allMnemonics } from '../encode.js';
import { AsmError } from '../errors.js';
import { registers, type Operand } from '../operands.js';
import { pick, rng } from './rng.js';

const ROUNDS = process.env.XENLAB_FUZZ_LONG ? 200_000 : 4_000;
const words = [
  ...allMnemonics().slice(0, 400), ...registers.keys(), 'byte', 'word', 'dword', 'qword', 'far', 'short', 'near', 'strict',
  'db', 'dw', 'dd', 'dq', 'resb', 'times', 'align', 'alignb', 'section', 'global', 'equ', 'bits', '32', '16', '$', '$$',
  'x', '.y', 'lbl', '0x10', '-1', '0', '4294967296', '1e3', "'a'", '"str"', '`e\\n`', '[', ']', ',', ':', '+', '-', '*', '/',
  '%', '//', '%%', '<<', '>>', '&', '|', '^', '~', '!', '(', ')', ';', 'lock', 'rep', '.text', '.data', '.bss', '=', '#', '@',
];

describe('parser fuzz', () => {
  it(`only AsmError for ${ROUNDS} random lines`, () => {
    const r = rng(99);
    let rejected = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const n = 1 + Math.floor(r() * 7);
      const line = Array.from({ length: n }, () => pick(r, words)).join(r() < 0.5 ? ' ' : '');
      const a = new Assembler();
      try {
        a.text(`x:\n${line}\nlbl:`);
        a.link({ base: 0 });
      } catch (e) {
        if (!(e instanceof AsmError)) throw new Error(`'${line}' raised ${(e as Error).stack}`);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(ROUNDS / 4);
  });

  it('only AsmError for random operand objects', () => {
    const r = rng(7);
    const regs = [...registers.values()];
    const junk: Operand[] = [NaN, Infinity, -0.5, 2 ** 40, -(2 ** 40), 0, 1, 255, ...regs.slice(0, 45),
      { kind: 'mem', scale: 3 as 1, disp: 0 }, { kind: 'mem', base: regs[40], scale: 1, disp: 0 }, { kind: 'mem', seg: regs[0], scale: 1, disp: 0 },
      { kind: 'mem', scale: 1, disp: 2 ** 33 }, { kind: 'sym', name: '', addend: NaN }, { kind: 'far', seg: 1e6, offset: 0 },
      { kind: 'imm', value: 300, size: 1, strict: false }, { kind: 'mem', base: regs[8], scale: 1, disp: 0 }];
    const mns = allMnemonics();
    for (let i = 0; i < ROUNDS; i++) {
      const a = new Assembler();
      const ops = Array.from({ length: Math.floor(r() * 4) }, () => pick(r, junk));
      try {
        a.ins(pick(r, mns), ...ops);
        a.label('');
      } catch (e) {
        if (!(e instanceof AsmError)) throw new Error(`ins raised ${(e as Error).stack}`);
      }
    }
  });
});
