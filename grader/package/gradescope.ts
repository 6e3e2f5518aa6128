// The Gradescope autograder package: the kit (with hidden checks, without reference or wrong solutions), setup.sh
// that installs Node 20 (unless the image has 20.19 or newer) and the kit's dependencies, and run_autograder that
// grades /autograder/submission into /autograder/results/results.json.
import fs from 'node:fs';
import path from 'node:path';
import { KIT_ROOT } from '../paths.js';
import { kitFiles } from './kitfiles.js';
import { writeZip, type ZipEntry } from './zip.js';

export const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# The kit needs Node 20.19 or newer (package.json engines); an older image Node is replaced by NodeSource's 20.x.
if ! command -v node >/dev/null || ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  apt-get update
  apt-get install -y ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y nodejs
fi
cd /autograder/source
npm ci --omit=dev --no-audit --no-fund
`;

export interface AutograderOptions {
  /** Exercises this assignment grades ('01', '01-hello', ...); all of the course when empty. */
  exercises?: string[];
  /** A fixed seed for the term (XENLAB_SEED in the environment overrides it). */
  seed?: number;
}

const shellWord = (s: string) => (/^[A-Za-z0-9._-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * run_autograder: grades the submission and always leaves a results.json. AUTOGRADER_ROOT (default /autograder)
 * lets a test run it in a temporary folder laid out the same way.
 */
export function runAutograderScript(opts: AutograderOptions = {}): string {
  const exercises = (opts.exercises ?? []).map(shellWord).join(' ');
  return `#!/usr/bin/env bash
# Gradescope runs this for every submission; written by \`xenlab gradescope\`.
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
SEED="\${XENLAB_SEED:-${opts.seed ?? ''}}"
args=(grade ${exercises ? `${exercises} ` : ''}--submission "$ROOT/submission" --gradescope "$ROOT/results/results.json" --json "$ROOT/results/report.json")
if [ -n "$SEED" ]; then args+=(--seed "$SEED"); fi
NO_COLOR=1 node bin/xenlab.js "\${args[@]}"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  cat > "$ROOT/results/results.json" <<JSON
{"score": 0, "output": "The grader could not grade this submission (exit status $status). Check that you uploaded the exercise folders (e.g. 01-hello/kernel/hello.ts) and tell your instructor if this persists.", "tests": []}
JSON
fi
exit 0
`;
}

/** The default script: every exercise of the course, each at its own seeds. */
export const RUN_AUTOGRADER = runAutograderScript();

export function gradescopeEntries(root = KIT_ROOT, opts: AutograderOptions = {}): ZipEntry[] {
  const entries: ZipEntry[] = [
    { name: 'setup.sh', data: Buffer.from(SETUP_SH), mode: 0o755 },
    { name: 'run_autograder', data: Buffer.from(runAutograderScript(opts)), mode: 0o755 },
  ];
  for (const rel of kitFiles('gradescope', root)) {
    entries.push({ name: `source/${rel}`, data: fs.readFileSync(path.join(root, rel)), mode: rel === 'bin/xenlab.js' ? 0o755 : 0o644 });
  }
  return entries;
}

export function writeGradescopeZip(outFile: string, root = KIT_ROOT, opts: AutograderOptions = {}): { entries: number; bytes: number } {
  const entries = gradescopeEntries(root, opts);
  const zip = writeZip(entries);
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(outFile, zip);
  return { entries: entries.length, bytes: zip.length };
}
