// Evidence for explanations: the last console lines, the last hypercalls (decoded as `xenlab run --trace hypercalls`
// shows them), and for a crash the faulting instruction disassembled with the student's source line beside it.
// In a run of several domains every line names its domain, and the one that ended worst comes first.
import path from 'node:path';
import { disassemble } from '../machine/cpu/disasm.js';
import { lineFor, readElf32, type Elf32 } from '../minios/asm/index.js';
import { errnoName } from '../hypervisor/hypercall.js';
import { formatArgs } from '../hypervisor/trace.js';
import type { DomainObservation, HypercallObservation, RunObservation } from './api.js';

export interface Evidence {
  /**
   * The last lines the guest printed (at most 8). With several domains: up to 4 of each of the first two domains to
   * list, each as `name: line` (unless the domain's line already starts so), the domain that ended worst first.
   */
  consoleTail: string[];
  /**
   * The last hypercalls, oldest first (at most 5), as `name(args) = result` with the arguments decoded as
   * `--trace hypercalls` shows them (sub-operations and reasons by name, counts in decimal, errors as -EINVAL).
   * With several domains: those of the domain that ended worst, each as `domain: name(args) = result`.
   */
  lastHypercalls: string[];
  /**
   * With several domains: how each ended, the one that ended worst first, e.g. "mapper: shut down with
   * SHUTDOWN_crash after running 51,051 instructions of its own" (the run's own summary cannot say which domain).
   */
  domains?: string[];
  crash?: {
    /** With several domains, it starts with the domain's name: "mapper: page fault ...". */
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

/** The console's last `n` lines, escaped for one line each. */
function tail(console: string, n: number): string[] {
  const lines = console.replace(/\r/g, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n).map((l) => JSON.stringify(l).slice(1, -1));
}

/** One hypercall as the trace shows it: "sched_op(shutdown, 0x9fdc) = 0", "grant_table_op(map_grant_ref, 0x9f40, 1) = -EINVAL". */
export function describeHypercall(h: HypercallObservation, map: SourceMap): string {
  const at = h.viaHypercallPage ? undefined : map.locate(h.callerEip);
  const result = h.result < 0 ? errnoName(h.result) : String(h.result);
  return `${h.name}(${formatArgs(h.nr, h.args)}) = ${result}${h.viaHypercallPage ? '' : ' [raw int $0x82]'}${at ? ` at ${at}` : ''}`;
}

/** "shut down with SHUTDOWN_crash after running 51,051 instructions of its own", "was still running after ...". */
export function howEnded(d: DomainObservation): string {
  const ran = `${d.instructions.toLocaleString('en-US')} instructions of its own`;
  if (d.crash) return `crashed (${d.crash.reason}) after running ${ran}`;
  if (d.state === 'shutdown') return `shut down with SHUTDOWN_${d.shutdownReason ?? '?'} after running ${ran}`;
  if (d.state === 'crashed') return `crashed after running ${ran}`;
  return `was still ${d.state === 'paused' ? 'paused' : 'running'} when the run ended, having run ${ran}`;
}

/** How badly a domain ended: a fault Xen could not deliver, a crash shutdown, still running, then the rest. */
function badness(d: DomainObservation): number {
  if (d.crash || d.state === 'crashed') return 3;
  if (d.state === 'shutdown' && d.shutdownReason === 'crash') return 2;
  if (d.state !== 'shutdown') return 1;
  return d.shutdownReason === 'poweroff' ? 0 : 1;
}

/** When a domain stopped: its last hypercall (a shutdown), or Infinity while it still runs or after a fault. */
function stoppedAt(d: DomainObservation): number {
  return d.state === 'shutdown' ? (d.hypercalls[d.hypercalls.length - 1]?.instructions ?? Infinity) : Infinity;
}

/** The run's domains, the one that ended worst first; among equals, the one that stopped first (then the run's order). */
export function domainsByBadness(run: RunObservation): DomainObservation[] {
  return (run.domains ?? []).map((d, i) => [d, i] as const)
    .sort((a, b) => badness(b[0]) - badness(a[0]) || (stoppedAt(a[0]) - stoppedAt(b[0]) || 0) || a[1] - b[1]).map(([d]) => d);
}

export function gatherEvidence(run: RunObservation, map: SourceMap): Evidence {
  const doms = domainsByBadness(run);
  const several = doms.length > 1;
  const focus = several ? doms[0]! : undefined;
  const ev: Evidence = several
    ? {
      domains: doms.map((d) => `${d.name}: ${howEnded(d)}`),
      consoleTail: doms.slice(0, 2).flatMap((d) => tail(d.console, 4).map((l) => (l.startsWith(`${d.name}:`) ? l : `${d.name}: ${l}`))),
      lastHypercalls: focus!.hypercalls.slice(-5).map((h) => `${focus!.name}: ${describeHypercall(h, map)}`),
    }
    : { consoleTail: tail(run.console, 8), lastHypercalls: run.hypercalls.slice(-5).map((h) => describeHypercall(h, map)) };
  if (run.crash) {
    const c = run.crash;
    const where = map.locate(c.eip);
    const text = map.sourceLine(c.eip);
    const owner = several ? doms.find((d) => d.crash && d.crash.eip === c.eip && d.crash.reason === c.reason) : undefined;
    ev.crash = {
      reason: owner ? `${owner.name}: ${c.reason}` : c.reason,
      eip: hex(c.eip),
      instruction: c.insn || map.instructionAt(c.eip) || '(unknown)',
      ...(where ? { source: text !== undefined ? `${where}: ${text}` : where } : {}),
      registers: ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'cr2'].filter((r) => c.regs[r] !== undefined).map((r) => `${r}=${hex(c.regs[r]!)}`).join(' '),
    };
  }
  return ev;
}
