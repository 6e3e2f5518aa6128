// IR -> x86 instructions, kept simple enough to follow in a listing: every value goes through EAX (EDX:EAX for
// 64-bit), the right operand through ECX or the stack, locals live in the EBP frame, calls are cdecl.
import {
  al, ax, byte, cl, dl, dword, dx, eax, ebp, ebx, ecx, edi, edx, esi, esp, mem, sym, word, type Mem, type Operand, type Register,
} from '../asm/index.js';
import type { BinOp, CmpOp, Expr, Func, Local, Place, Pos, Stmt } from './ir.js';
import { is64, sizeOf, type KType } from './types.js';
import { orderMatters, stable } from './order.js';

export type Line =
  | { k: 'ins'; op: string; args: Operand[] }
  | { k: 'label'; name: string }
  | { k: 'loc'; pos: Pos }
  | { k: 'asm'; text: string; pos: Pos };

export class InternalError extends Error {}

const CC: Record<CmpOp, [string, string]> = {
  '==': ['e', 'e'], '!=': ['ne', 'ne'], '<': ['l', 'b'], '<=': ['le', 'be'], '>': ['g', 'a'], '>=': ['ge', 'ae'],
};
const INVERSE: Record<string, string> = {
  e: 'ne', ne: 'e', l: 'ge', ge: 'l', le: 'g', g: 'le', b: 'ae', ae: 'b', be: 'a', a: 'be',
};

function intOf(t: KType): { bits: number; signed: boolean } {
  if (t.k === 'int') return t;
  return { bits: 32, signed: false };
}

/** Memory size of a value of type t when stored in a struct, array or global. */
function memSize(t: KType): number {
  if (t.k === 'struct') return 4; // a struct-typed variable holds a reference
  return sizeOf(t);
}

function sized(m: Mem, size: number): Mem {
  return size === 1 ? byte(m) : size === 2 ? word(m) : dword(m);
}

function disp(m: Mem, extra: number): Mem {
  const d = m.disp;
  return { ...m, disp: typeof d === 'number' ? d + extra : { ...d, addend: d.addend + extra } };
}

const num = (v: bigint): number => Number(BigInt.asIntN(32, v));

export class FunctionGen {
  readonly lines: Line[] = [];
  readonly saved = new Set<Register>();
  readonly helpers: Set<string>;
  private labels = 0;
  private frame = 0;
  private breaks: string[] = [];
  private continues: string[] = [];
  private returned = false;

  constructor(private readonly f: Func, helpers: Set<string>) {
    this.helpers = helpers;
  }

  private ins(op: string, ...args: Operand[]): void {
    this.lines.push({ k: 'ins', op, args });
  }
  private label(name: string): void {
    this.lines.push({ k: 'label', name });
  }
  private newLabel(hint: string): string {
    return `.${hint}${++this.labels}`;
  }
  private loc(pos: Pos): void {
    this.lines.push({ k: 'loc', pos });
  }

  /** The whole function: prologue, body, epilogue. */
  generate(): Line[] {
    const f = this.f;
    this.loc(f.pos);
    if (f.naked) {
      for (const s of f.body) if (s.k === 'asm') this.lines.push({ k: 'asm', text: s.text, pos: s.pos });
      return this.lines;
    }
    let off = 0;
    for (const l of f.locals) {
      const size = l.storage !== undefined ? Math.ceil(l.storage / 4) * 4 : is64(l.type) ? 8 : 4;
      off += size;
      l.offset = -off;
    }
    this.frame = off;
    const body: Line[] = [];
    const head = this.lines.length;
    for (const s of f.body) this.stmt(s);
    const last = f.body[f.body.length - 1];
    const needRetLabel = this.lines.some((l) => l.k === 'ins' && l.op === 'jmp' && (l.args[0] as { name?: string }).name === '.ret');
    body.push(...this.lines.splice(head));
    // Prologue now that the callee-saved registers in use are known.
    this.ins('push', ebp);
    this.ins('mov', ebp, esp);
    if (this.frame) this.ins('sub', esp, this.frame);
    const saved = [ebx, esi, edi].filter((r) => this.saved.has(r));
    for (const r of saved) this.ins('push', r);
    this.lines.push(...body);
    if (needRetLabel) this.label('.ret');
    else if (last?.k === 'return') { /* falls into the epilogue */ }
    for (const r of [...saved].reverse()) this.ins('pop', r);
    this.ins('leave');
    this.ins('ret');
    return peephole(this.lines);
  }

  // ---- statements ----

  private stmt(s: Stmt): void {
    if (s.k !== 'block') this.loc(s.pos);
    switch (s.k) {
      case 'expr': this.discard(s.e); break;
      case 'block': for (const x of s.body) this.stmt(x); break;
      case 'asm':
        // Inline asm may use any register: keep the callee-saved ones safe for our caller.
        for (const r of [ebx, esi, edi]) this.saved.add(r);
        this.lines.push({ k: 'asm', text: s.text, pos: s.pos });
        break;
      case 'if': {
        const elseL = this.newLabel('else');
        const endL = this.newLabel('endif');
        this.jumpIfFalse(s.cond, s.else ? elseL : endL);
        this.stmt(s.then);
        if (s.else) {
          if (!this.endsInJump()) this.ins('jmp', sym(endL));
          this.label(elseL);
          this.stmt(s.else);
        }
        this.label(endL);
        break;
      }
      case 'while': {
        const top = this.newLabel('while');
        const end = this.newLabel('wend');
        this.label(top);
        this.jumpIfFalse(s.cond, end);
        this.loop(s.body, end, top);
        this.ins('jmp', sym(top));
        this.label(end);
        break;
      }
      case 'do': {
        const top = this.newLabel('do');
        const cont = this.newLabel('dcond');
        const end = this.newLabel('dend');
        this.label(top);
        this.loop(s.body, end, cont);
        this.label(cont);
        this.loc(s.pos);
        this.jumpIfTrue(s.cond, top);
        this.label(end);
        break;
      }
      case 'for': {
        if (s.init) this.stmt(s.init);
        const top = this.newLabel('for');
        const cont = this.newLabel('fnext');
        const end = this.newLabel('fend');
        this.label(top);
        if (s.cond) {
          this.loc(s.pos);
          this.jumpIfFalse(s.cond, end);
        }
        this.loop(s.body, end, cont);
        this.label(cont);
        if (s.step) {
          this.loc(s.stepPos ?? s.pos);
          this.discard(s.step);
        }
        this.ins('jmp', sym(top));
        this.label(end);
        break;
      }
      case 'switch': {
        const end = this.newLabel('send');
        this.gen(s.value);
        const labels = s.cases.map(() => this.newLabel('case'));
        s.cases.forEach((c, i) => {
          for (const v of c.values) {
            this.ins('cmp', eax, num(v));
            this.ins('je', sym(labels[i]));
          }
        });
        const def = s.cases.findIndex((c) => c.isDefault);
        this.ins('jmp', sym(def >= 0 ? labels[def] : end));
        this.breaks.push(end);
        s.cases.forEach((c, i) => {
          this.label(labels[i]);
          for (const x of c.body) this.stmt(x);
        });
        this.breaks.pop();
        this.label(end);
        break;
      }
      case 'break': this.ins('jmp', sym(this.breaks[this.breaks.length - 1])); break;
      case 'continue': this.ins('jmp', sym(this.continues[this.continues.length - 1])); break;
      case 'return':
        if (s.value) this.gen(s.value);
        this.ins('jmp', sym('.ret'));
        this.returned = true;
        break;
    }
  }

  private endsInJump(): boolean {
    const last = this.lines[this.lines.length - 1];
    return last?.k === 'ins' && (last.op === 'jmp' || last.op === 'ret');
  }

  private loop(body: Stmt, brk: string, cont: string): void {
    this.breaks.push(brk);
    this.continues.push(cont);
    this.stmt(body);
    this.breaks.pop();
    this.continues.pop();
  }

  // ---- conditions ----

  private jumpIfFalse(e: Expr, target: string): void {
    this.jumpIf(e, false, target);
  }
  private jumpIfTrue(e: Expr, target: string): void {
    this.jumpIf(e, true, target);
  }

  private jumpIf(e: Expr, when: boolean, target: string): void {
    if (e.k === 'const') {
      if ((e.value !== 0n) === when) this.ins('jmp', sym(target));
      return;
    }
    if (e.k === 'not') return this.jumpIf(e.e, !when, target);
    if (e.k === 'logic') {
      const shortCircuits = (e.op === '&&') !== when; // && jumping on false, || jumping on true
      if (shortCircuits) {
        this.jumpIf(e.a, when, target);
        this.jumpIf(e.b, when, target);
      } else {
        const skip = this.newLabel('sc');
        this.jumpIf(e.a, !when, skip);
        this.jumpIf(e.b, when, target);
        this.label(skip);
      }
      return;
    }
    if (e.k === 'cmp') {
      const cc = this.compare(e);
      this.ins('j' + (when ? cc : INVERSE[cc]), sym(target));
      return;
    }
    this.gen(e);
    if (is64(e.type)) this.ins('or', eax, edx);
    else this.ins('test', eax, eax);
    this.ins(when ? 'jnz' : 'jz', sym(target));
  }

  /** Emits a comparison; returns the condition code that is true when the comparison holds. */
  private compare(e: Extract<Expr, { k: 'cmp' }>): string {
    const t = intOf(e.opType);
    const [scc, ucc] = CC[e.op];
    if (t.bits !== 64) {
      this.gen(e.a);
      const b = this.simple(e.b);
      if (b !== undefined) this.ins('cmp', eax, b);
      else {
        this.ins('push', eax);
        this.gen(e.b);
        this.ins('mov', ecx, eax);
        this.ins('pop', eax);
        this.ins('cmp', eax, ecx);
      }
      return t.signed ? scc : ucc;
    }
    // 64 bits: a on the stack, b in EDX:EAX; sub/sbb chains give correct < and >= flags (CF unsigned, SF!=OF signed).
    this.gen(e.a);
    this.ins('push', edx);
    this.ins('push', eax);
    this.gen(e.b);
    const top = mem({ base: esp });
    const top4 = mem({ base: esp, disp: 4 });
    const lt = t.signed ? 'l' : 'b';
    const ge = t.signed ? 'ge' : 'ae';
    switch (e.op) {
      case '==': case '!=':
        this.ins('xor', eax, top);
        this.ins('xor', edx, top4);
        this.ins('lea', esp, mem({ base: esp, disp: 8 }));
        this.ins('or', eax, edx);
        return e.op === '==' ? 'e' : 'ne';
      case '<': case '>=':
        this.ins('mov', ecx, top);
        this.ins('sub', ecx, eax);
        this.ins('mov', ecx, top4);
        this.ins('sbb', ecx, edx);
        this.ins('lea', esp, mem({ base: esp, disp: 8 }));
        return e.op === '<' ? lt : ge;
      case '>': case '<=':
        this.ins('sub', eax, top);
        this.ins('sbb', edx, top4);
        this.ins('lea', esp, mem({ base: esp, disp: 8 }));
        return e.op === '>' ? lt : ge;
    }
  }

  // ---- expressions ----

  /** An operand for the right-hand side that needs no code: a constant, a symbol address, a 32-bit variable. */
  private simple(e: Expr): Operand | undefined {
    if (is64(e.type)) return undefined;
    if (e.k === 'const') return num(e.value);
    if (e.k === 'symaddr') return sym(e.sym, e.offset);
    if (e.k === 'load' && e.place.k === 'local') return dword(this.localMem(e.place.local));
    if (e.k === 'load' && e.place.k === 'global' && memSize(e.place.type) === 4) return dword(mem({ disp: sym(e.place.sym) }));
    return undefined;
  }

  private localMem(l: Local, extra = 0): Mem {
    return mem({ base: ebp, disp: l.offset + extra });
  }

  /** Value of e in EAX (EDX:EAX for 64-bit), narrow integers extended to 32 bits by their signedness. */
  gen(e: Expr): void {
    switch (e.k) {
      case 'const':
        if (is64(e.type)) {
          const u = BigInt.asUintN(64, e.value);
          this.ins('mov', eax, num(u & 0xffffffffn));
          this.ins('mov', edx, num(u >> 32n));
        } else this.ins('mov', eax, num(e.value));
        return;
      case 'symaddr': this.ins('mov', eax, sym(e.sym, e.offset)); return;
      case 'frameaddr': this.frameAddr(e.local); return;
      case 'load': this.load(e.place); return;
      case 'addr': this.addrOf(e.place); return;
      case 'assign': this.assign(e.place, e.value, true); return;
      case 'update': this.update(e, true); return;
      case 'unary':
        this.gen(e.e);
        if (is64(e.type)) {
          if (e.op === '-') {
            this.ins('neg', eax);
            this.ins('adc', edx, 0);
            this.ins('neg', edx);
          } else {
            this.ins('not', eax);
            this.ins('not', edx);
          }
        } else {
          this.ins(e.op === '-' ? 'neg' : 'not', eax);
          this.normalize(e.type);
        }
        return;
      case 'not':
        this.gen(e.e);
        this.ins('xor', eax, 1);
        return;
      case 'binary':
        this.gen(e.a);
        this.binaryTail(e.op, e.type, e.b);
        return;
      case 'cmp': {
        const cc = this.compare(e);
        this.ins('set' + cc, al);
        this.ins('movzx', eax, al);
        return;
      }
      case 'logic': {
        const end = this.newLabel(e.op === '&&' ? 'and' : 'or');
        this.gen(e.a);
        this.ins('test', eax, eax);
        this.ins(e.op === '&&' ? 'jz' : 'jnz', sym(end));
        this.gen(e.b);
        this.label(end);
        return;
      }
      case 'cond': {
        const elseL = this.newLabel('celse');
        const end = this.newLabel('cend');
        this.jumpIfFalse(e.c, elseL);
        this.gen(e.a);
        this.ins('jmp', sym(end));
        this.label(elseL);
        this.gen(e.b);
        this.label(end);
        return;
      }
      case 'convert': this.gen(e.e); this.convert(e.from, e.type); return;
      case 'call': {
        const n = this.pushArgs(e.args);
        this.ins('call', sym(e.fn));
        if (n) this.ins('add', esp, n);
        return;
      }
      case 'callptr': {
        if (orderMatters([e.target, ...e.args])) {
          // TypeScript evaluates the function before its arguments: keep it in a slot above them.
          this.ins('sub', esp, 4);
          this.gen(e.target);
          this.ins('mov', dword(mem({ base: esp })), eax);
          const n = this.pushArgs(e.args);
          this.ins('call', dword(mem({ base: esp, disp: n })));
          this.ins('add', esp, n + 4);
          return;
        }
        const n = this.pushArgs(e.args);
        this.gen(e.target);
        this.ins('call', eax);
        if (n) this.ins('add', esp, n);
        return;
      }
      case 'intrinsic': this.intrinsic(e); return;
      case 'seq': this.discard(e.a); this.gen(e.b); return;
    }
  }

  /** An expression statement: assignments and updates need not leave their value in EAX. */
  private discard(e: Expr): void {
    if (e.k === 'update') return this.update(e, false);
    if (e.k === 'assign') return this.assign(e.place, e.value, false);
    this.gen(e);
  }

  /**
   * Pushes cdecl arguments; returns their bytes. Each is pushed as it is computed, last first, unless that order could
   * be seen (orderMatters): then the space is reserved and they are computed left to right, as TypeScript does.
   */
  private pushArgs(args: Expr[]): number {
    if (orderMatters(args)) {
      const total = args.reduce((n, a) => n + (is64(a.type) ? 8 : 4), 0);
      this.ins('sub', esp, total);
      let off = 0;
      for (const a of args) {
        const s = this.simple(a);
        if (s !== undefined && typeof s !== 'object') this.ins('mov', dword(mem({ base: esp, disp: off })), s);
        else if (s !== undefined && 'kind' in s && s.kind === 'sym') this.ins('mov', dword(mem({ base: esp, disp: off })), s);
        else {
          this.gen(a);
          this.ins('mov', dword(mem({ base: esp, disp: off })), eax);
          if (is64(a.type)) this.ins('mov', dword(mem({ base: esp, disp: off + 4 })), edx);
        }
        off += is64(a.type) ? 8 : 4;
      }
      return total;
    }
    let bytes = 0;
    for (let i = args.length - 1; i >= 0; i--) {
      const a = args[i];
      const s = this.simple(a);
      if (s !== undefined) this.ins('push', typeof s === 'number' ? s : s);
      else {
        this.gen(a);
        if (is64(a.type)) this.ins('push', edx);
        this.ins('push', eax);
      }
      bytes += is64(a.type) ? 8 : 4;
    }
    return bytes;
  }

  /** Re-extends a narrow integer in EAX after an operation that may have carried out of its width. */
  private normalize(t: KType): void {
    if (t.k !== 'int' || t.bits >= 32) return;
    const src = t.bits === 8 ? al : ax;
    this.ins(t.signed ? 'movsx' : 'movzx', eax, src);
  }

  private convert(from: KType, to: KType): void {
    const f = intOf(from);
    if (to.k === 'bool') {
      if (from.k === 'bool') return;
      if (f.bits === 64) this.ins('or', eax, edx);
      else this.ins('test', eax, eax);
      this.ins('setne', al);
      this.ins('movzx', eax, al);
      return;
    }
    if (to.k !== 'int') return;
    if (to.bits === 64) {
      if (f.bits === 64) return;
      if (f.signed) this.ins('cdq');
      else this.ins('xor', edx, edx);
      return;
    }
    if (to.bits < 32 && (f.bits > to.bits || f.signed !== to.signed)) this.normalize(to);
  }

  // ---- places ----

  private frameAddr(l: Local): void {
    const size = Math.ceil((l.storage ?? 4) / 4) * 4;
    if (size <= 32) {
      for (let i = 0; i < size; i += 4) this.ins('mov', dword(this.localMem(l, i)), 0);
    } else {
      this.saved.add(edi);
      this.ins('lea', edi, this.localMem(l));
      this.ins('xor', eax, eax);
      this.ins('mov', ecx, size / 4);
      this.ins('rep stosd');
    }
    this.ins('lea', eax, this.localMem(l));
  }

  /**
   * A memory operand for a place that stays valid while other code runs: locals, globals and symbol-based memory
   * directly; other memory through an address pushed on the stack (`general`; reload with reloadAddr()).
   */
  private placeMem(p: Place): { m: Mem; general: boolean } {
    if (p.k === 'local') return { m: this.localMem(p.local), general: false };
    if (p.k === 'global') return { m: mem({ disp: sym(p.sym) }), general: false };
    if (p.addr.k === 'symaddr') return { m: mem({ disp: sym(p.addr.sym, p.addr.offset + p.offset) }), general: false };
    if (p.addr.k === 'frameaddr') return { m: this.localMem(p.addr.local, p.offset), general: false };
    this.gen(p.addr);
    this.ins('push', eax);
    return { m: mem({ base: ecx, disp: p.offset }), general: true };
  }

  private reloadAddr(): void {
    this.ins('mov', ecx, mem({ base: esp }));
  }

  private load(p: Place): void {
    if (p.k === 'local') {
      if (is64(p.type)) {
        this.ins('mov', eax, this.localMem(p.local));
        this.ins('mov', edx, this.localMem(p.local, 4));
      } else this.ins('mov', eax, this.localMem(p.local));
      return;
    }
    let m: Mem;
    if (p.k === 'global') m = mem({ disp: sym(p.sym) });
    else if (p.addr.k === 'symaddr') m = mem({ disp: sym(p.addr.sym, p.addr.offset + p.offset) });
    else if (p.addr.k === 'frameaddr') m = this.localMem(p.addr.local, p.offset);
    else if (p.addr.k === 'load' && p.addr.place.k === 'local') {
      // Pointer in a local: load through ECX... keep EAX for the result.
      this.ins('mov', eax, this.localMem(p.addr.place.local));
      m = mem({ base: eax, disp: p.offset });
    } else {
      this.gen(p.addr);
      m = mem({ base: eax, disp: p.offset });
    }
    this.loadFrom(m, p.type);
  }

  private loadFrom(m: Mem, t: KType): void {
    const size = memSize(t);
    const signed = t.k === 'int' && t.signed;
    if (size === 8) {
      this.ins('mov', edx, dword(disp(m, 4)));
      this.ins('mov', eax, dword(m));
    } else if (size === 4) this.ins('mov', eax, dword(m));
    else this.ins(signed ? 'movsx' : 'movzx', eax, sized(m, size));
  }

  private storeTo(m: Mem, t: KType, local: boolean): void {
    const size = local ? (is64(t) ? 8 : 4) : memSize(t);
    if (size === 8) {
      this.ins('mov', dword(m), eax);
      this.ins('mov', dword(disp(m, 4)), edx);
    } else this.ins('mov', sized(m, size), size === 1 ? al : size === 2 ? ax : eax);
  }

  private assign(p: Place, value: Expr, wantValue: boolean): void {
    if (p.k === 'mem' && p.addr.k !== 'symaddr' && p.addr.k !== 'frameaddr') {
      const v = this.simple(value);
      this.gen(p.addr);
      if (v !== undefined && typeof v === 'number' && memSize(p.type) <= 4) {
        // Constant store straight to memory.
        this.ins('mov', sized(mem({ base: eax, disp: p.offset }), memSize(p.type)), v);
        if (wantValue) this.ins('mov', eax, v);
        return;
      }
      this.ins('push', eax);
      this.gen(value);
      this.ins('pop', ecx);
      this.storeTo(mem({ base: ecx, disp: p.offset }), p.type, false);
      return;
    }
    const { m } = this.placeMem(p);
    if (value.k === 'const' && !is64(p.type) && !wantValue) {
      this.ins('mov', sized(m, p.k === 'local' ? 4 : memSize(p.type)), num(value.value));
      return;
    }
    this.gen(value);
    this.storeTo(m, p.type, p.k === 'local');
  }

  private addrOf(p: Place): void {
    if (p.k === 'local') this.ins('lea', eax, this.localMem(p.local));
    else if (p.k === 'global') this.ins('mov', eax, sym(p.sym));
    else {
      this.gen(p.addr);
      if (p.offset) this.ins('add', eax, p.offset);
    }
  }

  /** place op= value (and ++/--): address once, old value, right operand, operation, store. */
  private update(e: Extract<Expr, { k: 'update' }>, wantValue: boolean): void {
    const p = e.place;
    const t = e.type;
    const isLocal = p.k === 'local';
    const size = isLocal ? (is64(t) ? 8 : 4) : memSize(t);
    const narrowLocal = isLocal && intOf(t).bits < 32;
    // Fast path: a constant applied straight to memory (add dword [ebp-8], 1).
    if (!wantValue && e.value.k === 'const' && !is64(t) && !narrowLocal && ['+', '-', '&', '|', '^'].includes(e.op)) {
      const { m, general } = this.placeMem(p);
      if (general) this.reloadAddr();
      const mn = { '+': 'add', '-': 'sub', '&': 'and', '|': 'or', '^': 'xor' }[e.op as '+']!;
      this.ins(mn, sized(m, size), num(e.value.value));
      if (general) this.ins('add', esp, 4);
      return;
    }
    const { m, general } = this.placeMem(p);
    if (general) this.reloadAddr();
    if (isLocal) this.load(p);
    else this.loadFrom(m, t);
    this.binaryTail(e.op, t, e.value);
    if (general) this.reloadAddr();
    this.storeTo(m, t, isLocal);
    if (general) this.ins('add', esp, 4);
    if (wantValue && e.post) {
      // The old value of x++ is the new value minus one, wrapped the same way.
      if (is64(t)) {
        this.ins(e.op === '+' ? 'sub' : 'add', eax, 1);
        this.ins(e.op === '+' ? 'sbb' : 'adc', edx, 0);
      } else {
        this.ins(e.op === '+' ? 'sub' : 'add', eax, 1);
        this.normalize(t);
      }
    }
  }

  // ---- arithmetic ----

  /** EAX (EDX:EAX) op= the value of b, at type t. */
  private binaryTail(op: BinOp, t: KType, b: Expr): void {
    if (is64(t)) return this.binary64(op, t, b);
    const it = intOf(t);
    let x = this.simple(b);
    if (x === undefined || ((op === '/' || op === '%') && typeof x === 'number')) {
      if (x === undefined) {
        this.ins('push', eax);
        this.gen(b);
        this.ins('mov', ecx, eax);
        this.ins('pop', eax);
      } else this.ins('mov', ecx, x);
      x = ecx;
    }
    switch (op) {
      case '+': this.ins('add', eax, x); break;
      case '-': this.ins('sub', eax, x); break;
      case '&': this.ins('and', eax, x); return;
      case '|': this.ins('or', eax, x); return;
      case '^': this.ins('xor', eax, x); return;
      case '*': this.ins('imul', eax, x); break;
      case '/': case '%':
        if (it.signed) {
          this.ins('cdq');
          this.ins('idiv', x);
        } else {
          this.ins('xor', edx, edx);
          this.ins('div', x);
        }
        if (op === '%') this.ins('mov', eax, edx);
        if (!it.signed) return;
        break;
      case '<<': case '>>': case '>>>': {
        const mn = op === '<<' ? 'shl' : op === '>>' && it.signed ? 'sar' : 'shr';
        if (op === '>>>' && it.signed && it.bits < 32) this.ins('movzx', eax, it.bits === 8 ? al : ax);
        if (typeof x === 'number') this.ins(mn, eax, x & 31);
        else {
          if (x !== ecx) this.ins('mov', ecx, x);
          this.ins(mn, eax, cl);
        }
        if (op === '>>' || (op === '>>>' && !it.signed)) return;
        break;
      }
    }
    this.normalize(t);
  }

  private binary64(op: BinOp, t: KType, b: Expr): void {
    const signed = intOf(t).signed;
    if (op === '<<' || op === '>>' || op === '>>>') {
      const helper = op === '<<' ? '__shl64' : op === '>>' && signed ? '__sar64' : '__shr64';
      this.helpers.add(helper);
      if (b.k === 'const') this.ins('mov', ecx, num(b.value));
      else {
        this.ins('push', edx);
        this.ins('push', eax);
        this.gen(b);
        this.ins('mov', ecx, eax);
        this.ins('pop', eax);
        this.ins('pop', edx);
      }
      this.ins('call', sym(helper));
      return;
    }
    const pair: Partial<Record<BinOp, [string, string]>> = { '+': ['add', 'adc'], '-': ['sub', 'sbb'], '&': ['and', 'and'], '|': ['or', 'or'], '^': ['xor', 'xor'] };
    const p = pair[op];
    if (p && b.k === 'const') {
      const u = BigInt.asUintN(64, b.value);
      this.ins(p[0], eax, num(u & 0xffffffffn));
      this.ins(p[1], edx, num(u >> 32n));
      return;
    }
    this.ins('push', edx);
    this.ins('push', eax);
    this.gen(b);
    const top = mem({ base: esp });
    const top4 = mem({ base: esp, disp: 4 });
    if (op === '-') {
      this.ins('sub', dword(top), eax);
      this.ins('sbb', dword(top4), edx);
      this.ins('pop', eax);
      this.ins('pop', edx);
      return;
    }
    if (p) {
      this.ins(p[0], eax, top);
      this.ins(p[1], edx, top4);
      this.ins('add', esp, 8);
      return;
    }
    // *, /, %: helper(b, a) with a pushed first, as cdecl arguments (b_lo, b_hi, a_lo, a_hi).
    const helper = op === '*' ? '__mul64' : `__${signed ? 's' : 'u'}${op === '/' ? 'div' : 'mod'}64`;
    this.helpers.add(helper);
    this.ins('push', edx);
    this.ins('push', eax);
    this.ins('call', sym(helper));
    this.ins('add', esp, 16);
  }

  // ---- intrinsics ----

  private intrinsic(e: Extract<Expr, { k: 'intrinsic' }>): void {
    const a = e.args;
    const sizedReg = (size: number, r: 'a' | 'd') => (size === 1 ? (r === 'a' ? al : dl) : size === 2 ? (r === 'a' ? ax : dx) : r === 'a' ? eax : edx);
    switch (e.name) {
      case 'hypercall': {
        // Computed arguments go through the stack; constants and variables are moved straight into their registers.
        const regs = [ebx, ecx, edx, esi, edi];
        // (a global read after another argument's call could see the call's change: then only stable ones wait)
        const inOrder = orderMatters(a);
        const simple = a.map((x) => (inOrder && !stable(x) ? undefined : this.simple(x)));
        a.forEach((x, i) => {
          if (simple[i] !== undefined) return;
          this.gen(x);
          this.ins('push', eax);
        });
        for (let i = a.length - 1; i >= 0; i--) {
          const r = regs[i];
          if (r === ebx || r === esi || r === edi) this.saved.add(r);
          if (simple[i] === undefined) this.ins('pop', r);
        }
        a.forEach((_, i) => {
          const s = simple[i];
          if (s !== undefined) this.ins('mov', regs[i], s);
        });
        this.ins('call', sym('hypercall_page', e.nr! * 32));
        return;
      }
      case 'barrier': case 'rmb': case 'wmb': return;
      case 'mb': this.ins('lock add', dword(mem({ base: esp })), 0); return;
      case 'breakpoint': this.ins('int3'); return;
      case 'rdtsc': this.ins('rdtsc'); return;
      case 'ffs32': this.gen(a[0]); this.ins('bsf', eax, eax); return;
      case 'xchg': case 'atomic_add': {
        const size = memSize(e.type);
        this.gen(a[0]);
        this.ins('push', eax);
        this.gen(a[1]);
        this.ins('pop', ecx);
        const m = sized(mem({ base: ecx }), size);
        if (e.name === 'xchg') this.ins('xchg', m, sizedReg(size, 'a'));
        else this.ins('lock xadd', m, sizedReg(size, 'a'));
        this.normalize(e.type);
        return;
      }
      case 'cmpxchg': {
        const size = memSize(e.type);
        this.gen(a[0]);
        this.ins('push', eax);
        this.gen(a[1]);
        this.ins('push', eax);
        this.gen(a[2]);
        this.ins('mov', edx, eax);
        this.ins('pop', eax);
        this.ins('pop', ecx);
        this.ins('lock cmpxchg', sized(mem({ base: ecx }), size), sizedReg(size, 'd'));
        this.normalize(e.type);
        return;
      }
      case 'synch_set_bit': case 'synch_clear_bit': case 'synch_test_and_set_bit': case 'synch_test_and_clear_bit': case 'synch_test_bit': {
        this.gen(a[0]);
        this.ins('push', eax);
        this.gen(a[1]);
        this.ins('pop', ecx);
        const m = dword(mem({ base: eax }));
        const op = e.name === 'synch_test_bit' ? 'bt' : e.name.includes('set') ? 'lock bts' : 'lock btr';
        this.ins(op, m, ecx);
        if (e.name.includes('test')) {
          this.ins('setc', al);
          this.ins('movzx', eax, al);
        }
        return;
      }
    }
    throw new InternalError(`no code for intrinsic ${e.name}`);
  }
}

/** Small clean-ups that keep the listing honest: drop a jump to the very next label, and push/pop pairs into a mov. */
function peephole(lines: Line[]): Line[] {
  const out: Line[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.k === 'ins' && l.op === 'jmp' && typeof l.args[0] === 'object' && 'name' in l.args[0]) {
      // jmp .x where only labels/locs separate it from .x
      let j = i + 1;
      let hit = false;
      while (j < lines.length && (lines[j].k === 'label' || lines[j].k === 'loc')) {
        if (lines[j].k === 'label' && (lines[j] as { name: string }).name === (l.args[0] as { name: string }).name) hit = true;
        j++;
      }
      if (hit) continue;
    }
    out.push(l);
  }
  return out;
}

export { memSize };
export const registers = { eax, ecx, edx, ebx, esi, edi, esp, ebp };
export type { Register };
export const cmpOps = CC;
void cl;
