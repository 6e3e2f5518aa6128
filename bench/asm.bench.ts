// Assembler speed: a large generated program through the TS calls and through the nasm-syntax parser, then link + ELF.
import { Assembler, eax, ebx, ecx, edx, esi, edi, ebp, esp, mem, dword, byte, sym, writeElf32 } from '../minios/asm/index.js';
import { generateCases } from '../minios/asm/tests/generate.js';

const N = 200_000;

function viaCalls(): Assembler {
  const a = new Assembler({ file: 'bench.ts' });
  a.section('.text');
  for (let i = 0; i < N / 10; i++) {
    a.label(`f${i}`);
    a.loc('bench.ts', i + 1);
    a.push(ebp);
    a.mov(ebp, esp);
    a.mov(eax, dword(mem({ base: ebp, disp: 8 })));
    a.add(eax, 12);
    a.cmp(eax, ecx);
    a.jne(sym(`.skip`));
    a.movzx(edx, byte(mem({ base: esi, index: ecx, scale: 1 })));
    a.label('.skip');
    a.imul(edi, ebx, 100);
    a.call(sym(`f${(i * 7) % (N / 10)}`));
    a.ret();
  }
  return a;
}

function viaText(): Assembler {
  const lines: string[] = [];
  for (let i = 0; i < N / 10; i++) {
    lines.push(`f${i}:`, '  push ebp', '  mov ebp, esp', '  mov eax, [ebp+8]', '  add eax, 12', '  cmp eax, ecx', '  jne .skip',
      '  movzx edx, byte [esi+ecx]', '.skip:', '  imul edi, ebx, 100', `  call f${(i * 7) % (N / 10)}`, '  ret');
  }
  const a = new Assembler({ file: 'bench.asm' });
  a.text(lines.join('\n'));
  return a;
}

/** CPU seconds (user + system) of this process: steadier than wall time on a shared machine. */
function time<T>(fn: () => T): [T, number] {
  const t0 = process.cpuUsage();
  const r = fn();
  const u = process.cpuUsage(t0);
  return [r, (u.user + u.system) / 1e6];
}

viaCalls(); // warm up
const [a1, tCalls] = time(viaCalls);
const [img, tLink] = time(() => a1.link({ base: 0 }));
const [elf, tElf] = time(() => writeElf32(img, { entry: 'f0' }));
const [, tText] = time(viaText);
const size = img.sections[0].size;
console.log(`instructions:            ${N} (rates in CPU time)`);
console.log(`TS calls:                ${(N / tCalls / 1e6).toFixed(2)} M instructions/s (${(tCalls * 1000).toFixed(0)} ms)`);
console.log(`nasm-syntax text():      ${(N / tText / 1e6).toFixed(2)} M instructions/s (${(tText * 1000).toFixed(0)} ms)`);
console.log(`link (branch sizing):    ${(tLink * 1000).toFixed(0)} ms for ${size} bytes`);
console.log(`writeElf32:              ${(tElf * 1000).toFixed(0)} ms for ${elf.length} bytes`);

// Every operand form of the table (the nasm oracle's cases), to see the rate over the whole instruction set.
const forms = generateCases((mn) => !/^(loop|jecxz|jcxz)/.test(mn));
const ROUNDS = 10;
const [, tForms] = time(() => {
  for (let r = 0; r < ROUNDS; r++) {
    const a = new Assembler();
    a.label('tgt');
    for (const c of forms) a.ins(c.mn, ...c.ops);
    a.link({ base: 0 });
  }
});
const formText = ['tgt:', ...forms.map((c) => c.line)].join('\n');
const [, tFormText] = time(() => {
  for (let r = 0; r < ROUNDS; r++) new Assembler().text(formText);
});
const nForms = forms.length * ROUNDS;
console.log(`all ${forms.length} forms, TS calls + link: ${(nForms / tForms / 1e6).toFixed(2)} M instructions/s`);
console.log(`all ${forms.length} forms, text():      ${(nForms / tFormText / 1e6).toFixed(2)} M instructions/s`);
