import { describe, expect, it } from 'vitest';
import { CODE, PGTAB, SEL, STACK0, STACK1, runAsm, setGate, makeMachine, nasm } from './harness.js';

const claimAll = (m: { cpu: { claimException(v: number, c: boolean): void } }) => { for (let v = 0; v < 32; v++) m.cpu.claimException(v, true); };

describe('privileged instructions in ring 1 exit as #GP at the instruction', () => {
  for (const insn of ['cli', 'sti', 'hlt', 'mov cr3, eax', 'lgdt [0x1000]', 'in al, 0x60', 'out dx, al', 'mov eax, cr0', 'invlpg [0]', 'wrmsr', 'lidt [0]', 'ltr ax', 'clts']) {
    it(insn, () => {
      const r = runAsm(`nop\n${insn}\nnop`, { cpl: 1, setup: claimAll });
      expect(r.exit).toEqual({ kind: 'exception', vector: 13, errorCode: 0, insnEip: CODE + 1 });
      expect(r.cpu.eip).toBe(CODE + 1);
    });
  }
  it('cli is allowed when IOPL >= CPL', () => {
    const r = runAsm('cli\nhlt', { cpl: 0, setup: (m) => m.cpu.setEflags(0x202) });
    expect(r.exit.kind).toBe('hlt');
    expect(r.cpu.getEflags() & 0x200).toBe(0);
  });
  it('popf in ring 1 with IOPL 0 leaves IF and IOPL alone', () => {
    const r = runAsm('push 0x3002\npopfd\nint 0x82', { cpl: 1, setup: (m) => { m.cpu.setEflags(0x202); m.cpu.claimInterrupt(0x82, true); } });
    expect(r.cpu.getEflags() & 0x3200).toBe(0x200);
  });
});

describe('paging faults', () => {
  it('not-present read: #PF with CR2 and error code 0 (supervisor) / 4 (user)', () => {
    for (const cpl of [1, 3] as const) {
      const r = runAsm('mov eax, [0x123456]', { cpl, setup: (m) => { claimAll(m); m.mem.write32(PGTAB + 0x123 * 4, 0); } });
      expect(r.exit).toEqual({ kind: 'exception', vector: 14, errorCode: cpl === 3 ? 4 : 0, cr2: 0x123456, insnEip: CODE });
      expect(r.cpu.cr2).toBe(0x123456);
    }
  });
  it('write to a read-only page: error code 3 in ring 1 with CR0.WP, 7 in ring 3', () => {
    for (const cpl of [1, 3] as const) {
      const r = runAsm('mov dword [0x200010], 1', { cpl, setup: (m) => { claimAll(m); m.mem.write32(PGTAB + 0x200 * 4, 0x200005); } });
      expect(r.exit).toMatchObject({ kind: 'exception', vector: 14, errorCode: cpl === 3 ? 7 : 3, cr2: 0x200010 });
    }
  });
  it('supervisor write to a read-only page succeeds when CR0.WP is clear', () => {
    const r = runAsm('mov dword [0x200010], 1\nint 0x82', { cpl: 0, setup: (m) => {
      claimAll(m); m.cpu.claimInterrupt(0x82, true); m.mem.write32(PGTAB + 0x200 * 4, 0x200005); m.cpu.setCr0(m.cpu.cr0 & ~0x10000);
    } });
    expect(r.exit.kind).toBe('interrupt');
    expect(r.mem.read32(0x200010)).toBe(1);
  });
  it('user access to a supervisor page: error code 5', () => {
    const r = runAsm('mov eax, [0x200000]', { cpl: 3, setup: (m) => { claimAll(m); m.mem.write32(PGTAB + 0x200 * 4, 0x200003); } });
    expect(r.exit).toMatchObject({ vector: 14, errorCode: 5, cr2: 0x200000 });
  });
  it('sets accessed and dirty bits', () => {
    const r = runAsm('mov eax, [0x201000]\nmov [0x202000], eax\nint 0x82', { cpl: 1, setup: (m) => { m.cpu.claimInterrupt(0x82, true); } });
    expect(r.mem.read32(PGTAB + 0x201 * 4) & 0x60).toBe(0x20);
    expect(r.mem.read32(PGTAB + 0x202 * 4) & 0x60).toBe(0x60);
  });
  it('a fault in the second page of a split access reports the second page', () => {
    const r = runAsm('mov eax, [0x200ffe]', { cpl: 1, setup: (m) => { claimAll(m); m.mem.write32(PGTAB + 0x201 * 4, 0); } });
    expect(r.exit).toMatchObject({ vector: 14, errorCode: 0, cr2: 0x201000 });
  });
  it('invlpg and CR3 reload drop stale translations', () => {
    const r = runAsm(`
      mov eax, [0x200000]     ; maps 0x200000 -> 0x200000, cached in the TLB
      mov dword [${PGTAB + 0x200 * 4}], 0x300007
      mov ebx, [0x200000]     ; stale TLB entry: still the old page
      invlpg [0x200000]
      mov ecx, [0x200000]     ; new page
      hlt`, { cpl: 0, setup: (m) => { m.mem.write32(0x200000, 0xaaaa); m.mem.write32(0x300000, 0xbbbb); } });
    expect(r.exit.kind).toBe('hlt');
    expect([r.cpu.regs[0], r.cpu.regs[3], r.cpu.regs[1]]).toEqual([0xaaaa, 0xaaaa, 0xbbbb]);
  });
  it('4 MiB pages with CR4.PSE', () => {
    const r = runAsm('mov eax, [0x400010]\nhlt', { cpl: 0, setup: (m) => {
      m.cpu.setCr4(0x10); m.mem.write32(0x4000 + 4, 0x800000 | 0x87); m.mem.write32(0x800010, 0x5a5a);
    }, memory: 16 << 20 });
    expect(r.cpu.regs[0]).toBe(0x5a5a);
  });
});

describe('segment limits and privilege', () => {
  it('an access beyond a ring-1 segment limit is #GP(0); on the stack #SS(0)', () => {
    // Flat ring-1 segments limited to 0x00800fff (limitPages 0x800), as Xen limits them below its area.
    const r = runAsm('mov eax, [0x900000]', { cpl: 1, limitPages: 0x800, memory: 16 << 20, setup: claimAll });
    expect(r.exit).toEqual({ kind: 'exception', vector: 13, errorCode: 0, insnEip: CODE });
    const s = runAsm('mov esp, 0x900000\npush eax', { cpl: 1, limitPages: 0x800, memory: 16 << 20, setup: claimAll });
    expect(s.exit).toMatchObject({ kind: 'exception', vector: 12, errorCode: 0 });
  });
  it('a 4-byte access straddling the limit faults', () => {
    const r = runAsm('mov eax, [0x800ffe]', { cpl: 1, limitPages: 0x800, memory: 16 << 20, setup: claimAll });
    expect(r.exit).toMatchObject({ vector: 13 });
  });
  it('ring 1 cannot load a ring-0 data segment; loadSegment reports the same', () => {
    const r = runAsm(`mov ax, ${SEL.DS0}\nmov ds, ax`, { cpl: 1, setup: claimAll });
    expect(r.exit).toEqual({ kind: 'exception', vector: 13, errorCode: SEL.DS0, insnEip: CODE + 4 });
    expect(r.cpu.loadSegment(3, SEL.DS0)).toEqual({ vector: 13, errorCode: SEL.DS0 });
    expect(r.cpu.loadSegment(3, SEL.DS3)).toBeNull();
    expect(r.cpu.segs[3].selector).toBe(SEL.DS3);
  });
  it('a null data segment loads but faults on use', () => {
    const r = runAsm('xor eax, eax\nmov es, ax\nmov ebx, [es:0]', { cpl: 1, setup: claimAll });
    expect(r.exit).toMatchObject({ vector: 13, errorCode: 0, insnEip: CODE + 4 });
  });
});

describe('exceptions through the IDT', () => {
  it('#DE from ring 3 switches to the ring-0 stack from the TSS and pushes SS, ESP, EFLAGS, CS, EIP', () => {
    const handler = CODE + 0x100;
    const m = makeMachine({ cpl: 3 });
    m.mem.writeBytes(CODE, nasm('xor ecx, ecx\ndiv ecx', CODE));
    m.mem.writeBytes(handler, nasm('hlt', handler));
    setGate(m, 0, handler, SEL.CS0, 0);
    m.cpu.setEflags(0x202);
    const exit = m.cpu.run(100);
    expect(exit.kind).toBe('hlt');
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.regs[4]).toBe(STACK0 - 20);
    const frame = [0, 4, 8, 12, 16].map((o) => m.mem.read32(STACK0 - 20 + o));
    expect(frame).toEqual([CODE + 2, SEL.CS3, 0x246, 0xb000, SEL.DS3]); // ZF PF from xor
    expect(m.cpu.getEflags() & 0x200).toBe(0); // interrupt gate clears IF
    expect(m.cpu.segs[2].selector).toBe(SEL.DS0);
  });
  it('#PF to a ring-1 handler: frame with error code, then iret back to ring 3', () => {
    const handler = CODE + 0x100;
    const m = makeMachine({ cpl: 3 });
    m.mem.writeBytes(CODE, nasm('mov eax, [0x123000]\nint 0x82', CODE));
    m.mem.writeBytes(handler, nasm(`
      mov ebx, [esp]          ; error code
      mov dword [${PGTAB + 0x123 * 4}], 0x123007
      add esp, 4
      iretd`, handler));
    setGate(m, 14, handler, SEL.CS1, 0);
    m.cpu.claimInterrupt(0x82, true);
    m.mem.write32(PGTAB + 0x123 * 4, 0);
    m.mem.write32(0x123000, 0x77);
    const exit = m.cpu.run(100);
    expect(exit).toMatchObject({ kind: 'interrupt', vector: 0x82 });
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.regs[3]).toBe(4);
    expect(m.cpu.regs[0]).toBe(0x77);
    expect(m.cpu.regs[4]).toBe(0xb000);
    expect(m.cpu.cr2).toBe(0x123000);
    expect(m.cpu.regs[4]).toBe(0xb000);
    void STACK1;
  });
  it('int n from ring 3 through a DPL-0 gate is #GP(vector*8+2)', () => {
    const r = runAsm('int 0x80', { cpl: 3, setup: (m) => { claimAll(m); setGate(m, 0x80, CODE + 0x100, SEL.CS1, 0); } });
    expect(r.exit).toEqual({ kind: 'exception', vector: 13, errorCode: 0x80 * 8 + 2, insnEip: CODE });
    expect(r.cpu.eip).toBe(CODE); // a fault of the int instruction: restartable
  });
  it('int 0x80 through a DPL-3 trap gate to ring 1 keeps IF', () => {
    const r = runAsm('int 0x80', { cpl: 3, budget: 1, setup: (m) => { setGate(m, 0x80, CODE + 0x100, SEL.CS1, 3, 0xf); m.cpu.setEflags(0x202); } });
    expect(r.cpu.cpl).toBe(1);
    expect(r.cpu.eip).toBe(CODE + 0x100);
    expect(r.cpu.getEflags() & 0x200).toBe(0x200);
    expect(r.mem.read32(STACK1 - 20)).toBe(CODE + 2);
  });
  it('a fault while delivering a fault is a double fault; a third is a triple fault', () => {
    const r = runAsm('xor ecx, ecx\ndiv ecx', { cpl: 1, setup: (m) => { m.cpu.idtr = { base: 0x2000, limit: 0 }; } });
    expect(r.exit).toEqual({ kind: 'shutdown', reason: 'triple fault' });
  });
  it('claimed #DF exits with error code 0', () => {
    const r = runAsm('xor ecx, ecx\ndiv ecx', { cpl: 1, setup: (m) => { m.cpu.idtr = { base: 0x2000, limit: 0 }; m.cpu.claimException(8, true); } });
    expect(r.exit).toMatchObject({ kind: 'exception', vector: 8, errorCode: 0 });
  });
  it('ud2 and bad opcodes raise #UD at the instruction', () => {
    for (const src of ['ud2', 'db 0x0f, 0xff', 'lea eax, [eax]\ndb 0x8d, 0xc0', 'db 0xf0, 0x90']) {
      const r = runAsm(src, { cpl: 1, setup: claimAll });
      expect(r.exit).toMatchObject({ kind: 'exception', vector: 6 });
    }
  });
});

describe('lock prefix on a jump', () => {
  it('is #UD every time, also once its block is hot and compiled', () => {
    const m = makeMachine({ cpl: 1 });
    m.mem.writeBytes(CODE, nasm('inc eax\ndb 0xf0\njl $+2\nnop', CODE));
    claimAll(m);
    for (let k = 0; k < 100; k++) {
      m.cpu.eip = CODE;
      expect(m.cpu.run(10), `pass ${k}`).toEqual({ kind: 'exception', vector: 6, insnEip: CODE + 1 });
    }
    expect(m.cpu.regs[0]).toBe(100);
  });
});

describe('exits', () => {
  it('stops exactly at the budget and resumes', () => {
    const m = makeMachine({ cpl: 1 });
    m.mem.writeBytes(CODE, nasm('l: inc eax\njmp l', CODE));
    expect(m.cpu.run(1001)).toEqual({ kind: 'budget' });
    expect(m.clock.instructions).toBe(1001);
    expect(m.cpu.regs[0]).toBe(501);
    m.cpu.run(1);
    expect(m.cpu.regs[0]).toBe(501);
    m.cpu.run(1);
    expect(m.cpu.regs[0]).toBe(502);
  });
  it('claimed I/O exits with the port and value', () => {
    const r = runAsm('mov dx, 0x1234\nmov eax, 0x55\nout dx, al', { cpl: 0, setup: (m) => m.cpu.claimAllIo(true) });
    expect(r.exit).toEqual({ kind: 'io', port: 0x1234, size: 1, write: true, value: 0x55, insnEip: CODE + 9 });
  });
  it('self-modifying code sees its own writes', () => {
    const r = runAsm(`
      mov ecx, 2
    again:
      mov eax, 1
    patch equ $-4
      dec ecx
      jz done
      mov dword [patch], 42
      jmp again
    done: hlt`, { cpl: 0 });
    expect(r.cpu.regs[0]).toBe(42);
  });
  it('host writes invalidate decoded code', () => {
    const m = makeMachine({ cpl: 0 });
    m.mem.writeBytes(CODE, nasm('mov eax, 1\nhlt', CODE));
    m.cpu.run(10);
    expect(m.cpu.regs[0]).toBe(1);
    m.mem.write32(CODE + 1, 7);
    m.cpu.eip = CODE;
    m.cpu.run(10);
    expect(m.cpu.regs[0]).toBe(7);
  });
  it('translate/readLinear/writeLinear have no side effects and fail cleanly', () => {
    const m = makeMachine({ cpl: 1 });
    m.mem.write32(PGTAB + 0x200 * 4, 0x200005);
    expect(m.cpu.translate(0x200123, { write: false, user: true })).toBe(0x200123);
    expect(m.cpu.translate(0x200123, { write: true, user: true })).toBeNull();
    expect(m.mem.read32(PGTAB + 0x200 * 4) & 0x20).toBe(0);
    expect(m.cpu.writeLinear(0x1ffffe, new Uint8Array([1, 2, 3, 4]), { write: true, user: false })).toBe(false);
    expect(m.mem.read8(0x1ffffe)).toBe(0);
    expect(m.cpu.writeLinear(0x1ffffe, new Uint8Array([1, 2]), { write: true, user: false })).toBe(true);
    expect(Array.from(m.cpu.readLinear(0x1ffffe, 4, { write: false, user: false })!)).toEqual([1, 2, 0, 0]);
    expect(m.cpu.readLinear(0x7ffffffe, 4, { write: false, user: false })).toBeNull();
  });
});

describe('single-step and PAE', () => {
  it('EFLAGS.TF raises #DB after each instruction (a trap: EIP after it)', () => {
    const r = runAsm('nop\nnop\nnop', { cpl: 1, setup: (m) => { m.cpu.claimException(1, true); m.cpu.setEflags(0x302); } });
    expect(r.exit).toEqual({ kind: 'exception', vector: 1, insnEip: CODE + 1 });
    expect(r.cpu.eip).toBe(CODE + 1);
    expect(r.cpu.dr[6] & 0x4000).toBe(0x4000);
    expect(r.clock.instructions).toBe(1);
  });
  it('a load of SS holds the single-step trap back one instruction (mov ss and pop ss)', () => {
    for (const [src, len] of [['mov ss, ax', 2], ['pop ss', 1]] as const) {
      const m = makeMachine({ cpl: 1 });
      m.mem.writeBytes(CODE, nasm(`${src}\nnop\nnop`, CODE));
      m.cpu.regs[0] = SEL.DS1;
      m.cpu.regs[4] = STACK1 - 4; m.mem.write32(STACK1 - 4, SEL.DS1);
      m.cpu.claimException(1, true);
      m.cpu.setEflags(0x302);
      expect(m.cpu.run(10), src).toEqual({ kind: 'exception', vector: 1, insnEip: CODE + len + 1 });
      expect(m.clock.instructions).toBe(2);
    }
  });
  it('a rep string instruction under EFLAGS.TF traps after each iteration, EIP at it until the last', () => {
    const m = makeMachine({ cpl: 1 });
    m.mem.writeBytes(CODE, nasm('rep stosb\nnop', CODE));
    m.cpu.regs[1] = 3; m.cpu.regs[7] = 0x20000;
    m.cpu.claimException(1, true);
    m.cpu.setEflags(0x102);
    const stops = [1, 2, 3].map(() => { const e = m.cpu.run(10); return [e.kind === 'exception' && e.insnEip, m.cpu.eip, m.cpu.regs[1]]; });
    expect(stops).toEqual([[CODE, CODE, 2], [CODE, CODE, 1], [CODE + 2, CODE + 2, 0]]);
  });
  it('int1 (icebp, F1) from ring 3 is a #DB trap with no gate DPL check (QEMU 7.2 raises #UD, so SDM only)', () => {
    const handler = CODE + 0x100;
    const r = runAsm('nop\nint1', { cpl: 3, setup: (m) => { setGate(m, 1, handler, SEL.CS0, 0); m.mem.writeBytes(handler, nasm('hlt', handler)); } });
    expect(r.exit.kind).toBe('hlt');
    expect([0, 4, 8].map((o) => r.mem.read32(STACK0 - 20 + o))).toEqual([CODE + 2, SEL.CS3, 0x2]);
  });
  it('debug registers: an instruction breakpoint faults before the instruction, a data breakpoint traps after it; the host calls updateBreakpoints after writing dr', () => {
    const m = makeMachine({ cpl: 1 });
    m.mem.writeBytes(CODE, nasm('nop\nmov dword [0x20004], 1\nmov eax, [0x20004]\nnop\nnop', CODE));
    m.cpu.claimException(1, true);
    m.cpu.dr[0] = CODE + 16; // the nop after the two movs (1 + 10 + 5 bytes in)
    m.cpu.dr[1] = 0x20004;
    m.cpu.dr[7] = 0x400 | 0x1 | 0x4 | (0xd << 20); // L0 execute; L1 write, 4 bytes
    m.cpu.updateBreakpoints();
    expect(m.cpu.run(10)).toEqual({ kind: 'exception', vector: 1, insnEip: CODE + 11 }); // after the write
    expect(m.cpu.dr[6] & 0xf).toBe(2);
    expect(m.cpu.run(10)).toEqual({ kind: 'exception', vector: 1, insnEip: CODE + 16 }); // the read does not trap; the nop at DR0 faults
    expect(m.cpu.eip).toBe(CODE + 16);
    expect(m.cpu.dr[6] & 0xf).toBe(1);
    m.cpu.setEflags(m.cpu.getEflags() | 0x10000); // RF: run it once
    expect(m.cpu.run(2)).toEqual({ kind: 'budget' });
    expect(m.cpu.eip).toBe(CODE + 18);
  });
  it('int n under EFLAGS.TF enters its handler with TF clear and no #DB', () => {
    const m = makeMachine({ cpl: 3 });
    m.mem.writeBytes(CODE, nasm('int 0x80', CODE));
    m.mem.writeBytes(CODE + 0x100, nasm('nop\nhlt', CODE + 0x100));
    setGate(m, 0x80, CODE + 0x100, SEL.CS0, 3);
    m.cpu.claimException(1, true);
    m.cpu.setEflags(0x102);
    expect(m.cpu.run(10)).toEqual({ kind: 'hlt' });
    expect(m.mem.read32(STACK0 - 12) & 0x100).toBe(0x100); // TF kept in the pushed EFLAGS for iret
  });
  it('PAE paging: 3-level walk with 4 KiB and 2 MiB pages, faults with CR2', () => {
    const r = runAsm('mov eax, [0x40001234]\nmov ebx, [0x80201008]\nmov ecx, [0x80400000]', {
      cpl: 0, paging: false, memory: 16 << 20,
      setup: (m) => {
        const pdpt = 0x20000, pd1 = 0x21000, pd2 = 0x22000, pt = 0x23000, pd0 = 0x24000;
        m.mem.write32(pdpt, pd0 | 1); m.mem.write32(pdpt + 8, pd1 | 1); m.mem.write32(pdpt + 16, pd2 | 1);
        m.mem.write32(pd0, 0x00000083); // 0-2 MiB identity, 2 MiB page (code and stacks)
        m.mem.write32(pd1, pt | 7);
        m.mem.write32(pt + 1 * 8, 0x300007); // 0x40001000 -> 0x300000
        m.mem.write32(pd2 + 1 * 8, 0x00600083); // 0x80200000 -> 0x600000 (2 MiB)
        m.mem.write32(0x300234, 0x11111111); m.mem.write32(0x601008, 0x22222222);
        m.cpu.setCr4(0x20); m.cpu.setCr3(pdpt); m.cpu.setCr0(m.cpu.cr0 | 0x80000000);
        m.cpu.claimException(14, true);
      },
    });
    expect(r.cpu.regs[0]).toBe(0x11111111);
    expect(r.cpu.regs[3]).toBe(0x22222222);
    expect(r.exit).toMatchObject({ kind: 'exception', vector: 14, errorCode: 0, cr2: 0x80400000 });
    expect(r.mem.read32(0x23008) & 0x20).toBe(0x20);
  });
});

describe('PAE reserved bits and accessed bits on faulting walks', () => {
  const pae = (m: { mem: { write32(a: number, v: number): void }; cpu: { setCr4(v: number): void; setCr3(v: number): void; setCr0(v: number): void; cr0: number } }) => {
    const pdpt = 0x20000, pd0 = 0x21000, pt = 0x22000;
    m.mem.write32(pdpt, pd0 | 1);
    m.mem.write32(pd0, 0x00000087); // 0-2 MiB identity (code and stacks), user
    m.mem.write32(pd0 + 8, pt | 7); // 2-4 MiB through a table
    m.mem.write32(pt + 0 * 8, 0x300007); m.mem.write32(pt + 0 * 8 + 4, 0x80000000); // bit 63 without NX
    m.mem.write32(pt + 1 * 8, 0x301007); m.mem.write32(pt + 1 * 8 + 4, 0x00080000); // bit 51
    m.mem.write32(pd0 + 16, 0x00602087); // 2 MiB page with bit 13 set
    m.cpu.setCr4(0x20); m.cpu.setCr3(pdpt); m.cpu.setCr0(m.cpu.cr0 | 0x80000000);
  };
  for (const [what, src, cpl, err, cr2] of [
    ['bit 63 of a PTE, supervisor read', 'mov eax, [0x200010]', 0, 9, 0x200010],
    ['bit 51 of a PTE, user write', 'mov dword [0x201000], 1', 3, 0xf, 0x201000],
    ['bit 13 of a 2 MiB PDE, supervisor read', 'mov eax, [0x400000]', 0, 9, 0x400000],
  ] as const) {
    it(`${what}: #PF with P and RSVD set`, () => {
      const r = runAsm(src, { cpl, paging: false, memory: 8 << 20, setup: (m) => { claimAll(m); pae(m); } });
      expect(r.exit).toEqual({ kind: 'exception', vector: 14, errorCode: err, cr2, insnEip: CODE });
      expect(r.mem.read32(0x22000) & 0x20).toBe(0); // no accessed bit on a leaf that faulted
    });
  }
  it('a directory entry gets its accessed bit when walked even if the table entry is not present', () => {
    const r = runAsm('mov eax, [0x400000]', { cpl: 1, setup: (m) => {
      claimAll(m);
      m.mem.write32(0x4000 + 4, 0x6000 | 7); // PDE 1 -> an empty page table
    } });
    expect(r.exit).toMatchObject({ vector: 14, errorCode: 0, cr2: 0x400000 });
    expect(r.mem.read32(0x4000 + 4) & 0x60).toBe(0x20);
  });
});

describe('instruction fetch faults', () => {
  it('a jump to an unmapped page faults at the target with CR2 = target', () => {
    for (const cpl of [1, 3] as const) {
      const r = runAsm('nop\nmov eax, 0x123000\njmp eax', { cpl, setup: (m) => { claimAll(m); m.mem.write32(PGTAB + 0x123 * 4, 0); } });
      expect(r.exit).toEqual({ kind: 'exception', vector: 14, errorCode: cpl === 3 ? 4 : 0, cr2: 0x123000, insnEip: 0x123000 });
      expect(r.cpu.eip).toBe(0x123000);
      expect(r.clock.instructions).toBe(4); // nop, mov, jmp, and the fault
    }
  });
  it('an instruction crossing into an unmapped page faults at its start with CR2 on the next page', () => {
    const r = runAsm('mov eax, 0x200ffe\njmp eax', { cpl: 1, setup: (m) => {
      claimAll(m);
      m.mem.write32(PGTAB + 0x201 * 4, 0);
      m.mem.writeBytes(0x200ffe, new Uint8Array([0xb8, 0x01])); // mov eax, imm32 split across the pages
    } });
    expect(r.exit).toEqual({ kind: 'exception', vector: 14, errorCode: 0, cr2: 0x201000, insnEip: 0x200ffe });
  });
  it('running past the CS limit is #GP(0) at the instruction', () => {
    const r = runAsm('mov eax, 0x900000\njmp eax', { cpl: 1, limitPages: 0x800, memory: 16 << 20, setup: claimAll });
    expect(r.exit).toMatchObject({ kind: 'exception', vector: 13, errorCode: 0, insnEip: CODE + 5 });
  });
});

describe('more exception paths', () => {
  it('#NP: loading a not-present data segment, error code = selector', () => {
    const r = runAsm('mov ax, 0x48\nmov ds, ax', { cpl: 0, setup: (m) => {
      claimAll(m);
      m.mem.write32(0x1000 + 0x48, 0x0000ffff); m.mem.write32(0x1000 + 0x4c, 0x00cf1200); // data, P=0
      m.cpu.gdtr = { base: 0x1000, limit: 0x4f };
    } });
    expect(r.exit).toEqual({ kind: 'exception', vector: 11, errorCode: 0x48, insnEip: CODE + 4 });
  });
  it('#SS: loading a not-present stack segment', () => {
    const r = runAsm('mov ax, 0x48\nmov ss, ax', { cpl: 0, setup: (m) => {
      claimAll(m);
      m.mem.write32(0x1000 + 0x48, 0x0000ffff); m.mem.write32(0x1000 + 0x4c, 0x00cf1200);
      m.cpu.gdtr = { base: 0x1000, limit: 0x4f };
    } });
    expect(r.exit).toMatchObject({ vector: 12, errorCode: 0x48 });
  });
  it('#TS: a ring switch through a TSS whose ring-1 SS is bad', () => {
    const r = runAsm('int 0x80', { cpl: 3, setup: (m) => {
      claimAll(m);
      setGate(m, 0x80, CODE + 0x100, SEL.CS1, 3);
      m.mem.write32(0x3000 + 16, SEL.DS3); // SS1 = a ring-3 selector
    } });
    expect(r.exit).toEqual({ kind: 'exception', vector: 10, errorCode: SEL.DS3 & 0xfffc, insnEip: CODE });
    expect(r.cpu.cpl).toBe(3);
  });
  it('#NM: an x87 instruction with CR0.TS set; #UD without an FPU', () => {
    const nm = runAsm('fninit', { cpl: 0, setup: (m) => { claimAll(m); m.cpu.setCr0(m.cpu.cr0 | 8); } });
    expect(nm.exit).toMatchObject({ kind: 'exception', vector: 7, insnEip: CODE });
    const u = runAsm('fninit', { cpl: 0, setup: claimAll });
    expect(u.exit).toMatchObject({ kind: 'exception', vector: 6 });
  });
  it('#GP through the IDT from ring 1 to a ring-0 handler pushes the error code on the ring-0 stack', () => {
    const handler = CODE + 0x100;
    const r = runAsm(`mov ax, ${SEL.DS0}\nmov ds, ax`, { cpl: 1, setup: (m) => {
      setGate(m, 13, handler, SEL.CS0, 0);
      m.mem.writeBytes(handler, nasm('hlt', handler));
    } });
    expect(r.exit.kind).toBe('hlt');
    const frame = [0, 4, 8, 12, 16, 20].map((o) => r.mem.read32(STACK0 - 24 + o));
    expect(frame).toEqual([SEL.DS0, CODE + 4, SEL.CS1, 0x2, STACK1, SEL.DS1]);
  });
  it('a #PF whose frame push faults becomes #DF, and a fault delivering #DF is a triple fault', () => {
    const r = runAsm('mov eax, [0x300000]', { cpl: 1, setup: (m) => {
      m.mem.write32(PGTAB + 0x300 * 4, 0); // the data page and the ring-0 stack page below 0x301000
      m.mem.write32(0x3000 + 4, 0x301000); // TSS ESP0
      setGate(m, 14, CODE + 0x200, SEL.CS0, 0);
      setGate(m, 8, CODE + 0x200, SEL.CS0, 0);
    } });
    expect(r.exit).toEqual({ kind: 'shutdown', reason: 'triple fault' });
    expect(r.cpu.cr2).toBe(0x300ffc); // the last fault: pushing the #DF frame
    expect(r.cpu.cpl).toBe(1);
  });
});

describe('alignment check', () => {
  it('#AC(0) on a misaligned ring-3 data access with CR0.AM and EFLAGS.AC; none when AC is clear', () => {
    const src = `
      mov eax, [0x20000]      ; aligned: fine
      mov eax, [0x20001]      ; misaligned`;
    const on = runAsm(src, { cpl: 3, setup: (m) => { claimAll(m); m.cpu.setCr0(m.cpu.cr0 | 0x40000); m.cpu.setEflags(0x40202); } });
    expect(on.exit).toEqual({ kind: 'exception', vector: 17, errorCode: 0, insnEip: CODE + 5 });
    const off = runAsm(src + '\nint 0x80', { cpl: 3, setup: (m) => { claimAll(m); m.cpu.claimInterrupt(0x80, true); m.cpu.setCr0(m.cpu.cr0 | 0x40000); } });
    expect(off.exit.kind).toBe('interrupt');
    const ring1 = runAsm(src + '\nint 0x80', { cpl: 1, setup: (m) => { claimAll(m); m.cpu.claimInterrupt(0x80, true); m.cpu.setCr0(m.cpu.cr0 | 0x40000); m.cpu.setEflags(0x40202); } });
    expect(ring1.exit.kind).toBe('interrupt');
  });
  it('#AC through the IDT from ring 3: ring-0 frame with error code 0, EIP at the access, SS:ESP of ring 3', () => {
    const handler = CODE + 0x100;
    const r = runAsm('mov eax, [0x20001]', { cpl: 3, setup: (m) => {
      setGate(m, 17, handler, SEL.CS0, 0);
      m.mem.writeBytes(handler, nasm('hlt', handler));
      m.cpu.setCr0(m.cpu.cr0 | 0x40000); m.cpu.setEflags(0x40002);
    } });
    expect(r.exit.kind).toBe('hlt');
    expect(r.cpu.regs[4]).toBe(STACK0 - 24);
    const frame = [0, 4, 8, 12, 16, 20].map((o) => r.mem.read32(STACK0 - 24 + o));
    expect(frame).toEqual([0, CODE, SEL.CS3, 0x40002, 0xb000, SEL.DS3]);
  });
});

describe('global pages', () => {
  it('a CR3 reload keeps global TLB entries (CR4.PGE) and drops the others; flushTlb drops both', () => {
    const m = makeMachine({ cpl: 0 });
    m.cpu.setCr4(0x80);
    m.mem.write32(PGTAB + 0x200 * 4, 0x200000 | 0x107); // global
    m.mem.write32(PGTAB + 0x201 * 4, 0x201000 | 0x007); // not global
    m.mem.write32(0x200000, 0xaa); m.mem.write32(0x201000, 0xbb); m.mem.write32(0x300000, 0xcc);
    const read = (lin: number) => { m.mem.writeBytes(CODE, nasm(`mov eax, [${lin}]\nhlt`, CODE)); m.cpu.eip = CODE; m.cpu.run(10); return m.cpu.regs[0]; };
    expect([read(0x200000), read(0x201000)]).toEqual([0xaa, 0xbb]);
    m.mem.write32(PGTAB + 0x200 * 4, 0x300000 | 0x107);
    m.mem.write32(PGTAB + 0x201 * 4, 0x300000 | 0x007);
    m.cpu.setCr3(m.cpu.cr3);
    expect([read(0x200000), read(0x201000)]).toEqual([0xaa, 0xcc]);
    m.cpu.flushTlb();
    expect(read(0x200000)).toBe(0xcc);
  });
});
