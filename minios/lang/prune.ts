// Drops library functions nothing can reach, so a kernel (and its listing) holds only what it uses: roots are the
// functions of the entry files, start_kernel, and every symbol named in asm text or in a global's initial value.
import type { Func, ProgramIR } from './ir.js';

const WORD = /[A-Za-z_.?$@][\w.?$@#~]*/g;

/** Every symbol a function's body names: calls, addresses taken, and words of inline asm. */
function references(f: Func): Set<string> {
  const out = new Set<string>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return;
    if (Array.isArray(x)) {
      for (const y of x) visit(y);
      return;
    }
    const o = x as Record<string, unknown>;
    if (o.k === 'call' && typeof o.fn === 'string') out.add(o.fn);
    if (o.k === 'symaddr' && typeof o.sym === 'string') out.add(o.sym);
    if (o.k === 'asm' && typeof o.text === 'string') for (const w of o.text.match(WORD) ?? []) out.add(w);
    for (const [key, v] of Object.entries(o)) if (key !== 'type' && key !== 'local' && key !== 'pos') visit(v);
  };
  visit(f.body);
  return out;
}

export function pruneUnreachable(ir: ProgramIR, entryFiles: Set<string>): void {
  const funcs = new Map<string, Func>();
  for (const it of ir.items) if (it.k === 'func') funcs.set(it.f.name, it.f);
  const live = new Set<string>();
  const work: string[] = [];
  const mark = (name: string) => {
    if (funcs.has(name) && !live.has(name)) {
      live.add(name);
      work.push(name);
    }
  };
  mark('start_kernel');
  for (const it of ir.items) {
    if (it.k === 'func' && entryFiles.has(it.f.pos.file)) mark(it.f.name);
    if (it.k === 'asm') for (const w of it.text.match(WORD) ?? []) mark(w);
    if (it.k === 'global') for (const r of it.g.init?.relocs ?? []) mark(r.sym);
  }
  while (work.length) for (const s of references(funcs.get(work.pop()!)!)) mark(s);
  ir.items = ir.items.filter((it) => it.k !== 'func' || live.has(it.f.name));
}
