import { describe, expect, it } from 'vitest';
import { KernelRunner } from './machine.js';

describe('compiled code runs on the machine', () => {
  const k = KernelRunner.of({
    'main.ts': `
export function add(a: u32, b: u32): u32 { return a + b; }
export function fact(n: u32): u32 { if (n <= 1) { return 1; } return n * fact(n - 1); }
export function sum_to(n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 1; i <= n; i++) { s += i; }
  return s;
}
`,
  });
  it('adds', () => expect(k.call('add', [2, 40]).eax).toBe(42));
  it('recurses', () => expect(k.call('fact', [10]).eax).toBe(3628800));
  it('loops', () => expect(k.call('sum_to', [100]).eax).toBe(5050));
});
