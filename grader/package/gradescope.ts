// The Gradescope autograder package: the kit (with hidden checks, without reference or wrong solutions), setup.sh
// that installs Node 20 and the kit's dependencies, and run_autograder that grades /autograder/submission into
// /autograder/results/results.json.
import fs from 'node:fs';
import path from 'node:path';
import { KIT_ROOT } from '../paths.js';
import { kitFiles } from './kitfiles.js';
import { writeZip, type ZipEntry } from './zip.js';

export const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  apt-get update
  apt-get install -y ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y nodejs
fi
cd /autograder/source
npm ci --omit=dev --no-audit --no-fund
`;

/**
 * run_autograder: grades the submission and always leaves a results.json. AUTOGRADER_ROOT (default /autograder)
 * lets a test run it in a temporary folder laid out the same way.
 */
export const RUN_AUTOGRADER = `#!/usr/bin/env bash
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
args=(grade --submission "$ROOT/submission" --gradescope "$ROOT/results/results.json" --json "$ROOT/results/report.json")
if [ -n "\${XENLAB_SEED:-}" ]; then args+=(--seed "$XENLAB_SEED"); fi
NO_COLOR=1 node bin/xenlab.js "\${args[@]}"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  cat > "$ROOT/results/results.json" <<JSON
{"score": 0, "output": "The grader could not grade this submission (exit status $status). Check that you uploaded the exercise folders (e.g. 01-hello/kernel/hello.ts) and tell your instructor if this persists.", "tests": []}
JSON
fi
exit 0
`;

export function gradescopeEntries(root = KIT_ROOT): ZipEntry[] {
  const entries: ZipEntry[] = [
    { name: 'setup.sh', data: Buffer.from(SETUP_SH), mode: 0o755 },
    { name: 'run_autograder', data: Buffer.from(RUN_AUTOGRADER), mode: 0o755 },
  ];
  for (const rel of kitFiles('gradescope', root)) {
    entries.push({ name: `source/${rel}`, data: fs.readFileSync(path.join(root, rel)), mode: rel === 'bin/xenlab.js' ? 0o755 : 0o644 });
  }
  return entries;
}

export function writeGradescopeZip(outFile: string, root = KIT_ROOT): { entries: number; bytes: number } {
  const entries = gradescopeEntries(root);
  const zip = writeZip(entries);
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(outFile, zip);
  return { entries: entries.length, bytes: zip.length };
}
