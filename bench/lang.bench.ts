// Compiling and assembling kernels: parse, check, generate, assemble, link, ELF. First the demo kernel as
// `xenlab build minios/kernel/demo/demo.ts` builds it (what it imports of the library, unused functions pruned), then
// the whole Mini-OS library (every minios/kernel module, nothing pruned). Prints the first (cold) build and the
// median of warm builds; the target is well under a second for the demo kernel.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileKernel, formatDiagnostic, type CompileOptions } from '../minios/lang/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kernelDir = path.join(root, 'minios/kernel');

function build(opts: CompileOptions) {
  const t0 = performance.now();
  const r = compileKernel(opts);
  const ms = performance.now() - t0;
  if (!r.ok) {
    for (const d of r.diagnostics) console.error(formatDiagnostic(d));
    process.exit(1);
  }
  return { ms, r };
}

function measure(label: string, opts: CompileOptions, sources: string[]) {
  const cold = build(opts);
  const warm: number[] = [];
  for (let i = 0; i < 10; i++) warm.push(build(opts).ms);
  warm.sort((a, b) => a - b);
  const text = cold.r.image.sections.find((s) => s.name === '.text')!;
  const lines = sources.reduce((n, f) => n + fs.readFileSync(f, 'utf8').split('\n').length, 0);
  console.log(`${label}: ${sources.length} files, ${lines} source lines -> ${text.size} bytes of code, ELF ${cold.r.elf.length} bytes`);
  console.log(`  compile+assemble+link: cold ${cold.ms.toFixed(1)} ms, warm median ${warm[5].toFixed(1)} ms (min ${warm[0].toFixed(1)} ms)`);
  return cold.ms;
}

// The demo kernel, as `xenlab build` compiles it (cli/build.ts: the file's folder and the kit library allowed).
const demo = path.join(kernelDir, 'demo/demo.ts');
const libraryFiles = fs.readdirSync(kernelDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => path.join(kernelDir, f));
const demoOpts: CompileOptions = { files: [demo], kitRoot: root, allowedRoots: [kernelDir, path.dirname(demo)] };
const demoSources = [demo, ...libraryFiles.filter((f) => fs.readFileSync(demo, 'utf8').includes(`"minios/${path.basename(f, '.ts')}"`))];
const demoCold = measure('demo kernel', demoOpts, demoSources);
measure('demo kernel with --listing', { ...demoOpts, listing: true }, demoSources);

// The whole library, with a start_kernel of its own if the library has none.
const hasStart = libraryFiles.some((f) => /function start_kernel\b/.test(fs.readFileSync(f, 'utf8')));
const files = [...libraryFiles, ...(hasStart ? [] : [path.join(root, 'minios/lang/fixtures/bench-start.kernel.ts')])];
measure('whole library', { files, kitRoot: root, allowedRoots: [kernelDir, path.join(root, 'minios/lang/fixtures')] }, files);

if (demoCold >= 1000) {
  console.error(`the demo kernel took ${demoCold.toFixed(0)} ms to build cold: the target is well under a second`);
  process.exit(1);
}
