// Random expression trees at each integer type (with explicit conversions from every type and implicitly widened
// narrower operands inside), three ways: compiled and run on the machine with the operands as
// parameters, folded by the compiler with the operands as typed constants, and evaluated here with BigInt at the
// type's width (the language's rules: every operation at its operands' type, shifts at the left operand's type with
// the count masked as the x86 masks it). Seeded (XENLAB_FUZZ_SEED=n for another seed); XENLAB_FUZZ_LONG=1 runs many
// more.
import { describe, expect, it } from 'vitest';
import { edge, evaluate, gen, rng, text, types, words, wrap, VARS } from './exprgen.js';
import { KernelRunner } from './machine.js';


describe('random expressions: machine, constant folding and BigInt agree', () => {
  const perType = process.env.XENLAB_FUZZ_LONG ? 400 : 40;
  for (const t of types) {
    it(`${perType} expressions over ${t.name}`, () => {
      const r = rng(Number(process.env.XENLAB_FUZZ_SEED ?? 0x5eed) + t.bits * 3 + (t.signed ? 1 : 0));
      const cases = Array.from({ length: perType }, () => ({ tree: gen(t, t, r, 4), env: [edge(t, r), edge(t, r), edge(t, r)] }));
      let src = '';
      cases.forEach(({ tree, env }, i) => {
        const body = text(t, tree);
        src += `export function run${i}(a: ${t.name}, b: ${t.name}, c: ${t.name}): ${t.name} { return ${body}; }\n`;
        const consts = env.map((v, j) => `const ${VARS[j]}: ${t.name} = ${t.bits === 64 ? `${t.name}(${v}n)` : `${t.name}(${v})`};`).join(' ');
        src += `export function fold${i}(): ${t.name} { ${consts} return ${body}; }\n`;
      });
      const k = KernelRunner.of({ [`fuzz_${t.name}.ts`]: src });
      const failures: string[] = [];
      const got = (eax: number, edx: number) => (t.bits === 64 ? wrap(t, (BigInt(edx >>> 0) << 32n) | BigInt(eax >>> 0)) : wrap(t, BigInt(eax >>> 0)));
      cases.forEach(({ tree, env }, i) => {
        const want = evaluate(t, tree, env);
        const run = k.call(`run${i}`, env.flatMap((v) => words(t, v)));
        const fold = k.call(`fold${i}`);
        const a = got(run.eax, run.edx), f = got(fold.eax, fold.edx);
        if (a !== want || f !== want) failures.push(`${text(t, tree)} with a=${env[0]} b=${env[1]} c=${env[2]}: machine ${a}, folded ${f}, want ${want}`);
      });
      expect(failures.slice(0, 5)).toEqual([]);
    });
  }
});
