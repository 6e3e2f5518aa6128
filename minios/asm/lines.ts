// The `.xenlab.lines` section: maps code addresses to source positions for crash reports and the debugger.
//
// Layout (all little-endian u32):
//   magic "XLL1", file count F, entry count N, string table size S
//   F file-name offsets into the string table
//   N entries of { addr, file index, line, column (0 = unknown) }, sorted by addr; an entry holds until the next one
//   S bytes of NUL-terminated UTF-8 file names
import type { LineEntry } from './link.js';

export const LINES_SECTION = '.xenlab.lines';
const MAGIC = 0x314c4c58; // "XLL1"

export function encodeLineTable(lines: readonly LineEntry[]): Uint8Array {
  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  for (const l of lines) if (!fileIndex.has(l.file)) { fileIndex.set(l.file, files.length); files.push(l.file); }
  const enc = new TextEncoder();
  const names = files.map((f) => enc.encode(f));
  const strSize = names.reduce((a, n) => a + n.length + 1, 0);
  const out = new Uint8Array(16 + 4 * files.length + 16 * lines.length + strSize);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true); v.setUint32(4, files.length, true); v.setUint32(8, lines.length, true); v.setUint32(12, strSize, true);
  let str = 16 + 4 * files.length + 16 * lines.length;
  let strOff = 0;
  names.forEach((n, i) => {
    v.setUint32(16 + 4 * i, strOff, true);
    out.set(n, str + strOff);
    strOff += n.length + 1;
  });
  lines.forEach((l, i) => {
    const o = 16 + 4 * files.length + 16 * i;
    v.setUint32(o, l.addr >>> 0, true); v.setUint32(o + 4, fileIndex.get(l.file)!, true);
    v.setUint32(o + 8, l.line, true); v.setUint32(o + 12, l.column ?? 0, true);
  });
  void str;
  return out;
}

/** Parses a line table; returns undefined when the bytes are not one (never throws). */
export function decodeLineTable(bytes: Uint8Array): LineEntry[] | undefined {
  if (bytes.length < 16) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC) return undefined;
  const nf = v.getUint32(4, true), nl = v.getUint32(8, true), ss = v.getUint32(12, true);
  const strBase = 16 + 4 * nf + 16 * nl;
  if (nf > bytes.length || nl > bytes.length || strBase + ss > bytes.length) return undefined;
  const dec = new TextDecoder();
  const files: string[] = [];
  for (let i = 0; i < nf; i++) {
    const off = v.getUint32(16 + 4 * i, true);
    if (off >= ss) return undefined;
    let end = strBase + off;
    while (end < strBase + ss && bytes[end] !== 0) end++;
    files.push(dec.decode(bytes.subarray(strBase + off, end)));
  }
  const out: LineEntry[] = [];
  for (let i = 0; i < nl; i++) {
    const o = 16 + 4 * nf + 16 * i;
    const fi = v.getUint32(o + 4, true);
    if (fi >= nf) return undefined;
    const col = v.getUint32(o + 12, true);
    out.push({ addr: v.getUint32(o, true), file: files[fi], line: v.getUint32(o + 8, true), ...(col ? { column: col } : {}) });
  }
  return out;
}

/** The source position of `addr`: the last entry at or below it. */
export function lineFor(lines: readonly LineEntry[], addr: number): LineEntry | undefined {
  let lo = 0, hi = lines.length - 1, best: LineEntry | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid].addr <= addr) { best = lines[mid]; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
}
