// Instruction semantics beyond flags (those are compared with the host CPU
// and QEMU elsewhere): data movement, strings, stack frames, system
// instructions, far transfers.
import { describe, expect, it } from 'vitest';
import { CODE, GDT, SEL, TSS, runAsm } from './harness.js';

const claim = (m: { cpu: { claimInterrupt(v: number, c: boolean): void; claimException(v: number, c: boolean): void } }) => {
  m.cpu.claimInterrupt(0x80, true);
  for (let v = 0; v < 32; v++) m.cpu.claimException(v, true);
};
const run = (src: string, cpl: 0 | 1 | 3 = 0) => runAsm(`${src}\nint 0x80`, { cpl, setup: claim });

describe('data movement and arithmetic', () => {
  it('rep movsd / rep stosb / movsb backwards with DF', () => {
    const r = run(`
      mov edi, 0x20000
      mov ecx, 16
      mov al, 0xab
      rep stosb
      mov esi, 0x20000
      mov edi, 0x20100
      mov ecx, 4
      rep movsd
      std
      mov esi, 0x20103
      mov edi, 0x20203
      mov ecx, 2
      rep movsb
      cld`);
    expect(r.exit.kind).toBe('interrupt');
    expect(r.mem.read32(0x2000c)).toBe(0xabababab);
    expect(r.mem.read32(0x2010c)).toBe(0xabababab);
    expect(r.mem.read16(0x20202)).toBe(0xabab);
    expect(r.mem.read8(0x20201)).toBe(0);
    expect(r.cpu.regs[1]).toBe(0);
    expect(r.cpu.regs[6]).toBe(0x20101);
  });
  it('repe cmpsb stops at the first difference; repne scasb finds a byte', () => {
    const r = run(`
      mov dword [0x20000], 0x44434241
      mov dword [0x20010], 0x44584241
      mov esi, 0x20000
      mov edi, 0x20010
      mov ecx, 4
      repe cmpsb
      mov ebx, ecx
      mov edi, 0x20000
      mov ecx, 10
      mov al, 0x43
      repne scasb
      mov edx, edi`);
    expect(r.cpu.regs[3]).toBe(1); // stopped after the 3rd byte
    expect(r.cpu.regs[2]).toBe(0x20003);
    expect(r.cpu.regs[1]).toBe(7);
  });
  it('a long rep stosd yields to the budget and resumes with ECX counting down', () => {
    const r = runAsm('mov edi, 0x100000\nmov ecx, 0x10000\nxor eax, eax\ndec eax\nrep stosd\nint 0x80', { cpl: 0, budget: 6, setup: claim });
    expect(r.exit.kind).toBe('budget');
    expect(r.cpu.eip).toBe(CODE + 13); // at the rep stosd
    expect(r.cpu.regs[1]).toBeGreaterThan(0);
    const exit = r.cpu.run(1000);
    expect(exit.kind).toBe('interrupt');
    expect(r.mem.read32(0x13fffc)).toBe(0xffffffff);
  });
  it('enter/leave, pusha/popa, xchg, xadd, cmpxchg8b, bswap, xlat, cbw/cwd', () => {
    const r = run(`
      mov ebp, 0x1234
      enter 16, 0
      mov ecx, ebp
      leave
      mov eax, 1
      mov ebx, 2
      pusha
      mov eax, 0
      mov ebx, 0
      popa
      mov dword [0x20000], 5
      mov edx, 3
      xadd [0x20000], edx
      mov dword [0x20008], 0x11111111
      mov dword [0x2000c], 0x22222222
      push eax
      push ebx
      mov eax, 0x11111111
      mov edx, 0x22222222
      mov ebx, 0xaaaaaaaa
      mov ecx, 0xbbbbbbbb
      cmpxchg8b [0x20008]
      mov esi, 0x12345678
      bswap esi
      pop ebx
      pop eax
      mov byte [0x20105], 0x77
      mov edi, ebx
      mov ebx, 0x20100
      mov al, 5
      xlatb
      mov ebx, edi
      mov edi, eax
      mov ax, 0x8000
      cwd`);
    expect(r.cpu.regs[1]).toBe(0xbbbbbbbb);
    expect(r.mem.read32(0x20000)).toBe(8);
    expect(r.mem.read32(0x20008)).toBe(0xaaaaaaaa);
    expect(r.mem.read32(0x2000c)).toBe(0xbbbbbbbb);
    expect(r.cpu.regs[6]).toBe(0x78563412);
    expect(r.cpu.regs[7] & 0xff).toBe(0x77);
    expect(r.cpu.regs[2] & 0xffff).toBe(0xffff);
    expect(r.cpu.regs[3]).toBe(2);
  });
  it('16-bit operand size and 16-bit addressing prefixes', () => {
    const r = run(`
      mov eax, 0xffffffff
      mov ax, 0x1234
      add ax, 0xffff
      mov ebx, 0x20000
      mov word [ebx], 0xbeef
      movzx ecx, word [ebx]
      push word 0x5678
      pop dx
      a16 mov esi, [bx+si]`);
    expect(r.cpu.regs[0]).toBe(0xffff1233);
    expect(r.cpu.regs[1]).toBe(0xbeef);
    expect(r.cpu.regs[2] & 0xffff).toBe(0x5678);
  });
  it('div by zero and quotient overflow raise #DE at the instruction', () => {
    for (const src of ['xor ebx, ebx\ndiv ebx', 'mov edx, 1\nmov eax, 0\nmov ebx, 1\ndiv ebx', 'mov edx, 0xffffffff\nmov eax, 0x80000000\nmov ebx, 0xffffffff\nidiv ebx', 'mov ax, 0x100\nmov bl, 1\ndiv bl', 'mov al, 5\naam 0']) {
      const r = run(src);
      expect(r.exit, src).toMatchObject({ kind: 'exception', vector: 0 });
    }
  });
});

describe('system instructions', () => {
  it('sgdt/sidt/str/sldt/smsw, lar/lsl/verr/verw', () => {
    const r = run(`
      sgdt [0x20000]
      sidt [0x20010]
      str ax
      sldt bx
      mov cx, ${SEL.DS3}
      lar edx, ecx
      lsl esi, ecx
      verw cx
      setz byte [0x20020]
      mov cx, ${SEL.CS3}
      verw cx
      setz byte [0x20021]
      verr cx
      setz byte [0x20022]`, 0);
    expect(r.mem.read16(0x20000)).toBe(8 * 8 - 1);
    expect(r.mem.read32(0x20002)).toBe(GDT);
    expect(r.cpu.regs[0] & 0xffff).toBe(SEL.TSS);
    expect(r.cpu.regs[3] & 0xffff).toBe(0);
    expect(r.cpu.regs[2]).toBe(0x00c0f300); // masked with 0x00f0ff00 (limit bits undefined), as QEMU does
    expect(r.cpu.regs[6]).toBe(0xffffffff);
    expect([r.mem.read8(0x20020), r.mem.read8(0x20021), r.mem.read8(0x20022)]).toEqual([1, 0, 1]);
  });
  it('lgdt/ltr/mov crN/invlpg/cpuid/rdtsc/rdmsr/wrmsr in ring 0', () => {
    const r = run(`
      lgdt [0x20000]
      mov eax, cr4
      or eax, 0x10
      mov cr4, eax
      mov ebx, cr4
      mov ecx, 0x174
      mov eax, 0x10
      xor edx, edx
      wrmsr
      xor eax, eax
      rdmsr
      mov esi, eax
      xor eax, eax
      cpuid
      mov edi, ebx
      rdtsc`, 0);
    expect(r.exit.kind).toBe('interrupt');
    expect(r.cpu.regs[3] & 0x10).toBe(0x10);
    expect(r.cpu.regs[6]).toBe(0x10);
    expect(r.cpu.regs[7]).toBe(0x6c6e6558); // "Xenl"
    expect(r.cpu.regs[0]).toBeGreaterThan(0);
  });
  it('DR6/DR7 keep their fixed bits; DR4/DR5 alias DR6/DR7, or #UD with CR4.DE', () => {
    const r = run('mov eax, dr6\nmov ebx, dr4\nxor ecx, ecx\nmov dr7, ecx\nmov ecx, dr5\nmov edx, 0x4000\nmov dr6, edx\nmov edx, dr6', 0);
    expect([r.cpu.regs[0], r.cpu.regs[3], r.cpu.regs[1], r.cpu.regs[2]]).toEqual([0xffff0ff0, 0xffff0ff0, 0x400, 0xffff4ff0]);
    const de = runAsm('mov eax, dr4', { cpl: 0, setup: (m) => { claim(m); m.cpu.setCr4(8); } });
    expect(de.exit).toMatchObject({ kind: 'exception', vector: 6, insnEip: CODE });
  });
  it('rdmsr of an unknown MSR is #GP', () => {
    expect(run('mov ecx, 0x12345\nrdmsr').exit).toMatchObject({ vector: 13, errorCode: 0 });
  });
  it('far jmp and far call/retf to a same-privilege code segment; retf to ring 3', () => {
    const r = run(`
      jmp ${SEL.CS0}:next
    next:
      call ${SEL.CS0}:sub
      mov ebx, 0x99
      push ${SEL.DS3}
      push 0xb000
      push ${SEL.CS3}
      push user
      retf
    sub:
      mov ecx, 0x42
      retf
    user:
      mov edx, 0x77`, 0);
    expect(r.cpu.regs[1]).toBe(0x42);
    expect(r.cpu.regs[3]).toBe(0x99);
    expect(r.cpu.regs[2]).toBe(0x77);
    expect(r.cpu.cpl).toBe(3);
    expect(r.cpu.segs[2].selector).toBe(SEL.DS3);
    expect(r.cpu.segs[3].selector).toBe(0); // ring-0 DS scrubbed on the way out
  });
  it('iretd to ring 3 checks the new stack segment', () => {
    const r = run(`
      push ${SEL.DS0}
      push 0xb000
      pushfd
      push ${SEL.CS3}
      push 0x12345
      iretd`, 0);
    expect(r.exit).toMatchObject({ kind: 'exception', vector: 13, errorCode: SEL.DS0 });
    expect(r.cpu.cpl).toBe(0);
  });
  it('pushf/popf from ring 0 can change IOPL; ring 3 then may use in/out', () => {
    const r = runAsm(`
      pushfd
      or dword [esp], 0x3000
      popfd
      push ${SEL.DS3}
      push 0xb000
      pushfd
      push ${SEL.CS3}
      push user
      iretd
    user:
      in al, 0x80
      int 0x80`, { cpl: 0, setup: (m) => { claim(m); m.cpu.claimAllIo(true); } });
    expect(r.exit).toMatchObject({ kind: 'io', port: 0x80, write: false });
    expect(r.cpu.cpl).toBe(3);
    void TSS;
  });
});

describe('faulting pushes', () => {
  it('a far call from ring 3 whose return address would land on a not-present page: #PF as a user write, ESP unchanged', () => {
    const r = runAsm(`mov esp, 0x21004\ncall ${SEL.CS3}:0x10100`, { cpl: 3, setup: (m) => {
      claim(m);
      m.mem.write32(0x5000 + 0x20 * 4, 0); // 0x20000-0x20fff not present
    } });
    expect(r.exit).toEqual({ kind: 'exception', vector: 14, errorCode: 6, cr2: 0x20ffc, insnEip: CODE + 5 });
    expect(r.cpu.regs[4]).toBe(0x21004);
  });
  it('pusha into a not-present page faults on its lowest store and writes nothing', () => {
    const r = runAsm('mov esp, 0x21010\npushad', { cpl: 3, setup: (m) => { claim(m); m.mem.write32(0x5000 + 0x20 * 4, 0); } });
    expect(r.exit).toMatchObject({ vector: 14, errorCode: 6, cr2: 0x20ff0 });
    expect(r.cpu.regs[4]).toBe(0x21010);
    expect([0, 4, 8, 12].map((o) => r.mem.read32(0x21000 + o))).toEqual([0, 0, 0, 0]);
  });
});

describe('call gates', () => {
  it('a ring-3 far call through a DPL-3 call gate enters ring 0 on the TSS stack with parameters copied; retf 8 returns', () => {
    const r = runAsm(`
      push 0x11111111
      push 0x22222222
      call 0x43:0           ; gate selector 0x40, RPL 3
      mov edi, esp
      int 0x80
    kernel:
      mov eax, [esp+8]      ; first copied parameter (pushed last)
      mov ebx, [esp+12]
      mov ecx, cs
      mov edx, [esp+20]     ; caller SS
      retf 8`, {
      cpl: 3,
      setup: (m) => {
        claim(m);
        const target = CODE + 0x15; // "kernel:" (5+5+7+2+2 bytes in)
        m.mem.write32(GDT + 0x40, ((SEL.CS0 << 16) | (target & 0xffff)) >>> 0);
        m.mem.write32(GDT + 0x44, ((target & 0xffff0000) | 0x8000 | (3 << 13) | (0xc << 8) | 2) >>> 0);
        m.cpu.gdtr = { base: GDT, limit: 0x47 };
      },
    });
    expect(r.exit).toMatchObject({ kind: 'interrupt', vector: 0x80 });
    expect(r.cpu.regs[0]).toBe(0x22222222);
    expect(r.cpu.regs[3]).toBe(0x11111111);
    expect(r.cpu.regs[1] & 0xffff).toBe(SEL.CS0);
    expect(r.cpu.regs[2]).toBe(SEL.DS3);
    expect(r.cpu.cpl).toBe(3);
    expect(r.cpu.regs[7]).toBe(0xb000);
  });
});
