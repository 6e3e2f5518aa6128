// xl-style domain configuration files (xl.cfg): `key = value` lines, values
// are "strings", 'strings', integers or [ lists ] that may span lines, `#`
// starts a comment. Parsed into raw values with line numbers, then checked
// with zod; every problem is reported as FILE:LINE: what is wrong, and an
// unknown key that looks like a known one gets "did you mean ...".
import { z } from 'zod';

export type RawValue = string | number | RawValue[];
export interface RawEntry { key: string; value: RawValue; line: number }

export interface DiskSpec { target: string; vdev: string; mode: 'r' | 'w'; format: 'raw' }

export interface DomainConfig {
  name: string;
  kernel: string;
  memory: number;
  cmdline: string;
  disks: DiskSpec[];
  onCrash: 'destroy' | 'restart' | 'preserve' | 'coredump-destroy' | 'coredump-restart';
  onPoweroff: 'destroy' | 'restart' | 'preserve';
  onReboot: 'destroy' | 'restart' | 'preserve';
  vcpus: number;
  /** Where the file was read from, for messages and for resolving relative paths. */
  file: string;
}

export class ConfigError extends Error {
  constructor(readonly file: string, readonly line: number, readonly problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Tokenise and parse the file into entries; throws ConfigError on syntax errors. */
export function parseRaw(text: string, file: string, firstLine = 1): RawEntry[] {
  const entries: RawEntry[] = [];
  let i = 0;
  let line = firstLine;
  const err = (what: string): never => { throw new ConfigError(file, line, what); };
  const skipBlank = (newlines: boolean) => {
    for (;;) {
      const c = text[i];
      if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
      if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
      if (newlines && c === '\n') { i++; line++; continue; }
      return;
    }
  };
  const value = (inList: boolean): RawValue => {
    skipBlank(inList);
    const c = text[i];
    if (c === '"' || c === "'") {
      const start = line;
      i++;
      let s = '';
      while (text[i] !== c) {
        if (i >= text.length || text[i] === '\n') { line = start; err(`string opened with ${c} is not closed on this line`); }
        if (text[i] === '\\' && i + 1 < text.length) { i++; s += text[i] === 'n' ? '\n' : text[i]; } else s += text[i];
        i++;
      }
      i++;
      return s;
    }
    if (c === '[') {
      i++;
      const opened = line;
      const unclosed = () => { line = opened; err('list opened with [ is not closed'); };
      const items: RawValue[] = [];
      for (;;) {
        skipBlank(true);
        if (text[i] === ']') { i++; return items; }
        if (i >= text.length) unclosed();
        items.push(value(true));
        skipBlank(true);
        if (text[i] === ',') { i++; continue; }
        if (i >= text.length) unclosed();
        if (text[i] !== ']') err(`expected , or ] in the list, found ${describe(text[i])}`);
      }
    }
    const m = /^-?(0x[0-9a-fA-F]+|\d+(\.\d+)?)/.exec(text.slice(i));
    if (m) { i += m[0].length; return Number(m[0]); }
    return err(`expected a value ("string", number or [ list ]), found ${describe(c)}`);
  };
  for (;;) {
    skipBlank(true);
    if (i >= text.length) return entries;
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (!m) err(`expected a setting name, found ${describe(text[i])}`);
    const key = m![0];
    const keyLine = line;
    i += key.length;
    skipBlank(false);
    if (text[i] !== '=') err(`expected = after '${key}', found ${describe(text[i])}`);
    i++;
    const v = value(false);
    skipBlank(false);
    if (text[i] === ';') i++;
    skipBlank(false);
    if (i < text.length && text[i] !== '\n') err(`unexpected ${describe(text[i])} after the value of '${key}'`);
    if (entries.some((e) => e.key === key)) err(`'${key}' is set twice (first on line ${entries.find((e) => e.key === key)!.line})`);
    entries.push({ key, value: v, line: keyLine });
  }
}

function describe(c: string | undefined): string {
  if (c === undefined) return 'the end of the file';
  if (c === '\n') return 'the end of the line';
  return `'${c}'`;
}

const action = (values: readonly [string, ...string[]]) => z.enum(values);

/** The keys xenlab understands, with their types (a subset of xl.cfg). */
const schemas = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name of letters, digits, ".", "_" or "-" (at most 64)'),
  kernel: z.string().min(1, 'a path to the kernel ELF file'),
  // xl reads numbers through strtol, so memory = "32" is 32 MiB too.
  memory: z.preprocess((v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
    z.number().int('a whole number of MiB').min(1, 'at least 1 (MiB)').max(4096, 'at most 4096 (MiB)')),
  cmdline: z.string().max(1023, 'at most 1023 characters (MAX_GUEST_CMDLINE)'),
  extra: z.string().max(1023),
  disk: z.array(z.string()).max(16, 'at most 16 disks'),
  on_crash: action(['destroy', 'restart', 'preserve', 'coredump-destroy', 'coredump-restart']),
  on_poweroff: action(['destroy', 'restart', 'preserve']),
  on_reboot: action(['destroy', 'restart', 'preserve']),
  vcpus: z.number().int().min(1).max(1, 'xenlab runs one vCPU per domain'),
  type: z.enum(['pv']),
} as const;
export const CONFIG_KEYS = Object.keys(schemas);

/** Parse and validate an xl-style config; throws ConfigError naming the file and line. */
export function parseDomainConfig(text: string, file = '<config>', firstLine = 1): DomainConfig {
  return validateEntries(parseRaw(text, file, firstLine), file, firstLine);
}

export function validateEntries(entries: RawEntry[], file: string, fallbackLine = 1): DomainConfig {
  const values: Record<string, unknown> = {};
  for (const e of entries) {
    const schema = (schemas as Record<string, z.ZodType>)[e.key];
    if (!schema) {
      const guess = closest(e.key, CONFIG_KEYS);
      throw new ConfigError(file, e.line, `unknown setting '${e.key}'${guess ? `; did you mean '${guess}'?` : ` (known: ${CONFIG_KEYS.join(', ')})`}`);
    }
    const r = schema.safeParse(e.value);
    if (!r.success) throw new ConfigError(file, e.line, `${e.key}: ${explain(e.key, r.error.issues[0])} (got ${JSON.stringify(e.value)})`);
    values[e.key] = r.data;
  }
  for (const key of ['name', 'kernel', 'memory'] as const) {
    if (values[key] === undefined) {
      const last = entries.length ? entries[entries.length - 1].line : fallbackLine;
      throw new ConfigError(file, last, `missing required setting '${key}' (e.g. ${example[key]})`);
    }
  }
  const diskLine = entries.find((e) => e.key === 'disk')?.line ?? fallbackLine;
  const disks = ((values.disk as string[] | undefined) ?? []).map((d) => parseDiskSpec(d, file, diskLine));
  const vdevs = new Set<string>();
  for (const d of disks) {
    if (vdevs.has(d.vdev)) throw new ConfigError(file, diskLine, `disk: ${d.vdev} is used twice`);
    vdevs.add(d.vdev);
  }
  return {
    name: values.name as string,
    kernel: values.kernel as string,
    memory: values.memory as number,
    cmdline: (values.cmdline as string | undefined) ?? (values.extra as string | undefined) ?? '',
    disks,
    onCrash: (values.on_crash as DomainConfig['onCrash'] | undefined) ?? 'destroy',
    onPoweroff: (values.on_poweroff as DomainConfig['onPoweroff'] | undefined) ?? 'destroy',
    onReboot: (values.on_reboot as DomainConfig['onReboot'] | undefined) ?? 'restart',
    vcpus: (values.vcpus as number | undefined) ?? 1,
    file,
  };
}

const example = { name: 'name = "guest"', kernel: 'kernel = "build/kernel.elf"', memory: 'memory = 32' };
const EXAMPLES: Record<string, string> = {
  ...example, cmdline: 'cmdline = "console=hvc0"', extra: 'extra = "console=hvc0"', disk: "disk = [ 'file:disk.img,xvda,w' ]",
  on_crash: 'on_crash = "preserve"', on_poweroff: 'on_poweroff = "destroy"', on_reboot: 'on_reboot = "restart"', vcpus: 'vcpus = 1', type: 'type = "pv"',
};
const KINDS: Record<string, string> = { number: 'a number', string: 'a "quoted string"', array: 'a [ list ]' };

/** One zod issue in words: a wrong kind of value names the kind wanted and shows an example line. */
function explain(key: string, issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid';
  if (issue.code === 'invalid_type') {
    const want = key === 'memory' ? 'a whole number of MiB' : KINDS[issue.expected] ?? issue.expected;
    const where = issue.path.length ? ` (item ${Number(issue.path[0]) + 1})` : '';
    return `expected ${want}${where}, e.g. ${EXAMPLES[key] ?? `${key} = ...`}`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

/** xl-disk-configuration: positional `[format:]target,vdev,mode` or `format=raw, vdev=xvda, access=rw, target=PATH`. */
export function parseDiskSpec(spec: string, file: string, line: number): DiskSpec {
  const bad = (what: string): never => { throw new ConfigError(file, line, `disk '${spec}': ${what} (write e.g. 'file:disk.img,xvda,w')`); };
  const parts = spec.split(',').map((p) => p.trim());
  let target: string | undefined;
  let vdev: string | undefined;
  let mode: string | undefined;
  const positional: string[] = [];
  for (const p of parts) {
    const kv = /^(format|vdev|access|target|devtype|backendtype)=(.*)$/.exec(p);
    if (!kv) { positional.push(p); continue; }
    if (kv[1] === 'vdev') vdev = kv[2];
    else if (kv[1] === 'access') mode = kv[2];
    else if (kv[1] === 'target') target = kv[2];
    else if (kv[1] === 'format' && kv[2] !== 'raw') bad(`format ${kv[2]} is not supported, only raw`);
  }
  if (positional.length) {
    [target, vdev, mode] = [target ?? positional[0], vdev ?? positional[1], mode ?? positional[2]];
  }
  if (!target) bad('no image path');
  target = target!.replace(/^(file|raw|aio|tap2?:aio|phy):/, '');
  if (!vdev) bad('no virtual device (xvda, hda, ...)');
  if (!/^(xvd[a-z]|hd[a-d])$/.test(vdev!)) bad(`virtual device '${vdev}' is not one of xvda..xvdz or hda..hdd`);
  const m = mode ?? 'w';
  const access = m === 'w' || m === 'rw' ? 'w' : m === 'r' || m === 'ro' ? 'r' : bad(`access '${m}' is not r or w`);
  return { target, vdev: vdev!, mode: access, format: 'raw' };
}

/** The candidate within edit distance 2 (or a third of the word) of `word`, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestD) { bestD = d; best = c; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
