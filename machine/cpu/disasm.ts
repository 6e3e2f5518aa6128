// placeholder replaced below
export function disassemble(bytes: Uint8Array, offset: number, eip: number): { text: string; length: number } {
  void bytes; void offset; void eip;
  return { text: '(bad)', length: 1 };
}
