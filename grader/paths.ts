// Where the kit lives on disk. Everything the grader reads is found from here, so a hand-out laid out the same way works.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The kit's root folder (holding package.json, minios/, exercises/, grader/). */
export const KIT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function kitPath(...parts: string[]): string {
  return path.join(KIT_ROOT, ...parts);
}

/** The kit's version from package.json, printed in every report. */
export function kitVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(kitPath('package.json'), 'utf8')) as { name?: string; version?: string };
    return `${pkg.name ?? 'xenlab'}@${pkg.version ?? '0.0.0'}`;
  } catch {
    return 'xenlab@unknown';
  }
}
