// The student hand-out: a standalone npm project with the kit, the exercises' starters and public checks, and
// `xenlab grade` running those checks; no reference solution, wrong solution or hidden check.
import fs from 'node:fs';
import path from 'node:path';
import { KIT_ROOT } from '../paths.js';
import { EMPTY_HIDDEN_CHECKS, kitFiles } from './kitfiles.js';

export interface HandoutResult {
  files: number;
  bytes: number;
}

const HANDOUT_README = `# xenlab: student hand-out

A kernel-development kit for learning operating systems on Xen's paravirtual interface.

    npm ci                       # once
    npx xenlab grade 01          # build, boot and check exercise 01
    npx xenlab build exercises/01-hello/kernel/hello.ts -o hello.elf   # compile a kernel
    npx xenlab run hello.elf     # boot a kernel you built

Each exercise lives in \`exercises/NN-name/\`: read its README.md, edit the files under its \`kernel/\` folder, and grade
it with \`npx xenlab grade NN\`. \`npx vitest run exercises/NN-name\` runs the same public checks as a test.
Your instructor may grade further (hidden) checks on the same run.
`;

export function writeHandout(outDir: string, root = KIT_ROOT): HandoutResult {
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) {
    throw new Error(`'${outDir}' exists and is not empty; give a new or empty folder`);
  }
  let files = 0, bytes = 0;
  const put = (rel: string, data: Buffer | string) => {
    const dest = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, data);
    files++;
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  };
  for (const rel of kitFiles('handout', root)) {
    if (rel === 'README.md') continue;
    put(rel, fs.readFileSync(path.join(root, rel)));
    if (rel === 'bin/xenlab.js') fs.chmodSync(path.join(outDir, rel), 0o755);
  }
  put('grader/checks/index.ts', EMPTY_HIDDEN_CHECKS);
  put('README.md', HANDOUT_README);
  put('.gitignore', 'node_modules/\n');
  return { files, bytes };
}
