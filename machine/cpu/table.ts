// The opcode tables: for each one-byte opcode (0x00-0xFF) and each 0F-prefixed
// opcode (0x100-0x1FF), a mnemonic, an operand spec in Intel order and the
// handler. Groups (opcode extension in ModRM.reg) are arrays of 8 entries.
// The decoder and the disassembler both read these tables.
import type { Exec, OpDesc } from './insn.js';
import * as A from './ops-alu.js';
import * as M from './ops-move.js';
import * as C from './ops-ctl.js';
import { FAST_STRAIGHT } from './fast.js';

export interface Group { group: (OpDesc | null)[]; /** Entries used when mod == 3, if they differ. */ regGroup?: (OpDesc | null)[] }
export type Entry = OpDesc | Group | null;

export const TABLE: Entry[] = new Array(512).fill(null);

const d = (name: string, ops: string, exec: Exec): OpDesc => ({ name, ops, exec });
const set = (op: number, name: string, ops: string, exec: Exec) => { TABLE[op] = d(name, ops, exec); };
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];

// 00-3F: ALU in six forms, plus push/pop segment, prefixes (handled by the decoder) and BCD.
for (let k = 0; k < 8; k++) {
  const b = k << 3;
  set(b + 0, ALU[k], 'Eb,Gb', A.aluEG);
  set(b + 1, ALU[k], 'Ev,Gv', A.aluEG);
  set(b + 2, ALU[k], 'Gb,Eb', A.aluGE);
  set(b + 3, ALU[k], 'Gv,Ev', A.aluGE);
  set(b + 4, ALU[k], 'AL,Ib', A.aluAI);
  set(b + 5, ALU[k], 'eAX,Iv', A.aluAI);
}
set(0x06, 'push', 'ES', M.pushS); set(0x07, 'pop', 'ES', M.popS);
set(0x0e, 'push', 'CS', M.pushS);
set(0x16, 'push', 'SS', M.pushS); set(0x17, 'pop', 'SS', M.popS);
set(0x1e, 'push', 'DS', M.pushS); set(0x1f, 'pop', 'DS', M.popS);
set(0x27, 'daa', '', A.daa); set(0x2f, 'das', '', A.das);
set(0x37, 'aaa', '', A.aaa); set(0x3f, 'aas', '', A.aas);
for (let r = 0; r < 8; r++) {
  set(0x40 + r, 'inc', 'Zv', A.incDecReg);
  set(0x48 + r, 'dec', 'Zv', A.incDecReg);
  set(0x50 + r, 'push', 'Zv', M.pushR);
  set(0x58 + r, 'pop', 'Zv', M.popR);
  set(0xb0 + r, 'mov', 'Zb,Ib', M.movRI);
  set(0xb8 + r, 'mov', 'Zv,Iv', M.movRI);
  if (r) set(0x90 + r, 'xchg', 'Zv,eAX', M.xchgAR);
}
set(0x60, 'pushaw|pushad', 'v', M.pusha);
set(0x61, 'popaw|popad', 'v', M.popa);
set(0x62, 'bound', 'Gv,M', C.bound);
set(0x63, 'arpl', 'Ew,Gw', C.arpl);
set(0x68, 'push', 'Iv', M.pushI);
set(0x69, 'imul', 'Gv,Ev,Iv', A.imulGEI);
set(0x6a, 'push', 'Ibs', M.pushI);
set(0x6b, 'imul', 'Gv,Ev,Ibs', A.imulGEI);
set(0x6c, 'insb', 'b', C.ins); set(0x6d, 'insw|insd', 'v', C.ins);
set(0x6e, 'outsb', 'b', C.outs); set(0x6f, 'outsw|outsd', 'v', C.outs);
for (let k = 0; k < 16; k++) {
  set(0x70 + k, 'j' + CC[k], 'Jb', C.jcc);
  set(0x180 + k, 'j' + CC[k], 'Jv', C.jcc);
  set(0x190 + k, 'set' + CC[k], 'Eb', M.setcc);
  set(0x140 + k, 'cmov' + CC[k], 'Gv,Ev', M.cmovcc);
}
const grp1 = (ops: string) => ({ group: ALU.map((n) => d(n, ops, A.grp1)) });
TABLE[0x80] = grp1('Eb,Ib');
TABLE[0x81] = grp1('Ev,Iv');
TABLE[0x82] = grp1('Eb,Ib');
TABLE[0x83] = grp1('Ev,Ibs');
set(0x84, 'test', 'Eb,Gb', A.testEG); set(0x85, 'test', 'Ev,Gv', A.testEG);
set(0x86, 'xchg', 'Eb,Gb', M.xchgEG); set(0x87, 'xchg', 'Ev,Gv', M.xchgEG);
set(0x88, 'mov', 'Eb,Gb', M.movEG); set(0x89, 'mov', 'Ev,Gv', M.movEG);
set(0x8a, 'mov', 'Gb,Eb', M.movGE); set(0x8b, 'mov', 'Gv,Ev', M.movGE);
set(0x8c, 'mov', 'Ew,Sw', M.movES);
set(0x8d, 'lea', 'Gv,M', M.lea);
set(0x8e, 'mov', 'Sw,Ew', M.movSE);
TABLE[0x8f] = { group: [d('pop', 'Ev', M.popE), null, null, null, null, null, null, null] };
set(0x90, 'nop', '', M.nop);
set(0x98, 'cbw|cwde', 'v', M.cbw);
set(0x99, 'cwd|cdq', 'v', M.cwd);
set(0x9a, 'call', 'Ap', C.callFar);
set(0x9b, 'wait', '', C.fwait);
set(0x9c, 'pushfw|pushfd', 'v', M.pushf);
set(0x9d, 'popfw|popfd', 'v', M.popf);
set(0x9e, 'sahf', '', M.sahf);
set(0x9f, 'lahf', '', M.lahf);
set(0xa0, 'mov', 'AL,Ob', M.movAO); set(0xa1, 'mov', 'eAX,Ov', M.movAO);
set(0xa2, 'mov', 'Ob,AL', M.movOA); set(0xa3, 'mov', 'Ov,eAX', M.movOA);
set(0xa4, 'movsb', 'b', M.movs); set(0xa5, 'movsw|movsd', 'v', M.movs);
set(0xa6, 'cmpsb', 'b', M.cmps); set(0xa7, 'cmpsw|cmpsd', 'v', M.cmps);
set(0xa8, 'test', 'AL,Ib', A.testAI); set(0xa9, 'test', 'eAX,Iv', A.testAI);
set(0xaa, 'stosb', 'b', M.stos); set(0xab, 'stosw|stosd', 'v', M.stos);
set(0xac, 'lodsb', 'b', M.lods); set(0xad, 'lodsw|lodsd', 'v', M.lods);
set(0xae, 'scasb', 'b', M.scas); set(0xaf, 'scasw|scasd', 'v', M.scas);
const SHIFT = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
const grp2 = (ops: string) => ({ group: SHIFT.map((n) => d(n, ops, A.grp2)) });
TABLE[0xc0] = grp2('Eb,Ib'); TABLE[0xc1] = grp2('Ev,Ib');
TABLE[0xd0] = grp2('Eb,1'); TABLE[0xd1] = grp2('Ev,1');
TABLE[0xd2] = grp2('Eb,CL'); TABLE[0xd3] = grp2('Ev,CL');
set(0xc2, 'ret', 'Iw', C.ret); set(0xc3, 'ret', 'v', C.ret);
set(0xc4, 'les', 'Gv,Mp', C.loadFarPointer); set(0xc5, 'lds', 'Gv,Mp', C.loadFarPointer);
TABLE[0xc6] = { group: [d('mov', 'Eb,Ib', M.movEI), null, null, null, null, null, null, null] };
TABLE[0xc7] = { group: [d('mov', 'Ev,Iv', M.movEI), null, null, null, null, null, null, null] };
set(0xc8, 'enter', 'Iw,Ib', M.enter);
set(0xc9, 'leave', 'v', M.leave);
set(0xca, 'retf', 'Iw', C.retf); set(0xcb, 'retf', 'v', C.retf);
set(0xcc, 'int3', '', C.int3);
set(0xcd, 'int', 'Ib', C.intN);
set(0xce, 'into', '', C.into);
set(0xcf, 'iretw|iretd', 'v', C.iretOp);
set(0xd4, 'aam', 'Ib', A.aam); set(0xd5, 'aad', 'Ib', A.aad);
set(0xd6, 'salc', '', M.salc);
set(0xd7, 'xlatb', '', M.xlat);
for (let k = 0xd8; k <= 0xdf; k++) set(k, 'fpu', 'Ed', C.fpu);
set(0xe0, 'loopne', 'Jb', C.loop); set(0xe1, 'loope', 'Jb', C.loop);
set(0xe2, 'loop', 'Jb', C.loop); set(0xe3, 'jecxz', 'Jb', C.loop);
set(0xe4, 'in', 'AL,Ib', C.inOp); set(0xe5, 'in', 'eAX,Ib', C.inOp);
set(0xe6, 'out', 'Ib,AL', C.outOp); set(0xe7, 'out', 'Ib,eAX', C.outOp);
set(0xe8, 'call', 'Jv', C.callRel);
set(0xe9, 'jmp', 'Jv', C.jmpRel);
set(0xea, 'jmp', 'Ap', C.jmpFar);
set(0xeb, 'jmp', 'Jb', C.jmpRel);
set(0xec, 'in', 'AL,DX', C.inOp); set(0xed, 'in', 'eAX,DX', C.inOp);
set(0xee, 'out', 'DX,AL', C.outOp); set(0xef, 'out', 'DX,eAX', C.outOp);
set(0xf1, 'int1', '', C.int1);
set(0xf4, 'hlt', '', C.hlt);
set(0xf5, 'cmc', '', M.cmc);
const grp3 = (s: string) => ({
  group: [
    d('test', `E${s},I${s}`, A.testEI), d('test', `E${s},I${s}`, A.testEI),
    d('not', `E${s}`, A.notE), d('neg', `E${s}`, A.negE),
    d('mul', `E${s}`, A.mulE), d('imul', `E${s}`, A.mulE),
    d('div', `E${s}`, A.divE), d('idiv', `E${s}`, A.divE),
  ],
});
TABLE[0xf6] = grp3('b'); TABLE[0xf7] = grp3('v');
set(0xf8, 'clc', '', M.clc); set(0xf9, 'stc', '', M.stc);
set(0xfa, 'cli', '', C.cli); set(0xfb, 'sti', '', C.sti);
set(0xfc, 'cld', '', M.cld); set(0xfd, 'std', '', M.std);
TABLE[0xfe] = { group: [d('inc', 'Eb', A.incDecE), d('dec', 'Eb', A.incDecE), null, null, null, null, null, null] };
TABLE[0xff] = {
  group: [
    d('inc', 'Ev', A.incDecE), d('dec', 'Ev', A.incDecE), d('call', 'Ev', C.callE), d('call far', 'Mp', C.farIndirect),
    d('jmp', 'Ev', C.jmpE), d('jmp far', 'Mp', C.farIndirect), d('push', 'Ev', M.pushE), null,
  ],
};

// Two-byte opcodes (0F xx) at 0x100 + xx.
TABLE[0x100] = {
  group: [
    d('sldt', 'Ew', C.sldtStr), d('str', 'Ew', C.sldtStr), d('lldt', 'Ew', C.lldt), d('ltr', 'Ew', C.ltr),
    d('verr', 'Ew', C.verrw), d('verw', 'Ew', C.verrw), null, null,
  ],
};
TABLE[0x101] = {
  group: [
    d('sgdt', 'M', C.sgdtSidt), d('sidt', 'M', C.sgdtSidt), d('lgdt', 'M', C.lgdtLidt), d('lidt', 'M', C.lgdtLidt),
    d('smsw', 'Ew', C.smsw), null, d('lmsw', 'Ew', C.lmsw), d('invlpg', 'M', C.invlpgOp),
  ],
  regGroup: [null, null, null, null, d('smsw', 'Ew', C.smsw), null, d('lmsw', 'Ew', C.lmsw), null],
};
set(0x102, 'lar', 'Gv,Ew', C.larLsl); set(0x103, 'lsl', 'Gv,Ew', C.larLsl);
set(0x106, 'clts', '', C.clts);
set(0x108, 'invd', '', C.wbinvd); set(0x109, 'wbinvd', '', C.wbinvd);
set(0x10b, 'ud2', '', C.ud);
set(0x118, 'nop', 'Ev', M.nop); // prefetch hints
for (let k = 0x119; k <= 0x11f; k++) set(k, 'nop', 'Ev', M.nop);
set(0x120, 'mov', 'Rd,Cd', C.movFromCr); set(0x122, 'mov', 'Cd,Rd', C.movToCr);
set(0x121, 'mov', 'Rd,Dd', C.movFromDr); set(0x123, 'mov', 'Dd,Rd', C.movToDr);
set(0x130, 'wrmsr', '', C.wrmsr); set(0x131, 'rdtsc', '', C.rdtsc); set(0x132, 'rdmsr', '', C.rdmsr);
set(0x1a0, 'push', 'FS', M.pushS); set(0x1a1, 'pop', 'FS', M.popS);
set(0x1a2, 'cpuid', '', C.cpuid);
set(0x1a3, 'bt', 'Ev,Gv', A.bitOp);
set(0x1a4, 'shld', 'Ev,Gv,Ib', A.shiftDouble); set(0x1a5, 'shld', 'Ev,Gv,CL', A.shiftDouble);
set(0x1a8, 'push', 'GS', M.pushS); set(0x1a9, 'pop', 'GS', M.popS);
set(0x1ab, 'bts', 'Ev,Gv', A.bitOp);
set(0x1ac, 'shrd', 'Ev,Gv,Ib', A.shiftDouble); set(0x1ad, 'shrd', 'Ev,Gv,CL', A.shiftDouble);
set(0x1af, 'imul', 'Gv,Ev', A.imulGE);
set(0x1b0, 'cmpxchg', 'Eb,Gb', M.cmpxchg); set(0x1b1, 'cmpxchg', 'Ev,Gv', M.cmpxchg);
set(0x1b2, 'lss', 'Gv,Mp', C.loadFarPointer);
set(0x1b3, 'btr', 'Ev,Gv', A.bitOp);
set(0x1b4, 'lfs', 'Gv,Mp', C.loadFarPointer); set(0x1b5, 'lgs', 'Gv,Mp', C.loadFarPointer);
set(0x1b6, 'movzx', 'Gv,Eb', M.movzx); set(0x1b7, 'movzx', 'Gv,Ew', M.movzx);
TABLE[0x1ba] = { group: [null, null, null, null, d('bt', 'Ev,Ib', A.bitOp), d('bts', 'Ev,Ib', A.bitOp), d('btr', 'Ev,Ib', A.bitOp), d('btc', 'Ev,Ib', A.bitOp)] };
set(0x1bb, 'btc', 'Ev,Gv', A.bitOp);
set(0x1bc, 'bsf', 'Gv,Ev', A.bitScan); set(0x1bd, 'bsr', 'Gv,Ev', A.bitScan);
set(0x1be, 'movsx', 'Gv,Eb', M.movsx); set(0x1bf, 'movsx', 'Gv,Ew', M.movsx);
set(0x1c0, 'xadd', 'Eb,Gb', M.xadd); set(0x1c1, 'xadd', 'Ev,Gv', M.xadd);
TABLE[0x1c7] = { group: [null, d('cmpxchg8b', 'Mq', M.cmpxchg8b), null, null, null, null, null, null] };
for (let r = 0; r < 8; r++) set(0x1c8 + r, 'bswap', 'Zv', M.bswap);

/**
 * Handlers that never transfer control, exit to the host or change CPL,
 * segment bases or paging: the CPU chains them into straight-line blocks.
 * (Faults are thrown and end a block anyway.)
 */
export const STRAIGHT = new Set<Exec>([
  A.aluEG, A.aluGE, A.aluAI, A.grp1, A.testEG, A.testAI, A.testEI, A.incDecReg, A.incDecE, A.notE, A.negE,
  A.grp2, A.shiftDouble, A.mulE, A.imulGE, A.imulGEI, A.divE, A.daa, A.das, A.aaa, A.aas, A.aam, A.aad,
  A.bitOp, A.bitScan,
  M.movEG, M.movGE, M.movEI, M.movRI, M.movAO, M.movOA, M.movES, M.movzx, M.movsx, M.lea, M.xchgEG, M.xchgAR,
  M.nop, M.cmpxchg, M.cmpxchg8b, M.xadd, M.bswap, M.cbw, M.cwd, M.pushR, M.popR, M.pushI, M.pushE, M.popE,
  M.pusha, M.popa, M.enter, M.leave, M.pushf, M.sahf, M.lahf, M.clc, M.stc, M.cmc, M.cld, M.std,
  M.setcc, M.cmovcc, M.salc, M.xlat, M.movs, M.stos, M.lods, M.cmps, M.scas,
  ...FAST_STRAIGHT,
]);
