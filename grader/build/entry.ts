// The build child: compiles one kernel and writes only its results into the output folder.
// Runs under Node's permission model (reads: the kit's kernel library and the submission; writes: the output folder),
// bundled into one .mjs by grader/build/isolated.ts. Input is one JSON argument; see BuildJob.
import fs from 'node:fs';
import path from 'node:path';
import { compileKernel } from '../../minios/lang/index.js';

export interface BuildJob {
  files: string[];
  kernelDir: string;
  allowedRoots: string[];
  outDir: string;
}

function main(): number {
  const job = JSON.parse(process.argv[2] ?? '{}') as BuildJob;
  const result = compileKernel({ files: job.files, kitRoot: job.kernelDir, allowedRoots: job.allowedRoots });
  if (result.ok) {
    fs.writeFileSync(path.join(job.outDir, 'kernel.elf'), result.elf);
    fs.writeFileSync(path.join(job.outDir, 'result.json'), JSON.stringify({ ok: true }));
  } else {
    fs.writeFileSync(path.join(job.outDir, 'result.json'), JSON.stringify({ ok: false, diagnostics: result.diagnostics.slice(0, 50) }));
  }
  return 0;
}

process.exitCode = main();
