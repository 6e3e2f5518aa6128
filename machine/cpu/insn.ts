// A decoded instruction. Decoded once per physical address and cached; the
// handler `exec` runs it. All fields are plain numbers so the object shape
// stays monomorphic.
import type { Cpu } from './cpu.js';

export type Exec = (c: Cpu, i: Insn) => void;

/** Opcode description shared by the decoder, the handlers and the disassembler. */
export interface OpDesc {
  /** Mnemonic; "a|b" picks a for 16-bit operand size and b for 32-bit. */
  name: string;
  /** Operand spec in Intel order, e.g. "Ev,Gv", "AL,Ib", "Jb". */
  ops: string;
  exec: Exec;
}

export class Insn {
  exec: Exec;
  desc: OpDesc;
  /** Opcode byte, plus 0x100 for 0F xx. */
  op = 0;
  len = 0;
  /** Operand size in bytes for the instruction's main operand (1, 2 or 4). */
  size = 4;
  o16 = false;
  a16 = false;
  /** Segment of the memory operand (override or the default for the base). */
  seg = 3;
  /** Segment override prefix, or -1. */
  segOv = -1;
  /** 0 none, 1 rep/repe (F3), 2 repne (F2). */
  rep = 0;
  lock = false;
  mod = 3;
  reg = 0;
  rm = 0;
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  imm = 0;
  imm2 = 0;

  constructor(exec: Exec, desc: OpDesc) {
    this.exec = exec;
    this.desc = desc;
  }
}
