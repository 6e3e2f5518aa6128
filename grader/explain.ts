// Evidence for explanations: the last console lines, the last hypercalls, and for a crash the faulting instruction
// disassembled with the student's source line beside it.
import path from 'node:path';
import { disassemble } from '../machine/cpu/disasm.js';
import { lineFor, readElf32, type Elf32 } from '../minios/asm/index.js';
import type { RunObservation } from './api.js';

export interface Evidence {
  /** The last lines the guest printed (at most 8). */
  consoleTail: string[];
  /** The last hypercalls, oldest first (at most 5), as `name(args) = result`. */
  lastHypercalls: string[];
  crash?: {
    reason: string;
    eip: string;
    instruction: string;
    /** "kernel/hello.ts:12: <that line's text>" when the address maps to a student line. */
    source?: string;
    registers: string;
  };
}

/** Maps code addresses to source positions relative to the exercise folder. */
export class SourceMap {
  private readonly elf?: Elf32;
  constructor(elfBytes: Uint8Array, private readonly exerciseDir: string, private readonly sources: Record<string, string>) {
    try {
      this.elf = readElf32(elfBytes);
    } catch {
      this.elf = undefined;
    }
  }

  /** "kernel/hello.ts:12", or a kit path ("minios/kernel/bootstrap.ts:9"), or undefined. */
  locate(addr: number): string | undefined {
    const entry = this.elf && lineFor(this.elf.lines, addr);
    if (!entry) return undefined;
    return `${this.relative(entry.file)}:${entry.line}`;
  }

  /** The text of the source line at `addr`, when it is one of the student's files. */
  sourceLine(addr: number): string | undefined {
    const entry = this.elf && lineFor(this.elf.lines, addr);
    if (!entry) return undefined;
    const text = this.sources[this.relative(entry.file)]?.split('\n')[entry.line - 1];
    return text === undefined ? undefined : text.trim();
  }

  /** The instruction at `addr` as the ELF's bytes hold it. */
  instructionAt(addr: number): string | undefined {
    const seg = this.elf?.segments.find((s) => s.type === 1 && addr >= s.vaddr && addr < s.vaddr + s.filesz);
    if (!seg) return undefined;
    return disassemble(seg.data, addr - seg.vaddr, addr).text;
  }

  private relative(file: string): string {
    const rel = path.relative(this.exerciseDir, file);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
    const kit = file.lastIndexOf(`${path.sep}minios${path.sep}kernel${path.sep}`);
    return kit >= 0 ? file.slice(kit + 1).split(path.sep).join('/') : path.basename(file);
  }
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16);

export function gatherEvidence(run: RunObservation, map: SourceMap): Evidence {
  const lines = run.console.replace(/\r/g, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const ev: Evidence = {
    consoleTail: lines.slice(-8).map((l) => JSON.stringify(l).slice(1, -1)),
    lastHypercalls: run.hypercalls.slice(-5).map((h) => {
      const at = map.locate(h.callerEip);
      return `${h.name}(${h.args.map(hex).join(', ')}) = ${h.result}${h.viaHypercallPage ? '' : ' [raw int $0x82]'}${at && !h.viaHypercallPage ? ` at ${at}` : ''}`;
    }),
  };
  if (run.crash) {
    const c = run.crash;
    const where = map.locate(c.eip);
    const text = map.sourceLine(c.eip);
    ev.crash = {
      reason: c.reason,
      eip: hex(c.eip),
      instruction: c.insn || map.instructionAt(c.eip) || '(unknown)',
      ...(where ? { source: text !== undefined ? `${where}: ${text}` : where } : {}),
      registers: ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'cr2'].filter((r) => c.regs[r] !== undefined).map((r) => `${r}=${hex(c.regs[r]!)}`).join(' '),
    };
  }
  return ev;
}
