import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock.js';
import { OneShotTimer } from '../devices/timer.js';
import { Serial16550 } from '../devices/serial.js';
import { DebugExit } from '../devices/debug-exit.js';
import { PhysicalMemory } from '../memory.js';
import { runAsm } from './harness.js';

describe('virtual clock and one-shot timer', () => {
  it('derives ns and TSC from retired instructions only', () => {
    const clock = new VirtualClock({ ips: 2e8, tscHz: 3e9 });
    clock.instructions = 1_000_000;
    expect(clock.ns()).toBe(5_000_000n);
    expect(clock.tsc()).toBe(15_000_000n);
    expect(clock.instructionsAt(5_000_000n)).toBe(1_000_000);
  });
  it('bounds run budgets by the deadline and fires once', () => {
    const clock = new VirtualClock(); // 1 instruction = 1 ns
    const t = new OneShotTimer(clock);
    expect(t.budgetUntilDeadline(1000)).toBe(1000);
    t.arm(500n);
    expect(t.budgetUntilDeadline(1000)).toBe(500);
    clock.instructions = 499;
    expect(t.poll()).toBe(false);
    clock.instructions = 500;
    expect(t.poll()).toBe(true);
    expect(t.poll()).toBe(false);
    expect(t.armed).toBe(false);
  });
  it('rdtsc in the guest reads the virtual TSC, deterministically', () => {
    const a = runAsm('nop\nnop\nrdtsc\nhlt', { cpl: 0 });
    const b = runAsm('nop\nnop\nrdtsc\nhlt', { cpl: 0 });
    expect(a.cpu.regs[0]).toBe(b.cpu.regs[0]);
    expect(a.cpu.regs[0]).toBe(4); // 2 instructions retired before rdtsc at 2 TSC ticks per instruction
  });
});

describe('port devices', () => {
  it('the 16550 passes THR writes to its callback and reports an empty transmitter', () => {
    const bytes: number[] = [];
    const r = runAsm(`
      mov dx, 0x3fd
      in al, dx            ; LSR
      mov bl, al
      mov dx, 0x3f8
      mov al, 0x48
      out dx, al
      mov al, 0x69
      out dx, al
      hlt`, { cpl: 0, setup: (m) => m.cpu.attachPorts(0x3f8, 8, new Serial16550(0x3f8, (b) => bytes.push(b))) });
    expect(String.fromCharCode(...bytes)).toBe('Hi');
    expect(r.cpu.regs[3] & 0x60).toBe(0x60);
  });
  it('isa-debug-exit records (value << 1) | 1', () => {
    const dbg = new DebugExit();
    runAsm('mov eax, 7\nout 0xf4, eax\nhlt', { cpl: 0, setup: (m) => m.cpu.attachPorts(0xf4, 4, dbg) });
    expect(dbg.status).toBe(15);
  });
  it('host memory accesses outside memory throw RangeError with the address', () => {
    const mem = new PhysicalMemory(0x10000);
    expect(() => mem.read32(0xfffe)).toThrow(/0xfffe/);
    expect(() => mem.writeBytes(0x20000, new Uint8Array(1))).toThrow(RangeError);
  });
  it('guest accesses outside memory read ones and drop writes', () => {
    const r = runAsm('mov dword [0x7fff000], 5\nmov eax, [0x7fff000]\nhlt', { cpl: 0, paging: false });
    expect(r.cpu.regs[0]).toBe(0xffffffff);
  });
});
