// Random straight-line integer programs in a loop (nasm source), shared by the
// mode differential (modes-diff.test.ts) and the QEMU differential
// (qemu-programs.test.ts). The data they touch is addressed through ESI, EDI
// and EBP only; a program ends with `int 0x80`.

export const DATA = 0x30000;
export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/**
 * Random code: a loop whose body has jumps (`selfLoop` false), or a one-block
 * body that loops on itself. With `definedFlags`, no instruction that leaves a
 * flag a later one reads undefined by the SDM (shifts, rotates, imul), so the
 * result is the same on any x86 (the QEMU differential uses that).
 */
export function program(seed: number, selfLoop = false, definedFlags = false): string {
  const next = rng(seed);
  const pick = <T>(xs: T[]) => xs[next() % xs.length];
  const R = ['eax', 'ebx', 'ecx', 'edx'];
  const R8 = ['al', 'bl', 'cl', 'dl', 'ah', 'bh'];
  const base = () => pick(['esi', 'edi', 'ebp']);
  const mem = () => `[${base()}+${(next() % 60) * 4 + (next() % 4 === 0 ? 1 : 0)}]`;
  const imm = () => pick([0, 1, -1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, next() | 0, next() % 256]);
  const alu = () => pick(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp']);
  const cc = () => pick(['e', 'ne', 'b', 'ae', 'be', 'a', 'l', 'ge', 'le', 'g', 's', 'ns', 'o', 'no', 'p', 'np']);
  const gens: (() => string)[] = [
    () => `${alu()} ${pick(R)}, ${pick(R)}`,
    () => `${alu()} ${pick(R)}, ${mem()}`,
    () => `${alu()} dword ${mem()}, ${pick(R)}`,
    () => `${alu()} ${pick(R)}, ${imm()}`,
    () => `${alu()} dword ${mem()}, ${imm()}`,
    () => `${alu()} ${pick(R)}, byte ${(next() % 256) - 128}`,
    () => `${alu()} eax, ${imm()}`,
    () => `test ${pick(R)}, ${pick(R)}`,
    () => `mov ${pick(R)}, ${pick(R)}`,
    () => `mov ${pick(R)}, ${mem()}`,
    () => `mov dword ${mem()}, ${pick(R)}`,
    () => `mov dword ${mem()}, ${imm()}`,
    () => `mov ${pick(R)}, ${imm()}`,
    () => `mov byte ${mem()}, ${next() % 256}`,
    () => `mov byte ${mem()}, ${pick(R8)}`,
    () => `cmp byte ${mem()}, ${next() % 256}`,
    () => `lea ${pick(R)}, [${pick(R)}+${pick(R)}*${pick([1, 2, 4, 8])}+${next() % 1000}]`,
    () => `movzx ${pick(R)}, byte ${mem()}`,
    () => `movzx ${pick(R)}, word ${mem()}`,
    () => `movzx ${pick(R)}, ${pick(R8)}`,
    () => `${pick(['inc', 'dec'])} ${pick(R)}`,
    () => `push ${pick(R)}\npop ${pick(R)}`,
    () => `${pick(['shl', 'shr', 'sar', 'rol', 'rcr'])} ${pick(R)}, ${next() % 32}`,
    () => `${pick(['shl', 'shr', 'sar'])} ${pick(R)}, ${pick([1, next() % 32])}\n${pick(['jc', 'jo', 'jp', 'js', 'jz', 'jnz'])} $+3\nnop`,
    () => `imul ${pick(R)}, ${pick(R)}`,
    () => `set${cc()} ${pick(R8)}`,
    () => `cmov${cc()} ${pick(R)}, ${mem()}`,
    () => `xchg ${pick(R)}, ${pick(R)}`,
    () => `j${cc()} $+4\nnop\nnop`,
    // A flag-setting instruction right before a jcc (fused in compiled blocks).
    () => `${pick(['cmp', 'sub', 'and', 'or', 'xor', 'add'])} ${pick(R)}, ${pick([pick(R), String(imm())])}\nj${cc()} $+4\nnop\nnop`,
    () => `test ${pick(R)}, ${pick(R)}\nj${cc()} $+4\nnop\nnop`,
  ];
  if (definedFlags) {
    const undefinedFlags = /imul|rol|rcr|shl|shr|sar/;
    for (let k = gens.length - 1; k >= 0; k--) if (undefinedFlags.test(gens[k]())) gens.splice(k, 1);
    // More forms whose flags are all defined (AF aside, which no condition reads).
    const R16 = ['ax', 'bx', 'cx', 'dx'];
    gens.push(
      () => `${pick(['shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr'])} ${pick([...R, ...R8])}, 1`,
      () => `${pick(['shl', 'shr', 'sar', 'rcl', 'rcr'])} dword ${mem()}, 1`,
      () => `${pick(['neg', 'not'])} ${pick([...R, ...R8])}`,
      () => `${pick(['neg', 'not', 'inc', 'dec'])} dword ${mem()}`,
      () => `${alu()} ${pick(R16)}, ${pick(R16)}`,
      () => `${alu()} ${pick(R16)}, ${next() % 65536}`,
      () => `${alu()} word ${mem()}, ${pick(R16)}`,
      () => `${alu()} ${pick(R8)}, ${pick(R8)}`,
      () => `${alu()} byte ${mem()}, ${pick(R8)}`,
      () => `movsx ${pick(R)}, ${pick([...R8, ...R16])}`,
      () => `movsx ${pick(R)}, word ${mem()}`,
      () => `bswap ${pick(R)}`,
      () => `xadd ${pick(R)}, ${pick(R)}`,
      () => `xadd dword ${mem()}, ${pick(R)}`,
      () => `cmpxchg ${pick(R)}, ${pick(R)}`,
      () => `cmpxchg dword ${mem()}, ${pick(R)}`,
      () => `xchg ${pick(R)}, dword ${mem()}`,
      () => pick(['cwde', 'cdq', 'cbw', 'cwd', 'cmc', 'clc', 'stc', 'sahf']),
      () => `adc ${pick(R)}, ${pick(R)}\nsbb ${pick(R)}, ${imm()}`,
      () => `mov ${pick(R16)}, word ${mem()}\nmov word ${mem()}, ${pick(R16)}`,
    );
  }
  if (selfLoop) {
    // No jumps and few enough instructions that the body is one block ending in a jump to itself.
    const straight = gens.slice(0, gens.length - 3).filter((g) => { const t = g(); return !t.includes('push') && !t.includes('\nj'); });
    const body = Array.from({ length: 12 }, () => pick(straight)()).join('\n');
    return `
      mov dword [counter], 60
    top:
      ${body}
      sub dword [counter], 1
      jnz top
      int 0x80
    counter: dd 0`;
  }
  const body = Array.from({ length: 30 }, () => pick(gens)()).join('\n');
  return `
    mov dword [counter], 60
  top:
    ${body}
    dec dword [counter]
    jnz top
    int 0x80
  counter: dd 0`;
}
