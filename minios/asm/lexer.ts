// Tokens of one nasm source line: identifiers, numbers in nasm's forms, strings, operators.
import { AsmError } from './errors.js';

export type Tok = ({ t: 'id'; v: string } | { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'op'; v: string }) & {
  col: number;
  /** Index just past the token in the line. */
  end: number;
};

export function parseNumber(s: string): number | undefined {
  const t = s.replace(/_/g, '').toLowerCase();
  let m: RegExpMatchArray | null;
  if ((m = t.match(/^(?:0x|0h|\$)([0-9a-f]+)$/))) return parseInt(m[1], 16);
  if ((m = t.match(/^([0-9][0-9a-f]*)h$/))) return parseInt(m[1], 16);
  if ((m = t.match(/^(?:0b|0y)([01]+)$/)) || (m = t.match(/^([01]+)[by]$/))) return parseInt(m[1], 2);
  if ((m = t.match(/^(?:0o|0q)([0-7]+)$/)) || (m = t.match(/^([0-7]+)[oq]$/))) return parseInt(m[1], 8);
  if ((m = t.match(/^(?:0d)?([0-9]+)d?$/))) return parseInt(m[1], 10);
  return undefined;
}

const wordRe = /\$\$|\$[0-9][0-9a-fA-F_]*|[0-9][0-9a-zA-Z_]*|[A-Za-z_.?@$][\w.?@$#~]*/y;

export function tokenize(line: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ';') break;
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    const col = i + 1;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1, s = '';
      while (j < line.length && line[j] !== c) {
        if (c === '`' && line[j] === '\\' && j + 1 < line.length) {
          const e = line[++j];
          s += ({ n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '`': '`', "'": "'", '"': '"' } as Record<string, string>)[e] ?? e;
        } else s += line[j];
        j++;
      }
      if (j >= line.length) throw new AsmError(`unterminated string starting at column ${col}`);
      i = j + 1;
      out.push({ t: 'str', v: s, col, end: i });
      continue;
    }
    wordRe.lastIndex = i;
    const m = wordRe.exec(line);
    if (m) {
      const w = m[0];
      const c0 = w.charCodeAt(0);
      if ((c0 >= 48 && c0 <= 57) || (c0 === 36 && w.length > 1 && w.charCodeAt(1) >= 48 && w.charCodeAt(1) <= 57)) {
        const n = parseNumber(w);
        if (n === undefined) throw new AsmError(`'${w}' is not a number`);
        out.push({ t: 'num', v: n, col, end: i + w.length });
      } else out.push({ t: 'id', v: w, col, end: i + w.length });
      i += w.length;
      continue;
    }
    const two = line.slice(i, i + 2);
    if (two === '<<' || two === '>>' || two === '//' || two === '%%') { out.push({ t: 'op', v: two, col, end: i + 2 }); i += 2; continue; }
    if ('[](),:+-*/%&|^~!='.includes(c)) { out.push({ t: 'op', v: c, col, end: i + 1 }); i++; continue; }
    throw new AsmError(`unexpected character '${c}' at column ${col}`);
  }
  return out;
}

