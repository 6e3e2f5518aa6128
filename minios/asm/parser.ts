// nasm (Intel) syntax for Assembler.text(): labels, instructions, db/dw/dd/dq, resb.., times, align, section, global, equ.
import { MAX_TIMES, type Assembler, type SectionFlags } from './assembler.js';
import { isMnemonic, isPrefix } from './encode.js';
import { AsmError } from './errors.js';
import { constant, fold, LineParser, resolveValue, type Lin } from './expr.js';
import { tokenize, type Tok } from './lexer.js';
import { registers, type Mem, type MemSize, type Operand, type Register, type SymRef } from './operands.js';

const dataDirectives: Record<string, 1 | 2 | 4 | 8> = { db: 1, dw: 2, dd: 4, dq: 8 };
const resDirectives: Record<string, 1 | 2 | 4 | 8> = { resb: 1, resw: 2, resd: 4, resq: 8 };
const sizeWords: Record<string, MemSize> = { byte: 1, word: 2, dword: 4, qword: 8, tword: 10, fword: 6 };

function parseOperand(p: LineParser, asm: Assembler): Operand | { jump: 'short' | 'near' } & { op: Operand } {
  let size: MemSize | undefined;
  let strict = false;
  let farFlag = false;
  let jump: 'short' | 'near' | undefined;
  for (;;) {
    const t = p.peek();
    if (t?.t !== 'id') break;
    const w = t.v.toLowerCase();
    if (w in sizeWords) { size = sizeWords[w]; p.i++; }
    else if (w === 'far') { farFlag = true; p.i++; }
    else if (w === 'short' || w === 'near') { jump = w; p.i++; }
    else if (w === 'strict') { strict = true; p.i++; }
    else break;
  }
  let op: Operand;
  if (p.eat('[')) {
    let seg: Register | undefined;
    let addr16 = false;
    const w0 = p.peek();
    if (w0?.t === 'id' && /^d?word$/i.test(w0.v)) { addr16 = w0.v.toLowerCase() === 'word'; p.i++; }
    const t0 = p.toks[p.i], t1 = p.toks[p.i + 1];
    if (t0?.t === 'id' && t1?.t === 'op' && t1.v === ':' && registers.get(t0.v.toLowerCase())?.cls === 'seg') {
      seg = registers.get(t0.v.toLowerCase());
      p.i += 2;
      const w1 = p.peek();
      if (!addr16 && w1?.t === 'id' && /^d?word$/i.test(w1.v)) { addr16 = w1.v.toLowerCase() === 'word'; p.i++; }
    }
    const e = p.expr();
    p.expect(']');
    op = memFrom(asm, e, seg, size, farFlag);
    if (addr16) {
      if (op.base || op.index) throw new AsmError('[word ...] is only for an address without registers');
      op = { ...op, addr16: true };
    }
  } else {
    const e = p.expr();
    if (p.eat(':')) {
      const off = p.expr();
      if (size && size !== 2 && size !== 4) throw new AsmError('a far pointer seg:offset can only be word or dword');
      op = { kind: 'far', seg: constant(asm, e, 'a far pointer segment'), offset: resolveValue(asm, off, 'a far pointer offset'), ...(size ? { size } : {}) };
    } else {
      const regs = [...e.terms].filter(([n]) => n.startsWith('%'));
      if (regs.length === 1 && e.terms.size === 1 && regs[0][1] === 1 && e.k === 0) {
        const r = registers.get(regs[0][0].slice(1))!;
        // nasm ignores word/dword on a segment register (push dword fs is push fs)
        if (size && size !== r.size && !(r.cls === 'seg' && (size === 2 || size === 4))) throw new AsmError(`register ${r.name} is not ${Object.keys(sizeWords).find((k) => sizeWords[k] === size)}-sized`);
        op = r;
      } else {
        const v = resolveValue(asm, e, 'an immediate');
        if (size === 1 || size === 2 || size === 4) op = { kind: 'imm', value: v, size, strict };
        else if (size) throw new AsmError(`an immediate cannot be ${Object.keys(sizeWords).find((k) => sizeWords[k] === size)}-sized`);
        else op = v;
      }
    }
  }
  return jump ? { jump, op } : op;
}

function memFrom(asm: Assembler, e: Lin, seg: Register | undefined, size: MemSize | undefined, farFlag: boolean): Mem {
  const regs: [Register, number][] = [];
  const rest: Lin = { k: e.k, terms: new Map() };
  for (const [n, c] of e.terms) {
    if (n.startsWith('%')) regs.push([registers.get(n.slice(1))!, c]);
    else rest.terms.set(n, c);
  }
  let base: Register | undefined, index: Register | undefined, sc = 1;
  for (const [r, c] of regs) {
    if (r.cls !== 'gpr') throw new AsmError(`register ${r.name} cannot be used in a memory address`);
    if (c === 1 && !base) base = r;
    else if (!index && [1, 2, 4, 8].includes(c)) { index = r; sc = c; }
    else if (!index && !base && [3, 5, 9].includes(c)) { base = r; index = r; sc = c - 1; }
    else throw new AsmError('invalid effective address: at most a base and a scaled index (1, 2, 4 or 8)');
  }
  if (base && !index && sc === 1 && regs.length === 1 && regs[0][1] !== 1) { index = base; base = undefined; }
  return {
    kind: 'mem', base, index, scale: sc as 1 | 2 | 4 | 8, disp: resolveValue(asm, rest, 'a displacement'), seg,
    ...(size ? { size } : {}), ...(farFlag ? { far: true } : {}),
  };
}

/**
 * `times n <body>` whose body is the same bytes every time (an instruction or data without symbols, `$` or labels):
 * assembled once and kept as one item that the linker repeats, so that memory does not grow with n. Returns false
 * when the body does not qualify (or fails: the caller then assembles it the ordinary way and reports the error).
 */
function repeatOnce(asm: Assembler, body: Tok[], lineText: string, n: number): boolean {
  const head = body[0];
  if (head?.t !== 'id') return false;
  const w = head.v.toLowerCase();
  if (!(w in dataDirectives || w in resDirectives || isMnemonic(w) || isPrefix(w))) return false;
  if (body.some((t) => t.t === 'id' && (t.v === '$' || t.v === '$$'))) return false;
  const scratch = new (asm.constructor as new () => Assembler)();
  for (const [k, v] of asm.constants) scratch.constants.set(k, v);
  const here = asm.currentSection;
  scratch.section(here.name, { flags: here.flags });
  scratch.lineText = asm.lineText;
  try {
    statement(scratch, body, lineText);
  } catch (err) {
    if (err instanceof AsmError) return false;
    throw err;
  }
  const made = scratch.sections;
  if (made.length !== 1 || made[0].labels.size || scratch.globals.size || scratch.constants.size !== asm.constants.size) return false;
  const items = made[0].items;
  if (items.length && items.every((it) => it.kind === 'res')) {
    const size = items.reduce((sum, it) => sum + (it.kind === 'res' ? it.size : 0), 0);
    asm.resb(size * n);
    return true;
  }
  const pattern: number[] = [];
  for (const it of items) {
    if (it.kind !== 'bytes' || it.fixups.length) return false;
    for (const b of it.bytes) pattern.push(b);
  }
  if (!pattern.length) return false;
  asm.fill({ k: n, terms: [] }, pattern);
  return true;
}

function splitOperands(toks: Tok[]): Tok[][] {
  const out: Tok[][] = [[]];
  let depth = 0;
  for (const t of toks) {
    if (t.t === 'op' && (t.v === '[' || t.v === '(')) depth++;
    if (t.t === 'op' && (t.v === ']' || t.v === ')')) depth--;
    if (t.t === 'op' && t.v === ',' && depth === 0) out.push([]);
    else out[out.length - 1].push(t);
  }
  return out.length === 1 && out[0].length === 0 ? [] : out;
}

function isDirective(w: string): boolean {
  return w in dataDirectives || w in resDirectives || w === 'equ' || w === 'times';
}

/** Assembles one statement (after any label). */
function statement(asm: Assembler, toks: Tok[], lineText: string): void {
  if (!toks.length) return;
  const head = toks[0];
  if (head.t !== 'id') throw new AsmError(`expected an instruction or directive at column ${head.col}`);
  const w = head.v.toLowerCase();
  const rest = toks.slice(1);
  const p = new LineParser(rest, asm);
  if (w === 'times') {
    p.i = 0;
    const e = p.expr();
    const body = rest.slice(p.i);
    const folded = fold(asm, e);
    if (folded.terms.size === 0) {
      const n = folded.k;
      if (!Number.isInteger(n) || n < 0) throw new AsmError(`times count ${n} must be a non-negative integer`);
      if (n > MAX_TIMES) throw new AsmError(`times count ${n} is larger than ${MAX_TIMES}; reserve space with resb instead`);
      if (n > 1 && repeatOnce(asm, body, lineText, n)) return;
      // `$` in the body is the start of this line in every repeat (nasm: `times 3 dd $` gives the same value thrice).
      const outer = asm.dollar;
      if (!outer && n > 1 && body.some((t) => t.t === 'id' && t.v === '$')) asm.dollar = { name: asm.here().name, offset: asm.currentSection.fixedSize };
      try {
        for (let i = 0; i < n; i++) statement(asm, body, lineText);
      } finally {
        asm.dollar = outer;
      }
      return;
    }
    // The count depends on addresses not known yet (a jump of unknown size precedes it): repeat the body's bytes,
    // counted by the linker.
    for (const n of folded.terms.keys()) if (n.startsWith('%')) throw new AsmError('a times count cannot use registers');
    const scratch = new (asm.constructor as new () => Assembler)();
    for (const [k, v] of asm.constants) scratch.equ(k, v);
    statement(scratch, body, lineText);
    const items = scratch.sections[0]?.items ?? [];
    const pattern: number[] = [];
    for (const it of items) {
      if (it.kind !== 'bytes' || it.fixups.length) throw new AsmError('the times count must be a constant known at this point (a count known only when linking can repeat plain data or instructions without labels)');
      pattern.push(...it.bytes);
    }
    const label = (n: string) => (n === '$' ? asm.here().name : n === '$$' ? asm.sectionStart().name : n);
    asm.fill({ k: folded.k, terms: [...folded.terms].map(([n, c]) => [label(n), c] as [string, number]) }, pattern);
    return;
  }
  if (w in dataDirectives) {
    const size = dataDirectives[w];
    const vals: (number | string | SymRef)[] = [];
    for (const part of splitOperands(rest)) {
      if (part.length === 1 && part[0].t === 'str' && (size === 1 || part[0].v.length > 4 / size || true)) {
        if (size !== 1 || part[0].v.length !== 1) { vals.push(part[0].v); continue; }
      }
      const q = new LineParser(part, asm);
      const v = resolveValue(asm, q.expr(), `a ${w} value`);
      if (!q.atEnd()) throw new AsmError(`unexpected '${q.peek()!.v}' at column ${q.peek()!.col}`);
      vals.push(v);
    }
    if (!vals.length) throw new AsmError(`${w} needs at least one value`);
    (asm as unknown as Record<string, (...v: unknown[]) => void>)[w](...vals);
    return;
  }
  if (w in resDirectives) {
    const n = constant(asm, p.expr(), `the ${w} count`);
    (asm as unknown as Record<string, (n: number) => void>)[w](n);
    return;
  }
  if (w === 'align' || w === 'alignb') {
    const parts = splitOperands(rest);
    const n = constant(asm, new LineParser(parts[0] ?? [], asm).expr(), 'the alignment');
    if (w === 'alignb') { asm.alignReserve(n); return; }
    let fill = 0x90;
    if (parts[1]) {
      const f = parts[1];
      const q = new LineParser(f[0]?.t === 'id' && f[0].v.toLowerCase() === 'db' ? f.slice(1) : f, asm);
      fill = constant(asm, q.expr(), 'the fill byte');
    }
    asm.align(n, fill);
    return;
  }
  if (w === 'section' || w === 'segment') {
    const name = rest[0];
    if (!name || name.t !== 'id') throw new AsmError(`${w} needs a name`);
    let align: number | undefined;
    const attrs = new Set<string>();
    for (let i = 1; i < rest.length; i++) {
      const t = rest[i];
      if (t.t !== 'id') throw new AsmError(`unexpected '${t.v}' in section attributes at column ${t.col}`);
      const a = t.v.toLowerCase();
      if (a === 'align') {
        const n = rest[i + 2];
        if (rest[i + 1]?.v !== '=' || n?.t !== 'num' || n.v <= 0 || (n.v & (n.v - 1)) !== 0) throw new AsmError('write align=N with N a power of two');
        align = n.v;
        i += 2;
      } else if (['progbits', 'nobits', 'alloc', 'noalloc', 'exec', 'noexec', 'write', 'nowrite', 'note'].includes(a)) attrs.add(a);
      else throw new AsmError(`unknown section attribute '${t.v}' (known: align=N progbits nobits alloc noalloc exec noexec write nowrite)`);
    }
    let flags: SectionFlags | undefined;
    if (attrs.size) {
      flags = attrs.has('nobits') ? 'bss' : attrs.has('noalloc') || attrs.has('note') ? 'note' : attrs.has('exec') ? 'rx' : attrs.has('write') ? 'rw' : 'r';
    }
    asm.section(name.v, { ...(align ? { align } : {}), ...(flags ? { flags } : {}) });
    return;
  }
  if (w === 'global' || w === 'extern' || w === 'common') {
    if (w !== 'global') throw new AsmError(`'${w}' is not supported: the assembler links one program, so every symbol must be defined in it`);
    for (const part of splitOperands(rest)) if (part[0]?.t === 'id') asm.global(part[0].v);
    return;
  }
  if (w === 'bits' || w === 'use32') {
    if (w === 'bits' && !(rest[0]?.t === 'num' && rest[0].v === 32)) throw new AsmError('only BITS 32 is supported');
    return;
  }
  if (w === 'org') throw new AsmError("'org' is not supported in text: give the address to link({ base })");
  if (w === 'cpu' || w === 'default') return;
  // Instruction: prefixes, mnemonic, operands.
  const words: string[] = [w];
  let k = 0;
  for (let t = rest[k]; isPrefix(words[words.length - 1]) && t?.t === 'id' && (isMnemonic(t.v.toLowerCase()) || isPrefix(t.v.toLowerCase())); t = rest[++k]) {
    words.push(t.v.toLowerCase());
  }
  const mn = words[words.length - 1];
  if (!isMnemonic(mn) && !isPrefix(mn)) throw new AsmError(`unknown instruction '${head.v}'`);
  const ops: Operand[] = [];
  let force: 'short' | 'near' | undefined;
  for (const part of splitOperands(rest.slice(k))) {
    if (!part.length) throw new AsmError('empty operand');
    if (part.length === 1) {
      // fast path: a lone register or number
      const t = part[0];
      const r = t.t === 'id' ? registers.get(t.v) ?? registers.get(t.v.toLowerCase()) : undefined;
      if (r) { ops.push(r); continue; }
      if (t.t === 'num') { ops.push(t.v); continue; }
    }
    const q = new LineParser(part, asm);
    const o = parseOperand(q, asm);
    if (!q.atEnd()) throw new AsmError(`unexpected '${q.peek()!.v}' at column ${q.peek()!.col}`);
    if (typeof o === 'object' && 'jump' in o) { force = o.jump; ops.push(o.op); } else ops.push(o as Operand);
  }
  const prefixOnly = isPrefix(mn) && ops.length === 0 && words.length === 1;
  if (prefixOnly) { asm.ins(mn); return; }
  asm.ins(words.join(' ') + (force ? ' ' + force : ''), ...ops);
  void lineText;
}

/** Parses nasm-syntax source into `asm`, line by line, with positions from `origin`. */
export function parseInto(asm: Assembler, source: string, origin: { file: string; line: number }): void {
  const lines = source.split('\n');
  lines.forEach((raw, n) => {
    const pos = { file: origin.file, line: origin.line + n };
    asm.loc(pos.file, pos.line);
    const lineText = raw.includes(';') ? raw.replace(/;.*$/, '').trim() : raw.trim();
    try {
      let toks = tokenize(raw);
      if (toks[0]?.t === 'op' && toks[0].v === '[') {
        // [section .x], [bits 32], [global x]
        const close = toks.findIndex((t) => t.t === 'op' && t.v === ']');
        toks = toks.slice(1, close < 0 ? undefined : close);
      }
      if (toks[0]?.t === 'id' && toks[1]?.t === 'op' && toks[1].v === ':' && !registers.has(toks[0].v.toLowerCase())) {
        asm.label(toks[0].v);
        toks = toks.slice(2);
      } else if (toks[0]?.t === 'id' && toks[1]?.t === 'id' && toks[1].v.toLowerCase() === 'equ') {
        const q = new LineParser(toks.slice(2), asm);
        asm.equ(toks[0].v, constant(asm, q.expr(), 'an equ value'));
        return;
      } else if (toks[0]?.t === 'id' && !isMnemonic(toks[0].v.toLowerCase()) && !isPrefix(toks[0].v.toLowerCase()) &&
        toks[1]?.t === 'id' && isDirective(toks[1].v.toLowerCase())) {
        asm.label(toks[0].v);
        toks = toks.slice(1);
      } else if (toks.length === 1 && toks[0].t === 'id' && !isMnemonic(toks[0].v.toLowerCase()) && !isPrefix(toks[0].v.toLowerCase()) &&
        !isDirectiveWord(toks[0].v)) {
        asm.label(toks[0].v);
        toks = [];
      }
      if (toks.length) asm.lineText = raw.slice(toks[0].col - 1, toks[toks.length - 1].end);
      statement(asm, toks, lineText);
    } catch (err) {
      if (err instanceof AsmError && !err.pos) throw new AsmError(err.problem, pos, err.source ?? lineText);
      throw err;
    } finally {
      asm.lineText = undefined;
    }
  });
}

function isDirectiveWord(w: string): boolean {
  return ['section', 'segment', 'global', 'bits', 'use32', 'align', 'alignb', 'extern', 'cpu', 'default', 'org'].includes(w.toLowerCase());
}
