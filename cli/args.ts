// A small, strict option parser: every command declares its options, and a
// typo or a missing value is a clear one-line error (exit status 2).

export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpec = Record<string, 'string' | 'boolean' | 'strings'>;

export interface Parsed {
  positionals: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestScore) { bestScore = d; best = c; }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function parseArgs(command: string, argv: string[], spec: OptionSpec): Parsed {
  const positionals: string[] = [];
  const options: Parsed['options'] = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('--')) { positionals.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) {
      const hint = closest(name, Object.keys(spec));
      throw new UsageError(`xenlab ${command}: unknown option --${name}` + (hint ? ` (did you mean --${hint}?)` : '') +
        `; options: ${Object.keys(spec).map((k) => '--' + k).join(' ') || 'none'}`);
    }
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`xenlab ${command}: --${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`xenlab ${command}: --${name} needs a value`);
      i++;
    }
    if (kind === 'strings') {
      const list = (options[name] as string[] | undefined) ?? [];
      list.push(value);
      options[name] = list;
    } else options[name] = value;
  }
  return { positionals, options };
}

/** A whole number in a range, from decimal, 0x hex or with a k/M/G suffix (for budgets). */
export function parseCount(command: string, option: string, text: string, min: number, max: number): number {
  const m = /^(0x[0-9a-f]+|\d+(?:\.\d+)?)([kmg]?)$/i.exec(text.replace(/_/g, ''));
  if (!m) throw new UsageError(`xenlab ${command}: --${option} expects a number, got '${text}'`);
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * scale;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`xenlab ${command}: --${option} must be a whole number from ${min} to ${max}, got '${text}'`);
  }
  return n;
}

/**
 * `npm run` runs a script from the package's top folder, not from where it was typed (which npm keeps in INIT_CWD).
 * A relative path that is missing may be one the user meant from there: this says so, or is empty.
 */
export function npmCwdNote(file: string): string {
  const typedIn = process.env.INIT_CWD;
  if (!typedIn || file.startsWith('/') || typedIn === process.cwd()) return '';
  return ` (npm run runs xenlab from ${process.cwd()}, not from ${typedIn} where you typed it: give the path from the kit's top folder, or use npx xenlab)`;
}
