// PhysicalMemory.watchWrites: a callback before every write to a physical range, whoever writes it (guest stores on
// the CPU's fast and slow paths, compiled loops, page-table accessed/dirty updates, the host), with the old bytes
// still in place; nothing for writes beside the range; nothing once removed.
import { describe, expect, it } from 'vitest';
import { PAGE_CODE, PAGE_WATCHED, PhysicalMemory } from '../memory.js';
import { CODE, PGTAB, nasm, runAsm } from './harness.js';

const DATA = 0x20000;

describe('physical memory write watch', () => {
  it('sees each guest store into the range before it lands, with its address and size, and none beside it', () => {
    const seen: [number, number, number][] = [];
    const r = runAsm(`
      mov dword [${DATA + 8}], 0x11223344
      mov word [${DATA + 12}], 0x5566
      mov byte [${DATA + 15}], 0x77
      mov dword [${DATA + 16}], 0x99   ; beside the range, same page
      mov dword [${DATA + 0x1000}], 1   ; another page
      mov dword [${DATA + 0xffe}], 0xaabbccdd   ; crosses into the next page: slow path, outside the range
      int 0x82
    `, {
      setup: (m) => {
        m.cpu.claimInterrupt(0x82, true);
        m.mem.watchWrites(DATA + 8, 8, (pa, len) => { seen.push([pa, len, m.mem.read32(DATA + 8)]); });
      },
    });
    expect(r.exit.kind).toBe('interrupt');
    expect(seen).toEqual([[DATA + 8, 4, 0], [DATA + 12, 2, 0x11223344], [DATA + 15, 1, 0x11223344]]);
    expect(r.mem.read32(DATA + 12)).toBe(0x77005566);
  });

  it('sees every pass of a compiled loop, and bytes of a store that crosses into the range', () => {
    const seen: number[] = [];
    const r = runAsm(`
      mov ecx, 50
      mov edi, ${DATA}
    l: mov [edi], ecx
      add edi, 4
      dec ecx
      jnz l
      mov dword [${DATA + 0x2ffe}], 0x01020304   ; two bytes each side of a page boundary
      int 0x82
    `, {
      setup: (m) => {
        m.cpu.claimInterrupt(0x82, true);
        m.mem.watchWrites(DATA + 40, 40, (pa) => { seen.push(pa); });
        m.mem.watchWrites(DATA + 0x3000, 1, (pa) => { seen.push(pa); });
      },
    });
    expect(r.exit.kind).toBe('interrupt');
    expect(seen.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, k) => DATA + 40 + 4 * k));
    expect(seen.slice(10)).toContain(DATA + 0x3000);
    expect(r.mem.read8(DATA + 0x3000)).toBe(0x02);
  });

  it('sees the CPU setting accessed/dirty bits in a watched page-table entry', () => {
    const pte = PGTAB + (DATA >>> 12) * 4;
    const seen: number[] = [];
    const r = runAsm(`mov dword [${DATA}], 5\n int 0x82`, {
      setup: (m) => {
        m.cpu.claimInterrupt(0x82, true);
        m.mem.watchWrites(pte, 4, () => { seen.push(m.mem.read32(pte)); });
      },
    });
    expect(r.exit.kind).toBe('interrupt');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]! & 0x60).toBe(0); // called before the bits were set
    expect(r.mem.read32(pte) & 0x60).toBe(0x60);
  });

  it('keeps self-modifying code working on a watched code page, and sees the store', () => {
    const seen: number[] = [];
    // The store rewrites the immediate of the `mov eax, 1` that follows it (already decoded with the block).
    const code = nasm(`
      mov byte [patch + 1], 7
    patch: mov eax, 1
      int 0x82
    `, CODE);
    const r = runAsm(`
      mov byte [patch + 1], 7
    patch: mov eax, 1
      int 0x82
    `, {
      setup: (m) => {
        m.cpu.claimInterrupt(0x82, true);
        m.mem.watchWrites(CODE, code.length, (pa) => { seen.push(pa); });
      },
    });
    expect(r.cpu.regs[0]).toBe(7);
    expect(seen).toEqual([CODE + 8]);
  });

  it('sees host writes, and stops (clearing the page flag) once removed', () => {
    const mem = new PhysicalMemory(1 << 20);
    const seen: [number, number][] = [];
    const off = mem.watchWrites(0x5010, 0x20, (pa, len) => { seen.push([pa, len]); });
    const other = mem.watchWrites(0x5ff0, 0x20, () => {});
    expect(mem.codePages[5]! & PAGE_WATCHED).toBe(PAGE_WATCHED);
    mem.write32(0x5000, 1);
    mem.write16(0x502e, 1);
    mem.writeBytes(0x4ff0, new Uint8Array(0x40));
    mem.fill(0x5020, 4, 9);
    expect(seen).toEqual([[0x502e, 2], [0x4ff0, 0x40], [0x5020, 4]]);
    off();
    off();
    mem.write32(0x5010, 1);
    expect(seen.length).toBe(3);
    expect(mem.codePages[5]! & PAGE_WATCHED).toBe(PAGE_WATCHED); // the other watch still covers page 5
    other();
    expect([mem.codePages[5], mem.codePages[6]]).toEqual([0, 0]);
    expect(PAGE_CODE & PAGE_WATCHED).toBe(0);
    expect(() => mem.watchWrites(0xfffff, 2, () => {})).toThrow(/outside memory/);
  });
});
