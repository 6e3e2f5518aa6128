// A disassembler in nasm/Intel syntax built on the CPU's own decoder and
// opcode tables, so what it prints is what the CPU would execute.
import { decodeFrom } from './decode.js';
import type { Insn } from './insn.js';

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const SIZE_NAME: Record<number, string> = { 1: 'byte', 2: 'word', 4: 'dword', 8: 'qword' };

const LITERAL = new Set(['AL', 'CL', 'DX', 'eAX', 'ES', 'CS', 'SS', 'DS', 'FS', 'GS', '1']);
const hex = (v: number) => '0x' + (v >>> 0).toString(16);
const shex = (v: number) => (v < 0 ? '-0x' + (-v).toString(16) : '0x' + v.toString(16));

function regName(size: number, r: number): string {
  return size === 1 ? R8[r] : size === 2 ? R16[r] : R32[r];
}

function memText(i: Insn): string {
  const parts: string[] = [];
  if (i.a16) {
    if (i.base >= 0) parts.push(R16[i.base]);
    if (i.index >= 0) parts.push(R16[i.index]);
  } else {
    if (i.base >= 0) parts.push(R32[i.base]);
    if (i.index >= 0) parts.push(R32[i.index] + (i.scale ? '*' + (1 << i.scale) : ''));
  }
  let s = parts.join('+');
  const disp = i.a16 ? (i.disp << 16) >> 16 : i.disp | 0;
  if (parts.length === 0) s = i.a16 ? 'word ' + hex(disp & 0xffff) : hex(disp);
  else if (disp !== 0) s += disp < 0 ? '-' + hex(-disp) : '+' + hex(disp);
  const seg = i.segOv >= 0 ? SREG[i.segOv] + ':' : '';
  return `[${seg}${s}]`;
}

function sizeOfToken(t: string, i: Insn): number {
  const s = t[1];
  return s === 'b' ? 1 : s === 'w' ? 2 : s === 'd' ? 4 : s === 'q' ? 8 : i.o16 ? 2 : 4;
}

function operand(t: string, i: Insn, next: number, needSize: boolean): string {
  if (LITERAL.has(t)) return t === 'eAX' ? (i.o16 ? 'ax' : 'eax') : t.toLowerCase();
  const k = t[0];
  switch (k) {
    case 'E': case 'M': {
      // mov r32,sreg / smsw / sldt / str write a 32-bit register unless o16 (nasm: mov eax, ds)
      if (i.mod === 3) return regName(t === 'Ew' && !i.o16 && /^(mov|smsw|sldt|str)$/.test(i.desc.name) && t === i.desc.ops.split(',')[0] ? 4 : sizeOfToken(t, i), i.rm);
      if (t === 'M' || t === 'Mp') return memText(i);
      return needSize || t === 'Mq' ? `${SIZE_NAME[sizeOfToken(t, i)]} ${memText(i)}` : memText(i);
    }
    case 'G': return regName(sizeOfToken(t, i), i.reg);
    case 'Z': return regName(sizeOfToken(t, i), i.op & 7);
    case 'R': return R32[i.rm];
    case 'C': return 'cr' + i.reg;
    case 'D': return 'dr' + i.reg;
    case 'S': return SREG[i.reg] ?? '?';
    case 'O': return (needSize ? SIZE_NAME[t === 'Ob' ? 1 : i.o16 ? 2 : 4] + ' ' : '') + memText(i);
    case 'J': return i.o16 && t === 'Jv' ? 'word ' + hex((next + i.imm) & 0xffff) : hex(next + i.imm);
    case 'A': return `${i.o16 ? 'word ' : ''}${hex(i.imm2)}:${hex(i.imm)}`;
    case 'I':
      if (strictImm(t, i)) return `strict ${i.o16 ? 'word' : 'dword'} ${hex(i.o16 ? i.imm & 0xffff : i.imm)}`;
      if (i.o16 && (i.op === 0x68 || i.op === 0x6a)) return 'word ' + (t === 'Ibs' ? shex(i.imm) : hex(i.imm & 0xffff));
      if (t === 'Ibs') return shex(i.imm);
      if (i.op === 0xc8 && t === 'Ib') return hex(i.imm2);
      return hex(i.imm);
    default:
      return t.toLowerCase();
  }
}

/** Opcodes with a full-size immediate that also have a sign-extended 8-bit form (group 1 on eAX and 81, push, imul). */
const HAS_SHORT_FORM = new Set([0x05, 0x0d, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x81, 0x68, 0x69]);

/**
 * A full-size immediate that fits in a signed byte: an assembler would take the short form, so the text says
 * `strict word/dword` to give back these bytes (nasm: add eax, strict dword 5 is 05 05 00 00 00). 81 /0 on eAX has
 * no text that gives it back (nasm takes the shorter 05 form for it).
 */
function strictImm(t: string, i: Insn): boolean {
  if (!HAS_SHORT_FORM.has(i.op) || (t !== 'Iv' && t !== 'Iz')) return false;
  const v = i.o16 ? (i.imm << 16) >> 16 : i.imm | 0;
  return v >= -128 && v <= 127;
}

/** String instructions, which take repeat prefixes and print segment and address-size prefixes in front. */
const STRING_OP = /^(movs|stos|lods|ins|outs|cmps|scas)[bwd]$/;

/**
 * Disassembles one instruction at `bytes[offset]`, which sits at address
 * `eip` (for jump targets). Bytes that do not form a valid instruction give
 * "(bad)" with length 1; running off the end of `bytes` does too.
 */
export function disassemble(bytes: Uint8Array, offset: number, eip: number): { text: string; length: number } {
  let i: Insn;
  try {
    i = decodeFrom({
      byte: (o) => {
        const k = offset + (o - eip);
        if (k < 0 || k >= bytes.length) throw new RangeError('end of buffer');
        return bytes[k];
      },
      big: true,
    }, eip);
  } catch {
    return { text: '(bad)', length: 1 };
  }
  const desc = i.desc;
  if (desc.name === '(bad)' || (i.mod === 3 && /(^|,)M/.test(desc.ops))) return { text: '(bad)', length: i.len };
  let name = desc.name;
  if (name.includes('|')) name = name.split('|')[i.o16 ? 0 : 1];
  if (name === 'fpu') return { text: '(bad)', length: i.len };
  // 16-bit operand size on returns and far transfers, in nasm's spelling
  if (i.o16 && (name === 'ret' || name === 'retf')) name = name === 'ret' ? 'retnw' : 'retfw';
  if (i.o16 && name.endsWith(' far')) name = name.replace(' far', ' word far');
  const toks = desc.ops ? desc.ops.split(',').filter((t) => t !== 'b' && t !== 'v') : [];
  // A size keyword is needed when no register operand fixes the size.
  const hasReg = toks.some((t) => /^(G|Z|AL|eAX|CL|DX|R|S)/.test(t)) && !/^(movzx|movsx|shl|shr|sal|sar|rol|ror|rcl|rcr)$/.test(name);
  const ops = toks.map((t) => operand(t, i, (eip + i.len) >>> 0, !hasReg || (t !== toks[0] && /^E/.test(t))));
  let prefix = '';
  if (i.lock) prefix += 'lock ';
  if (i.rep && STRING_OP.test(name)) {
    prefix += /^(cmps|scas)/.test(name) ? (i.rep === 1 ? 'repe ' : 'repne ') : 'rep ';
  }
  if ((STRING_OP.test(name) || name === 'xlatb') && i.segOv >= 0) prefix = SREG[i.segOv] + ' ' + prefix;
  if (i.a16 && (STRING_OP.test(name) || /^(loop|jecxz)/.test(name))) prefix = 'a16 ' + prefix;
  if (name === 'jecxz' && i.a16) name = 'jcxz';
  // 90 with F3 is pause and with 66 is xchg ax, ax (nasm's spellings of those bytes); 66 c9 pops bp, not ebp
  if (i.op === 0x90 && i.rep === 1) name = 'pause';
  else if (i.op === 0x90 && i.o16) return { text: prefix + 'xchg ax, ax', length: i.len };
  if (name === 'leave' && i.o16) prefix = 'o16 ' + prefix;
  return { text: prefix + name + (ops.length ? ' ' + ops.join(', ') : ''), length: i.len };
}
