import { describe, expect, it } from 'vitest';
import { compileOk } from './helpers.js';

const hello = `import "minios/bootstrap";
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff } from "xen/public";

export function start_kernel(si: VoidPtr): void {
  const msg = "Hello world\\n";
  HYPERVISOR_console_io(CONSOLEIO_write, msg.length, msg);
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`;

function u32le(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

describe('hello world kernel', () => {
  const r = compileOk({ 'hello.ts': hello }, { listing: true });

  it('is an ELF32 i386 executable entered at _start = 0', () => {
    expect([...r.elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(r.elf[4]).toBe(1); // ELFCLASS32
    expect(r.elf[18]).toBe(3); // EM_386
    expect(r.image.symbols.get('_start')).toBe(0);
    expect(u32le(r.elf, 24)).toBe(0);
  });

  it('puts the hypercall page at 0x2000 and carries the guest header', () => {
    expect(r.image.symbols.get('hypercall_page')).toBe(0x2000);
    const text = new TextDecoder().decode(r.elf);
    expect(text).toContain('GUEST_OS=xenlab-minios');
    expect(text).toContain('HYPERCALL_PAGE=0x2');
    expect(text).toContain('PAE=no');
  });

  it('calls console_io and sched_op through the hypercall page, never int 0x82', () => {
    const l = r.listing!;
    expect(l).toContain('call hypercall_page+576'); // 18 * 32
    expect(l).toContain('call hypercall_page+928'); // 29 * 32
    expect(l).not.toMatch(/int 0x82/);
  });

  it('lists each source line before its instructions', () => {
    const l = r.listing!;
    const at = l.indexOf('HYPERVISOR_console_io(CONSOLEIO_write, msg.length, msg);');
    expect(at).toBeGreaterThan(0);
    const after = l.slice(at).split('\n').slice(1, 5).join('\n');
    expect(after).toMatch(/push __str_0/);
    expect(after).toMatch(/push 12/);
  });

  it('stores the message NUL-terminated in .rodata', () => {
    const addr = r.image.symbols.get('__str_0')!;
    const sec = r.image.sections.find((s) => s.name === '.rodata')!;
    const bytes = sec.bytes.subarray(addr - sec.addr, addr - sec.addr + 13);
    expect(new TextDecoder().decode(bytes)).toBe('Hello world\n\0');
  });
});

describe('line information in the ELF', () => {
  it('maps code addresses back to kernel source lines', async () => {
    const { decodeLineTable, lineFor } = await import('../../asm/index.js');
    const r = compileOk({ 'hello.ts': hello });
    const text = new TextDecoder('latin1').decode(r.elf);
    const at = text.indexOf('XLL1');
    expect(at).toBeGreaterThan(0);
    const lines = decodeLineTable(r.elf.subarray(at))!;
    const call = r.image.symbols.get('start_kernel')!;
    const l = lineFor(lines, call + 8)!;
    expect(l.file.endsWith('hello.ts')).toBe(true);
    expect(l.line).toBeGreaterThanOrEqual(5);
  });
});

describe('unused library code', () => {
  it('is left out of the kernel unless asked for', () => {
    const r = compileOk({ 'hello.ts': hello });
    expect(r.image.symbols.has('HYPERVISOR_console_io')).toBe(true);
    expect(r.image.symbols.has('HYPERVISOR_mmu_update')).toBe(false);
  });
});
