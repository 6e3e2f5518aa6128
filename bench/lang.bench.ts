// Compiling and assembling the Mini-OS library (every minios/kernel module) into a kernel: parse, check, generate,
// assemble, link, ELF. Prints the first (cold) build and the median of warm builds.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileKernel, formatDiagnostic } from '../minios/lang/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kernelDir = path.join(root, 'minios/kernel');
const modules = fs.readdirSync(kernelDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => path.join(kernelDir, f));
// A kernel that pulls in every library module, with a start_kernel of its own if the library has none.
const hasStart = modules.some((f) => /function start_kernel\b/.test(fs.readFileSync(f, 'utf8')));
const extra = hasStart ? [] : [path.join(root, 'minios/lang/fixtures/bench-start.kernel.ts')];
const files = [...modules, ...extra];

function build() {
  const t0 = performance.now();
  const r = compileKernel({ files, kitRoot: root, allowedRoots: [kernelDir, path.join(root, 'minios/lang/fixtures')] });
  const ms = performance.now() - t0;
  if (!r.ok) {
    for (const d of r.diagnostics) console.error(formatDiagnostic(d));
    process.exit(1);
  }
  return { ms, r };
}

const cold = build();
const warm: number[] = [];
for (let i = 0; i < 10; i++) warm.push(build().ms);
warm.sort((a, b) => a - b);
const lines = files.reduce((n, f) => n + fs.readFileSync(f, 'utf8').split('\n').length, 0);
const text = cold.r.image.sections.find((s) => s.name === '.text')!;
console.log(`library: ${files.length} files, ${lines} source lines -> ${text.size} bytes of code, ELF ${cold.r.elf.length} bytes`);
console.log(`compile+assemble+link: cold ${cold.ms.toFixed(1)} ms, warm median ${warm[5].toFixed(1)} ms (min ${warm[0].toFixed(1)} ms)`);
