// The instruction-form table: one line per (mnemonic, operand pattern) with its encoding, in the manner of nasm's insns.dat.
//
// A line reads `mnemonic  patterns  roles  encoding`:
//   patterns  comma-separated operand patterns, `-` for none: r8 r16 r32 rm8 rm16 rm32 m m8 m16 m32 m64 mfar imm8 imm16
//             imm32 sx8 (an immediate that fits sign-extended in 8 bits at the operand size) one (the constant 1) al ax eax
//             cl cx ecx dx es cs ss ds fs gs sreg creg dreg rel8 rel32 farptr farptr16 (`word seg:off`) moffs8 moffs16
//             moffs32, mfar16 (`word far [m]`), srm16 (a 16-bit register or memory written `word`, so that an unsized
//             `jmp [m]` stays dword as in nasm), wrel16 (`jmp word label`: 16-bit displacement), and wsx8 wimm16 (only
//             for an immediate written with `word`, as in `push word 5`), uimm8 uimm16 (an immediate nasm takes only
//             without a size keyword)
//   roles     one letter per operand saying where it is encoded: m ModRM.rm, r ModRM.reg or the +r of an opcode, b both
//             (imul r32,imm), i first immediate, j second immediate, d relative branch, o moffs, f far pointer, - implicit
//   encoding  o16 / a16 (operand- / address-size prefix), opcode bytes in hex, `xx+r`, /r or /0../7, ib iw id (immediates), rb rw rd (branch
//             displacement), mo (moffs address), fp / fpw (far pointer
//             with a 32- / 16-bit offset)
// When several forms match, the shortest encoding wins, then the earliest line, which is how nasm chooses.

const CC: [string[], number][] = [
  [['o'], 0], [['no'], 1], [['b', 'c', 'nae'], 2], [['ae', 'nb', 'nc'], 3], [['e', 'z'], 4], [['ne', 'nz'], 5],
  [['be', 'na'], 6], [['a', 'nbe'], 7], [['s'], 8], [['ns'], 9], [['p', 'pe'], 10], [['np', 'po'], 11],
  [['l', 'nge'], 12], [['ge', 'nl'], 13], [['le', 'ng'], 14], [['g', 'nle'], 15],
];

/** Condition-code suffixes and their numbers (jcc, setcc, cmovcc). */
export const conditionCodes: ReadonlyMap<string, number> = new Map(CC.flatMap(([names, n]) => names.map((s) => [s, n] as [string, number])));

const hex = (n: number) => n.toString(16).padStart(2, '0');

function buildTable(): string[] {
  const t: string[] = [];
  const alu = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
  alu.forEach((mn, n) => {
    const b = n * 8;
    t.push(
      `${mn} rm8,r8 mr ${hex(b)} /r`, `${mn} rm16,r16 mr o16 ${hex(b + 1)} /r`, `${mn} rm32,r32 mr ${hex(b + 1)} /r`,
      `${mn} r8,rm8 rm ${hex(b + 2)} /r`, `${mn} r16,rm16 rm o16 ${hex(b + 3)} /r`, `${mn} r32,rm32 rm ${hex(b + 3)} /r`,
      `${mn} rm16,sx8 mi o16 83 /${n} ib`, `${mn} rm32,sx8 mi 83 /${n} ib`,
      `${mn} al,imm8 -i ${hex(b + 4)} ib`, `${mn} ax,imm16 -i o16 ${hex(b + 5)} iw`, `${mn} eax,imm32 -i ${hex(b + 5)} id`,
      `${mn} rm8,imm8 mi 80 /${n} ib`, `${mn} rm16,imm16 mi o16 81 /${n} iw`, `${mn} rm32,imm32 mi 81 /${n} id`,
    );
  });
  t.push(
    'mov rm8,r8 mr 88 /r', 'mov rm16,r16 mr o16 89 /r', 'mov rm32,r32 mr 89 /r',
    'mov r8,rm8 rm 8a /r', 'mov r16,rm16 rm o16 8b /r', 'mov r32,rm32 rm 8b /r',
    'mov al,moffs8 -o a0 mo', 'mov ax,moffs16 -o o16 a1 mo', 'mov eax,moffs32 -o a1 mo',
    'mov moffs8,al o- a2 mo', 'mov moffs16,ax o- o16 a3 mo', 'mov moffs32,eax o- a3 mo',
    'mov r16,sreg mr o16 8c /r', 'mov r32,sreg mr 8c /r', 'mov m16,sreg mr 8c /r',
    'mov sreg,r16 rm 8e /r', 'mov sreg,r32 rm 8e /r', 'mov sreg,m16 rm 8e /r',
    'mov r8,imm8 ri b0+r ib', 'mov r16,imm16 ri o16 b8+r iw', 'mov r32,imm32 ri b8+r id',
    'mov rm8,imm8 mi c6 /0 ib', 'mov rm16,imm16 mi o16 c7 /0 iw', 'mov rm32,imm32 mi c7 /0 id',
    'mov r32,creg mr 0f 20 /r', 'mov creg,r32 rm 0f 22 /r', 'mov r32,dreg mr 0f 21 /r', 'mov dreg,r32 rm 0f 23 /r',
    'test rm8,r8 mr 84 /r', 'test rm16,r16 mr o16 85 /r', 'test rm32,r32 mr 85 /r',
    'test r8,m8 rm 84 /r', 'test r16,m16 rm o16 85 /r', 'test r32,m32 rm 85 /r',
    'test al,imm8 -i a8 ib', 'test ax,imm16 -i o16 a9 iw', 'test eax,imm32 -i a9 id',
    'test rm8,imm8 mi f6 /0 ib', 'test rm16,imm16 mi o16 f7 /0 iw', 'test rm32,imm32 mi f7 /0 id',
    'xchg ax,r16 -r o16 90+r', 'xchg eax,r32 -r 90+r', 'xchg r16,ax r- o16 90+r', 'xchg r32,eax r- 90+r',
    'xchg r8,rm8 rm 86 /r', 'xchg r16,rm16 rm o16 87 /r', 'xchg r32,rm32 rm 87 /r',
    'xchg m8,r8 mr 86 /r', 'xchg m16,r16 mr o16 87 /r', 'xchg m32,r32 mr 87 /r',
    'lea r16,m rm o16 8d /r', 'lea r32,m rm 8d /r',
    'movzx r16,rm8 rm o16 0f b6 /r', 'movzx r32,rm8 rm 0f b6 /r', 'movzx r32,rm16 rm 0f b7 /r',
    'movsx r16,rm8 rm o16 0f be /r', 'movsx r32,rm8 rm 0f be /r', 'movsx r32,rm16 rm 0f bf /r',
  );
  ['', '', 'not', 'neg', 'mul', 'imul', 'div', 'idiv'].forEach((mn, n) => {
    if (mn) t.push(`${mn} rm8 m f6 /${n}`, `${mn} rm16 m o16 f7 /${n}`, `${mn} rm32 m f7 /${n}`);
  });
  t.push(
    'imul r16,rm16 rm o16 0f af /r', 'imul r32,rm32 rm 0f af /r',
    'imul r16,sx8 bi o16 6b /r ib', 'imul r32,sx8 bi 6b /r ib', 'imul r16,imm16 bi o16 69 /r iw', 'imul r32,imm32 bi 69 /r id',
    'imul r16,rm16,sx8 rmi o16 6b /r ib', 'imul r32,rm32,sx8 rmi 6b /r ib',
    'imul r16,rm16,imm16 rmi o16 69 /r iw', 'imul r32,rm32,imm32 rmi 69 /r id',
    'inc r16 r o16 40+r', 'inc r32 r 40+r', 'inc rm8 m fe /0', 'inc rm16 m o16 ff /0', 'inc rm32 m ff /0',
    'dec r16 r o16 48+r', 'dec r32 r 48+r', 'dec rm8 m fe /1', 'dec rm16 m o16 ff /1', 'dec rm32 m ff /1',
    'push r16 r o16 50+r', 'push r32 r 50+r', 'push rm16 m o16 ff /6', 'push rm32 m ff /6',
    'push sx8 i 6a ib', 'push imm32 i 68 id', 'push wsx8 i o16 6a ib', 'push wimm16 i o16 68 iw',
    'push es - 06', 'push cs - 0e', 'push ss - 16', 'push ds - 1e', 'push fs - 0f a0', 'push gs - 0f a8',
    'pop r16 r o16 58+r', 'pop r32 r 58+r', 'pop rm16 m o16 8f /0', 'pop rm32 m 8f /0',
    'pop es - 07', 'pop ss - 17', 'pop ds - 1f', 'pop fs - 0f a1', 'pop gs - 0f a9',
  );
  ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'].forEach((mn, i) => {
    const n = mn === 'sal' ? 4 : i;
    t.push(
      `${mn} rm8,one m- d0 /${n}`, `${mn} rm16,one m- o16 d1 /${n}`, `${mn} rm32,one m- d1 /${n}`,
      `${mn} rm8,cl m- d2 /${n}`, `${mn} rm16,cl m- o16 d3 /${n}`, `${mn} rm32,cl m- d3 /${n}`,
      `${mn} rm8,imm8 mi c0 /${n} ib`, `${mn} rm16,imm8 mi o16 c1 /${n} ib`, `${mn} rm32,imm8 mi c1 /${n} ib`,
    );
  });
  for (const [mn, op] of [['shld', 0xa4], ['shrd', 0xac]] as const) {
    t.push(
      `${mn} rm16,r16,uimm8 mri o16 0f ${hex(op)} /r ib`, `${mn} rm32,r32,uimm8 mri 0f ${hex(op)} /r ib`,
      `${mn} rm16,r16,cl mr- o16 0f ${hex(op + 1)} /r`, `${mn} rm32,r32,cl mr- 0f ${hex(op + 1)} /r`,
    );
  }
  for (const [mn, op, digit] of [['bt', 0xa3, 4], ['bts', 0xab, 5], ['btr', 0xb3, 6], ['btc', 0xbb, 7]] as const) {
    t.push(
      `${mn} rm16,r16 mr o16 0f ${hex(op)} /r`, `${mn} rm32,r32 mr 0f ${hex(op)} /r`,
      `${mn} rm16,imm8 mi o16 0f ba /${digit} ib`, `${mn} rm32,imm8 mi 0f ba /${digit} ib`,
    );
  }
  t.push(
    'bsf r16,rm16 rm o16 0f bc /r', 'bsf r32,rm32 rm 0f bc /r', 'bsr r16,rm16 rm o16 0f bd /r', 'bsr r32,rm32 rm 0f bd /r',
    'xadd rm8,r8 mr 0f c0 /r', 'xadd rm16,r16 mr o16 0f c1 /r', 'xadd rm32,r32 mr 0f c1 /r',
    'cmpxchg rm8,r8 mr 0f b0 /r', 'cmpxchg rm16,r16 mr o16 0f b1 /r', 'cmpxchg rm32,r32 mr 0f b1 /r',
    'cmpxchg8b m64 m 0f c7 /1', 'bswap r32 r 0f c8+r',
    'arpl rm16,r16 mr 63 /r', 'bound r16,m rm o16 62 /r', 'bound r32,m rm 62 /r',
    'lar r16,rm16 rm o16 0f 02 /r', 'lar r32,r32 rm 0f 02 /r', 'lar r32,rm16 rm 0f 02 /r',
    'lsl r16,rm16 rm o16 0f 03 /r', 'lsl r32,r32 rm 0f 03 /r', 'lsl r32,rm16 rm 0f 03 /r',
  );
  for (const [mn, op] of [['les', 'c4'], ['lds', 'c5'], ['lss', '0f b2'], ['lfs', '0f b4'], ['lgs', '0f b5']]) {
    t.push(`${mn} r16,m rm o16 ${op} /r`, `${mn} r32,m rm ${op} /r`);
  }
  for (const [cc, n] of CC.flatMap(([names, n]) => names.map((s) => [s, n] as const))) {
    t.push(`set${cc} rm8 m 0f ${hex(0x90 + n)} /0`, `j${cc} wrel16 d o16 0f ${hex(0x80 + n)} rw`);
    t.push(`cmov${cc} r16,rm16 rm o16 0f ${hex(0x40 + n)} /r`, `cmov${cc} r32,rm32 rm 0f ${hex(0x40 + n)} /r`);
  }
  t.push(
    'jmp rm32 m ff /4', 'jmp srm16 m o16 ff /4', 'jmp farptr f ea fp', 'jmp farptr16 f o16 ea fpw',
    'jmp mfar m ff /5', 'jmp mfar16 m o16 ff /5',
    'call rel32 d e8 rd', 'call rm32 m ff /2', 'call srm16 m o16 ff /2', 'call farptr f 9a fp', 'call farptr16 f o16 9a fpw',
    'call mfar m ff /3', 'call mfar16 m o16 ff /3',
    'jecxz rel8 d e3 rb', 'jcxz rel8 d a16 e3 rb', 'jmp wrel16 d o16 e9 rw', 'call wrel16 d o16 e8 rw',
  );
  for (const [mn, op] of [['loop', 'e2'], ['loope', 'e1'], ['loopz', 'e1'], ['loopne', 'e0'], ['loopnz', 'e0']]) {
    t.push(`${mn} rel8 d ${op} rb`, `${mn} rel8,ecx d- ${op} rb`, `${mn} rel8,cx d- a16 ${op} rb`);
  }
  // ret: near and far, with nasm's w (16-bit operand size) and d suffixes
  // (no `retw imm16`: nasm 2.16 encodes it without 0x66, a 32-bit return; encode.ts refuses it and names retnw)
  for (const [mn, enc] of [['ret', ''], ['retn', ''], ['retd', ''], ['retnd', ''], ['retw', 'o16 '], ['retnw', 'o16 ']]) {
    t.push(`${mn} - - ${enc}c3`);
    if (mn !== 'retw') t.push(`${mn} imm16 i ${enc}c2 iw`);
  }
  for (const [mn, enc] of [['retf', ''], ['retfd', ''], ['retfw', 'o16 ']]) t.push(`${mn} - - ${enc}cb`, `${mn} imm16 i ${enc}ca iw`);
  t.push(
    'enter uimm16,uimm8 ij c8 iw ib', 'leave - - c9',
    'int imm8 i cd ib', 'int3 - - cc', 'int1 - - f1', 'into - - ce', 'iret - - cf', 'iretd - - cf', 'iretw - - o16 cf',
    'in al,imm8 -i e4 ib', 'in ax,imm8 -i o16 e5 ib', 'in eax,imm8 -i e5 ib', 'in al,dx -- ec', 'in ax,dx -- o16 ed', 'in eax,dx -- ed',
    'out imm8,al i- e6 ib', 'out imm8,ax i- o16 e7 ib', 'out imm8,eax i- e7 ib', 'out dx,al -- ee', 'out dx,ax -- o16 ef', 'out dx,eax -- ef',
    'lgdt m m 0f 01 /2', 'lidt m m 0f 01 /3', 'sgdt m m 0f 01 /0', 'sidt m m 0f 01 /1', 'invlpg m m 0f 01 /7',
    'smsw m16 m 0f 01 /4', 'smsw r16 m o16 0f 01 /4', 'smsw r32 m 0f 01 /4', 'lmsw rm16 m 0f 01 /6',
    'sldt m16 m 0f 00 /0', 'sldt r16 m o16 0f 00 /0', 'sldt r32 m 0f 00 /0',
    'str m16 m 0f 00 /1', 'str r16 m o16 0f 00 /1', 'str r32 m 0f 00 /1',
    'lldt rm16 m 0f 00 /2', 'ltr rm16 m 0f 00 /3', 'verr rm16 m 0f 00 /4', 'verw rm16 m 0f 00 /5',
    'nop rm16 m o16 0f 1f /0', 'nop rm32 m 0f 1f /0',
    'aam - - d4 0a', 'aam imm8 i d4 ib', 'aad - - d5 0a', 'aad imm8 i d5 ib',
  );
  const simple: [string, string][] = [
    ['nop', '90'], ['hlt', 'f4'], ['cli', 'fa'], ['sti', 'fb'], ['cld', 'fc'], ['std', 'fd'], ['clc', 'f8'], ['stc', 'f9'],
    ['cmc', 'f5'], ['icebp', 'f1'], ['int01', 'f1'], ['xlat', 'd7'], ['salc', 'd6'], ['sysenter', '0f 34'], ['sysexit', '0f 35'],
    ['lfence', '0f ae e8'], ['mfence', '0f ae f0'], ['sfence', '0f ae f8'], ['cpuid', '0f a2'], ['rdtsc', '0f 31'], ['rdmsr', '0f 32'], ['wrmsr', '0f 30'], ['rdpmc', '0f 33'],
    ['clts', '0f 06'], ['invd', '0f 08'], ['wbinvd', '0f 09'], ['ud2', '0f 0b'], ['ud2a', '0f 0b'], ['rsm', '0f aa'],
    ['cwde', '98'], ['cbw', 'o16 98'], ['cdq', '99'], ['cwd', 'o16 99'], ['lahf', '9f'], ['sahf', '9e'], ['xlatb', 'd7'],
    ['aaa', '37'], ['aas', '3f'], ['daa', '27'], ['das', '2f'], ['pause', 'f3 90'], ['wait', '9b'], ['fwait', '9b'],
    ['pusha', '60'], ['pushad', '60'], ['pushaw', 'o16 60'], ['popa', '61'], ['popad', '61'], ['popaw', 'o16 61'],
    ['pushf', '9c'], ['pushfd', '9c'], ['pushfw', 'o16 9c'], ['popf', '9d'], ['popfd', '9d'], ['popfw', 'o16 9d'],
    ['movsb', 'a4'], ['movsw', 'o16 a5'], ['movsd', 'a5'], ['cmpsb', 'a6'], ['cmpsw', 'o16 a7'], ['cmpsd', 'a7'],
    ['stosb', 'aa'], ['stosw', 'o16 ab'], ['stosd', 'ab'], ['lodsb', 'ac'], ['lodsw', 'o16 ad'], ['lodsd', 'ad'],
    ['scasb', 'ae'], ['scasw', 'o16 af'], ['scasd', 'af'], ['insb', '6c'], ['insw', 'o16 6d'], ['insd', '6d'],
    ['outsb', '6e'], ['outsw', 'o16 6f'], ['outsd', '6f'],
  ];
  for (const [mn, enc] of simple) t.push(`${mn} - - ${enc}`);
  return t;
}

/** Branches whose displacement size the linker chooses (short when the target is in reach, like nasm). */
export const relaxable: ReadonlyMap<string, { short: number[]; near: number[] }> = new Map([
  ['jmp', { short: [0xeb], near: [0xe9] }],
  ...[...conditionCodes].map(([cc, n]) => [`j${cc}`, { short: [0x70 + n], near: [0x0f, 0x80 + n] }] as [string, { short: number[]; near: number[] }]),
]);

export const tableLines: readonly string[] = buildTable();
