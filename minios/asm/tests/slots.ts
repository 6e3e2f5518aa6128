// Differential harness: each case is assembled in its own 16-byte slot by nasm and by us, and slots are compared.
import { Assembler } from '../assembler.js';
import type { Operand } from '../operands.js';
import { hex, nasm } from './nasm.js';

export interface SlotCase {
  line: string;
  /** When given, the TS-call path is checked too. */
  mn?: string;
  ops?: Operand[];
}

export interface Mismatch {
  line: string;
  path: 'text' | 'calls';
  nasm: string;
  ours: string;
}

const SLOT = 16;
const trim = (b: Uint8Array) => {
  let n = b.length;
  while (n > 0 && b[n - 1] === 0xcc) n--;
  return hex(b.subarray(0, n));
};

/** Lines nasm rejects in a batch (by their text), so a fuzzer can set them aside and check we reject them too. */
export function nasmRejects(cases: SlotCase[], prelude = 'tgt:'): Set<string> {
  const lines = [prelude, ...cases.map((c) => c.line)];
  const r = nasm(lines.join('\n'));
  const bad = new Set<string>();
  for (const m of r.errors.matchAll(/in\.asm:(\d+): error/g)) bad.add(lines[Number(m[1]) - 2]);
  return bad;
}

/** Returns every case whose bytes differ from nasm's (or that one side rejects). */
export function compareWithNasm(cases: SlotCase[], prelude = 'tgt:'): Mismatch[] {
  const src = [prelude, ...cases.flatMap((c) => ['align 16, db 0xcc', c.line]), 'align 16, db 0xcc'].join('\n');
  const ref = nasm(src);
  if (!ref.ok) {
    const lines = src.split('\n');
    const bad = [...ref.errors.matchAll(/in\.asm:(\d+): error: (.*)/g)].map((m) => `${lines[Number(m[1]) - 2]}   <- ${m[2]}`);
    throw new Error(`nasm rejected ${bad.length} lines of the batch:\n${bad.join('\n')}`);
  }
  const slotOf = (bytes: Uint8Array, i: number) => bytes.subarray(SLOT * i, SLOT * (i + 1));
  const out: Mismatch[] = [];
  const paths: ('text' | 'calls')[] = cases.some((c) => c.mn) ? ['text', 'calls'] : ['text'];
  for (const path of paths) {
    const errors = new Map<number, string>();
    const a = new Assembler({ file: 'cases' });
    a.text(prelude);
    cases.forEach((c, i) => {
      a.align(SLOT, 0xcc);
      try {
        if (path === 'calls' && c.mn) a.ins(c.mn, ...(c.ops ?? []));
        else a.text(c.line, { file: 'cases', line: i + 1 });
      } catch (e) {
        errors.set(i, (e as Error).message);
      }
    });
    a.align(SLOT, 0xcc);
    const ours = a.link({ base: 0 }).sections[0].bytes;
    cases.forEach((c, i) => {
      if (path === 'calls' && !c.mn) return;
      const n = slotOf(ref.bytes, i), o = slotOf(ours, i);
      if (errors.has(i)) out.push({ line: c.line, path, nasm: trim(n), ours: `error: ${errors.get(i)}` });
      else if (hex(n) !== hex(o)) out.push({ line: c.line, path, nasm: trim(n), ours: trim(o) });
    });
  }
  return out;
}
