// Crash reports: why a domain died, where, with its registers and the
// faulting instruction disassembled (read through the guest's page tables).
import { disassemble, type PhysicalMemory } from '../machine/index.js';
import type { CrashInfo, VcpuContext } from './domain.js';
import { guestWalk } from './guest_access.js';

const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
export const hex8 = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** Reads up to 15 instruction bytes at `eip` (stopping at an unmapped page) and disassembles one instruction. */
export function disassembleAt(mem: PhysicalMemory, cr3: number, eip: number): { text: string; bytes: Uint8Array } {
  const bytes: number[] = [];
  for (let k = 0; k < 15; k++) {
    const pa = guestWalk(mem, cr3, (eip + k) >>> 0, false, false);
    if (pa < 0) break;
    bytes.push(mem.u8[pa]);
  }
  if (bytes.length === 0) return { text: '(instruction not mapped)', bytes: new Uint8Array() };
  const b = new Uint8Array(bytes);
  const d = disassemble(b, 0, eip >>> 0);
  return { text: d.text, bytes: b.subarray(0, Math.min(d.length, b.length)) };
}

export interface CrashDetails {
  reason: string;
  ctx: VcpuContext;
  /** Linear address of a page fault, when there was one. */
  faultAddress?: number;
  errorCode?: number;
}

export function makeCrash(mem: PhysicalMemory, d: CrashDetails): { info: CrashInfo; report: string } {
  const { ctx } = d;
  const regs: Record<string, number> = {};
  REG_NAMES.forEach((n, i) => { regs[n] = ctx.regs[i]; });
  regs.eip = ctx.eip >>> 0;
  regs.eflags = ctx.eflags >>> 0;
  SEG_NAMES.forEach((n, i) => { regs[n] = ctx.segs[i].selector; });
  regs.cr2 = ctx.cr2 >>> 0;
  regs.cr3 = ctx.cr3 >>> 0;
  const { text, bytes } = disassembleAt(mem, ctx.cr3, ctx.eip);
  const lines = [`reason: ${d.reason}`];
  const byteText = [...bytes].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  lines.push(`eip: ${hex8(ctx.eip)}  ${text}${byteText ? `  (${byteText})` : ''}`);
  if (d.faultAddress !== undefined) lines.push(`faulting address: ${hex8(d.faultAddress)}`);
  if (d.errorCode !== undefined) lines.push(`error code: ${hex8(d.errorCode)}`);
  lines.push(`eax: ${hex8(regs.eax)}  ebx: ${hex8(regs.ebx)}  ecx: ${hex8(regs.ecx)}  edx: ${hex8(regs.edx)}`);
  lines.push(`esi: ${hex8(regs.esi)}  edi: ${hex8(regs.edi)}  ebp: ${hex8(regs.ebp)}  esp: ${hex8(regs.esp)}`);
  lines.push(`eflags: ${hex8(regs.eflags)}  cr2: ${hex8(regs.cr2)}  cr3: ${hex8(regs.cr3)}`);
  lines.push(SEG_NAMES.map((n) => `${n}: ${regs[n].toString(16).padStart(4, '0')}`).join('  '));
  return { info: { reason: d.reason, eip: ctx.eip >>> 0, insn: text, regs }, report: lines.join('\n') };
}
