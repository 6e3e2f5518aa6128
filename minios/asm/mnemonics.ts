// Every mnemonic the form table knows (generated from forms.ts; a test checks it stays in step).
export type Mnemonic =
  | 'aaa' | 'aad' | 'aam' | 'aas' | 'adc' | 'add' | 'and' | 'arpl' | 'bound' | 'bsf' | 'bsr' | 'bswap' | 'bt' | 'btc'
  | 'btr' | 'bts' | 'call' | 'cbw' | 'cdq' | 'clc' | 'cld' | 'cli' | 'clts' | 'cmc' | 'cmova' | 'cmovae' | 'cmovb'
  | 'cmovbe' | 'cmovc' | 'cmove' | 'cmovg' | 'cmovge' | 'cmovl' | 'cmovle' | 'cmovna' | 'cmovnae' | 'cmovnb'
  | 'cmovnbe' | 'cmovnc' | 'cmovne' | 'cmovng' | 'cmovnge' | 'cmovnl' | 'cmovnle' | 'cmovno' | 'cmovnp' | 'cmovns'
  | 'cmovnz' | 'cmovo' | 'cmovp' | 'cmovpe' | 'cmovpo' | 'cmovs' | 'cmovz' | 'cmp' | 'cmpsb' | 'cmpsd' | 'cmpsw'
  | 'cmpxchg' | 'cmpxchg8b' | 'cpuid' | 'cwd' | 'cwde' | 'daa' | 'das' | 'dec' | 'div' | 'enter' | 'fwait' | 'hlt'
  | 'idiv' | 'imul' | 'in' | 'inc' | 'insb' | 'insd' | 'insw' | 'int' | 'int1' | 'int3' | 'into' | 'invd' | 'invlpg'
  | 'iret' | 'iretd' | 'iretw' | 'ja' | 'jae' | 'jb' | 'jbe' | 'jc' | 'jcxz' | 'je' | 'jecxz' | 'jg' | 'jge' | 'jl'
  | 'jle' | 'jmp' | 'jna' | 'jnae' | 'jnb' | 'jnbe' | 'jnc' | 'jne' | 'jng' | 'jnge' | 'jnl' | 'jnle' | 'jno' | 'jnp'
  | 'jns' | 'jnz' | 'jo' | 'jp' | 'jpe' | 'jpo' | 'js' | 'jz' | 'lahf' | 'lar' | 'lds' | 'lea' | 'leave' | 'les'
  | 'lfs' | 'lgdt' | 'lgs' | 'lidt' | 'lldt' | 'lmsw' | 'lodsb' | 'lodsd' | 'lodsw' | 'loop' | 'loope' | 'loopne'
  | 'loopnz' | 'loopz' | 'lsl' | 'lss' | 'ltr' | 'mov' | 'movsb' | 'movsd' | 'movsw' | 'movsx' | 'movzx' | 'mul'
  | 'neg' | 'nop' | 'not' | 'or' | 'out' | 'outsb' | 'outsd' | 'outsw' | 'pause' | 'pop' | 'popa' | 'popad' | 'popaw'
  | 'popf' | 'popfd' | 'popfw' | 'push' | 'pusha' | 'pushad' | 'pushaw' | 'pushf' | 'pushfd' | 'pushfw' | 'rcl'
  | 'rcr' | 'rdmsr' | 'rdpmc' | 'rdtsc' | 'ret' | 'retf' | 'retn' | 'rol' | 'ror' | 'rsm' | 'sahf' | 'sal' | 'sar'
  | 'sbb' | 'scasb' | 'scasd' | 'scasw' | 'seta' | 'setae' | 'setb' | 'setbe' | 'setc' | 'sete' | 'setg' | 'setge'
  | 'setl' | 'setle' | 'setna' | 'setnae' | 'setnb' | 'setnbe' | 'setnc' | 'setne' | 'setng' | 'setnge' | 'setnl'
  | 'setnle' | 'setno' | 'setnp' | 'setns' | 'setnz' | 'seto' | 'setp' | 'setpe' | 'setpo' | 'sets' | 'setz' | 'sgdt'
  | 'shl' | 'shld' | 'shr' | 'shrd' | 'sidt' | 'sldt' | 'smsw' | 'stc' | 'std' | 'sti' | 'stosb' | 'stosd' | 'stosw'
  | 'str' | 'sub' | 'test' | 'ud2' | 'ud2a' | 'verr' | 'verw' | 'wait' | 'wbinvd' | 'wrmsr' | 'xadd' | 'xchg'
  | 'xlatb' | 'xor';

