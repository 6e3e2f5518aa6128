// Random function bodies (assignments, compound assignments, ++/--, if/else, for and do/while loops with break and
// continue, switch with fallthrough) over two local variables at each integer type, compiled and run on the machine
// and interpreted here with BigInt. Seeded (XENLAB_FUZZ_SEED=n for another seed); XENLAB_FUZZ_LONG=1 runs many more.
import { describe, expect, it } from 'vitest';
import { edge, evaluate, gen, rng, text, types, words, wrap, type Node, type T } from './exprgen.js';
import { KernelRunner } from './machine.js';

type Stmt =
  | { k: 'set'; v: number; e: Node }
  | { k: 'op'; v: number; op: string; e: Node }
  | { k: 'inc'; v: number; dec: boolean; post: boolean }
  | { k: 'if'; a: Node; cmp: string; b: Node; then: Stmt[]; else: Stmt[] }
  | { k: 'loop'; kind: 'for' | 'do'; n: number; body: Stmt[] }
  | { k: 'break'; a: Node; cmp: string; b: Node; cont: boolean }
  | { k: 'switch'; e: Node; cases: { values: number[]; body: Stmt[]; brk: boolean }[]; def: Stmt[] };

const X = 3, Y = 4; // indexes of x and y among the variables (a, b, c are parameters)
const CMP = ['==', '!=', '<', '<=', '>', '>='];

function genStmts(t: T, r: (n: number) => number, depth: number, inLoop: boolean, n: number): Stmt[] {
  const out: Stmt[] = [];
  for (let i = 0; i < n; i++) out.push(genStmt(t, r, depth, inLoop));
  return out;
}

function genStmt(t: T, r: (n: number) => number, depth: number, inLoop: boolean): Stmt {
  const e = () => gen(t, t, r, 2, 5);
  const v = X + r(2);
  const pick = depth > 0 ? r(inLoop ? 9 : 8) : r(3);
  switch (pick) {
    case 0: return { k: 'set', v, e: e() };
    case 1: return { k: 'op', v, op: ['+', '-', '*', '&', '|', '^', '<<', '>>', '>>>', '/', '%'][r(11)], e: e() };
    case 2: return { k: 'inc', v, dec: r(2) === 1, post: r(2) === 1 };
    case 3: case 4: return { k: 'if', a: e(), cmp: CMP[r(6)], b: e(), then: genStmts(t, r, depth - 1, inLoop, 1 + r(2)), else: r(2) ? genStmts(t, r, depth - 1, inLoop, 1 + r(2)) : [] };
    case 5: case 6: return { k: 'loop', kind: r(2) ? 'for' : 'do', n: 1 + r(4), body: genStmts(t, r, depth - 1, true, 1 + r(3)) };
    case 7: {
      const used = new Set<number>();
      const cases = Array.from({ length: 1 + r(3) }, () => {
        const values = [r(5)].filter((x) => !used.has(x));
        values.forEach((x) => used.add(x));
        return { values, body: genStmts(t, r, depth - 1, inLoop, 1 + r(2)), brk: r(3) !== 0 };
      }).filter((c) => c.values.length);
      return { k: 'switch', e: e(), cases, def: r(2) ? genStmts(t, r, depth - 1, inLoop, 1) : [] };
    }
    default: return { k: 'break', a: e(), cmp: CMP[r(6)], b: e(), cont: r(3) === 0 };
  }
}

/** `a < b` is written `b > a` (TypeScript would read `<(` as type parameters). */
const cond = (t: T, a: Node, cmp: string, b: Node) => (cmp === '<' ? `${text(t, b)} > ${text(t, a)}` : `${text(t, a)} ${cmp} ${text(t, b)}`);
const lit = (t: T, v: bigint) => (t.bits === 64 ? `${t.name}(${v}n)` : `${t.name}(${v})`);

function src(t: T, ss: Stmt[], ind: string, loopDepth: number): string {
  const name = (v: number) => 'abcxyz'[v];
  return ss.map((s) => {
    switch (s.k) {
      case 'set': return `${ind}${name(s.v)} = ${text(t, s.e)};\n`;
      case 'op':
        if (s.op === '/' || s.op === '%') return `${ind}${name(s.v)} ${s.op}= (${text(t, s.e)} & ${lit(t, 7n)}) + ${lit(t, 2n)};\n`;
        return `${ind}${name(s.v)} ${s.op}= ${text(t, s.e)};\n`;
      case 'inc': return `${ind}${s.post ? name(s.v) + (s.dec ? '--' : '++') : (s.dec ? '--' : '++') + name(s.v)};\n`;
      case 'if': return `${ind}if (${cond(t, s.a, s.cmp, s.b)}) {\n${src(t, s.then, ind + '  ', loopDepth)}${ind}}${s.else.length ? ` else {\n${src(t, s.else, ind + '  ', loopDepth)}${ind}}` : ''}\n`;
      case 'loop': {
        const i = `i${loopDepth}`;
        if (s.kind === 'for') return `${ind}for (let ${i}: u32 = 0; ${s.n} > ${i}; ${i}++) {\n${src(t, s.body, ind + '  ', loopDepth + 1)}${ind}}\n`;
        return `${ind}{\n${ind}  let ${i}: u32 = 0;\n${ind}  do {\n${src(t, s.body, ind + '    ', loopDepth + 1)}${ind}  } while (${s.n} > ++${i});\n${ind}}\n`;
      }
      case 'break': return `${ind}if (${cond(t, s.a, s.cmp, s.b)}) ${s.cont ? 'continue' : 'break'};\n`;
      case 'switch': {
        let out = `${ind}switch (u32(${text(t, s.e)}) & 7) {\n`;
        for (const c of s.cases) out += c.values.map((v) => `${ind}  case ${v}:\n`).join('') + src(t, c.body, ind + '    ', loopDepth) + (c.brk ? `${ind}    break;\n` : '');
        if (s.def.length) out += `${ind}  default:\n${src(t, s.def, ind + '    ', loopDepth)}`;
        return out + `${ind}}\n`;
      }
    }
  }).join('');
}

class Break extends Error {}
class Continue extends Error {}

function run(t: T, ss: Stmt[], env: bigint[]): void {
  const test = (a: Node, cmp: string, b: Node) => {
    const x = evaluate(t, a, env), y = evaluate(t, b, env);
    return { '==': x === y, '!=': x !== y, '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y }[cmp]!;
  };
  for (const s of ss) {
    switch (s.k) {
      case 'set': env[s.v] = evaluate(t, s.e, env); break;
      case 'op': {
        const a = env[s.v];
        let b = evaluate(t, s.e, env);
        const count = BigInt.asUintN(32, b) & (t.bits === 64 ? 63n : 31n);
        if (s.op === '/' || s.op === '%') b = wrap(t, (b & 7n) + 2n);
        env[s.v] = wrap(t, {
          '+': () => a + b, '-': () => a - b, '*': () => a * b, '&': () => a & b, '|': () => a | b, '^': () => a ^ b,
          '<<': () => a << count, '>>': () => a >> count, '>>>': () => BigInt.asUintN(t.bits, a) >> count, '/': () => a / b, '%': () => a % b,
        }[s.op]!());
        break;
      }
      case 'inc': env[s.v] = wrap(t, env[s.v] + (s.dec ? -1n : 1n)); break;
      case 'if': run(t, test(s.a, s.cmp, s.b) ? s.then : s.else, env); break;
      case 'loop':
        for (let i = 0; i < s.n; i++) {
          try { run(t, s.body, env); } catch (e) {
            if (e instanceof Break) break;
            if (!(e instanceof Continue)) throw e; // continue: the for step or the do/while test, then on
          }
        }
        break;
      case 'break': if (test(s.a, s.cmp, s.b)) throw s.cont ? new Continue() : new Break(); break;
      case 'switch': {
        const v = Number(BigInt.asUintN(32, evaluate(t, s.e, env)) & 7n);
        let at = s.cases.findIndex((c) => c.values.includes(v));
        if (at < 0 && !s.def.length) break;
        const bodies = [...s.cases.map((c) => ({ body: c.body, brk: c.brk })), { body: s.def, brk: true }];
        if (at < 0) at = bodies.length - 1;
        // a break inside a switch leaves the switch (as in C), even inside a loop
        try {
          for (let i = at; i < bodies.length; i++) {
            run(t, bodies[i].body, env);
            if (bodies[i].brk) break;
          }
        } catch (e) { if (!(e instanceof Break)) throw e; }
        break;
      }
    }
  }
}

describe('random statements: machine and BigInt interpreter agree', () => {
  const perType = process.env.XENLAB_FUZZ_LONG ? 200 : 15;
  for (const t of types) {
    it(`${perType} function bodies over ${t.name}`, () => {
      const r = rng(Number(process.env.XENLAB_FUZZ_SEED ?? 0xb0d1e5) + t.bits * 5 + (t.signed ? 1 : 0));
      const cases = Array.from({ length: perType }, () => ({ body: genStmts(t, r, 3, false, 2 + r(4)), env: [edge(t, r), edge(t, r), edge(t, r)], y0: edge(t, r) }));
      let source = '';
      cases.forEach(({ body, y0 }, i) => {
        source += `export function f${i}(a: ${t.name}, b: ${t.name}, c: ${t.name}): ${t.name} {\n  let x: ${t.name} = a;\n  let y: ${t.name} = ${lit(t, y0)};\n${src(t, body, '  ', 0)}  return x - y * ${lit(t, 7n)};\n}\n`;
      });
      const k = KernelRunner.of({ [`stmts_${t.name}.ts`]: source });
      const failures: string[] = [];
      cases.forEach(({ body, env, y0 }, i) => {
        const vars = [...env, env[0], y0];
        run(t, body, vars);
        const want = wrap(t, vars[X] - vars[Y] * 7n);
        const { eax, edx } = k.call(`f${i}`, env.flatMap((v) => words(t, v)), 5_000_000);
        const got = t.bits === 64 ? wrap(t, (BigInt(edx >>> 0) << 32n) | BigInt(eax >>> 0)) : wrap(t, BigInt(eax >>> 0));
        if (got !== want) failures.push(`f${i}(${env.join(', ')}) = ${got}, want ${want}:\n${src(t, body, '  ', 0)}`);
      });
      expect(failures.slice(0, 3)).toEqual([]);
    });
  }
});
