// The form table itself: well-formed lines, and the Mnemonic type generated from it is current.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Assembler } from '../assembler.js';
import { allMnemonics } from '../encode.js';
import { tableLines } from '../forms.js';
import { mnemonicsSource } from '../gen-mnemonics.js';

describe('form table', () => {
  it('mnemonics.ts is in step with the table (regenerate with npx tsx minios/asm/gen-mnemonics.ts)', () => {
    expect(readFileSync(new URL('../mnemonics.ts', import.meta.url), 'utf8')).toBe(mnemonicsSource());
  });
  it('has no duplicate lines', () => {
    expect(tableLines.length).toBe(new Set(tableLines).size);
  });
  it('gives every mnemonic a method on Assembler', () => {
    const a = new Assembler() as unknown as Record<string, unknown>;
    for (const mn of allMnemonics()) expect(typeof a[mn], mn).toBe('function');
  });
});
