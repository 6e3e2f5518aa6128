// Struct layout against gcc -m32 (the oracle for "laid out as gcc -m32 does"): random structs with fields of every
// integer type, bool, pointers, function pointers, fixed arrays and nested structs; sizeof and every field's
// offsetof from the compiler (run on the machine) must equal gcc's for the same declarations in C.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelRunner } from './machine.js';

const SCALARS: [string, string][] = [
  ['u8', 'uint8_t'], ['u16', 'uint16_t'], ['u32', 'uint32_t'], ['u64', 'uint64_t'],
  ['i8', 'int8_t'], ['i16', 'int16_t'], ['i32', 'int32_t'], ['i64', 'int64_t'],
  ['bool', '_Bool'], ['Ptr<u8>', 'uint8_t *'], ['(x: u32) => void', 'void (*NAME)(uint32_t)'],
];

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

interface Field { name: string; ts: string; c: (name: string) => string }

/** Random structs s0..sN-1; a later one may embed (or hold arrays of) earlier ones. */
function structs(n: number, r: (n: number) => number): Field[][] {
  const out: Field[][] = [];
  for (let i = 0; i < n; i++) {
    const fields: Field[] = [];
    for (let j = 0, m = 1 + r(6); j < m; j++) {
      const name = `f${j}`;
      let ts: string, c: (nm: string) => string;
      if (i > 0 && r(4) === 0) {
        const k = r(i);
        ts = `s${k}`;
        c = (nm) => `struct s${k} ${nm}`;
      } else {
        const [t, ct] = SCALARS[r(SCALARS.length)];
        ts = t;
        c = (nm) => (ct.includes('NAME') ? ct.replace('NAME', nm) : `${ct} ${nm}`);
      }
      if (r(4) === 0 && !ts.includes('=>')) {
        const len = 1 + r(5), inner = ts, ic = c;
        ts = `CArray<${inner}, ${len}>`;
        c = (nm) => `${ic(nm)}[${len}]`;
      }
      fields.push({ name, ts, c });
    }
    out.push(fields);
  }
  return out;
}

function gccLayout(all: Field[][]): number[] {
  let c = '#include <stddef.h>\n#include <stdint.h>\n';
  all.forEach((fields, i) => { c += `struct s${i} { ${fields.map((f) => `${f.c(f.name)};`).join(' ')} };\n`; });
  c += 'unsigned int out[] = {\n';
  all.forEach((fields, i) => {
    c += `  sizeof(struct s${i}), _Alignof(struct s${i}),${fields.map((f) => ` offsetof(struct s${i}, ${f.name}),`).join('')}\n`;
  });
  c += '};\n';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenlab-layout-'));
  try {
    fs.writeFileSync(path.join(dir, 's.c'), c);
    execFileSync('gcc', ['-m32', '-c', '-o', path.join(dir, 's.o'), path.join(dir, 's.c')], { stdio: 'pipe' });
    const dump = execFileSync('objdump', ['-s', '-j', '.data', path.join(dir, 's.o')], { encoding: 'utf8' });
    const bytes: number[] = [];
    for (const line of dump.split('\n')) {
      const m = line.match(/^ [0-9a-f]{4,} ((?:[0-9a-f]{2,8} ?){1,4})/);
      if (m) for (const word of m[1].trim().split(/\s+/)) for (let k = 0; k < word.length; k += 2) bytes.push(parseInt(word.slice(k, k + 2), 16));
    }
    const words: number[] = [];
    for (let k = 0; k + 3 < bytes.length; k += 4) words.push(bytes[k] | (bytes[k + 1] << 8) | (bytes[k + 2] << 16) | (bytes[k + 3] << 24));
    return words;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('struct layout against gcc -m32', () => {
  it('sizeof, alignment (through an embedding struct) and every offsetof of 40 random structs', () => {
    const all = structs(40, rng(0x1a7047));
    let src = '';
    all.forEach((fields, i) => { src += `interface s${i} { ${fields.map((f) => `${f.name}: ${f.ts};`).join(' ')} }\n`; });
    // alignment as gcc's _Alignof: the offset of a struct placed after one byte
    all.forEach((_, i) => { src += `interface a${i} { pad: u8; s: s${i}; }\n`; });
    const names: string[] = [];
    all.forEach((fields, i) => {
      src += `export function size${i}(): u32 { return sizeof<s${i}>(); }\n`;
      src += `export function align${i}(): u32 { return offsetof<a${i}>("s"); }\n`;
      names.push(`size${i}`, `align${i}`);
      fields.forEach((f) => {
        src += `export function off${i}_${f.name}(): u32 { return offsetof<s${i}>("${f.name}"); }\n`;
        names.push(`off${i}_${f.name}`);
      });
    });
    const gcc = gccLayout(all);
    expect(gcc.length).toBe(names.length);
    const k = KernelRunner.of({ 'layout.ts': src });
    const ours = names.map((n) => k.call(n).eax);
    const diffs = names.map((n, i) => [n, ours[i], gcc[i]] as const).filter(([, a, b]) => a !== b);
    expect(diffs.slice(0, 10)).toEqual([]);
  });
});
