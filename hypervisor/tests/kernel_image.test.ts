// Kernel validation: every way a kernel can be wrong gives one clear
// BadKernelError line (and `xenlab run` exits 2), never a crash.
import { describe, expect, it } from 'vitest';
import { buildGuest } from '../../tests/guests/build.js';
import { BadKernelError, parseKernelImage } from '../kernel_image.js';
import { Hypervisor } from '../hypervisor.js';

const hello = buildGuest('hello');

/** Replaces the first occurrence of `from` (ASCII) with `to` of the same length. */
function patch(bytes: Uint8Array, from: string, to: string): Uint8Array {
  expect(to.length).toBe(from.length);
  const text = Buffer.from(bytes).toString('latin1');
  const at = text.indexOf(from);
  expect(at).toBeGreaterThanOrEqual(0);
  const out = new Uint8Array(bytes);
  out.set(Buffer.from(to, 'latin1'), at);
  return out;
}

function rejects(kernel: Uint8Array, message: RegExp, memoryMiB?: number): void {
  const hv = new Hypervisor({ hostMemoryMiB: 64 });
  let err: unknown;
  try { hv.createDomain({ kernel, memoryMiB }); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(BadKernelError);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain('\n');
  expect(hv.domains).toHaveLength(0);
  expect(hv.frames.freeFrames()).toBe(new Hypervisor({ hostMemoryMiB: 64 }).frames.freeFrames());
}

describe('parseKernelImage', () => {
  it('reads the __xen_guest parameters of the C hello kernel', () => {
    const k = parseKernelImage(hello);
    expect(k.source).toBe('__xen_guest');
    expect(k.guestOs).toBe('xenlab-test');
    expect(k.xenVersion).toBe('xen-3.0');
    expect(k.loader).toBe('generic');
    expect(k.virtBase).toBe(0);
    expect(k.paddrOffset).toBe(0);
    expect(k.hypercallPage).toBe(0x2000);
    expect(k.entry).toBe(0);
    expect(k.pae).toBe(false);
  });

  it('reads Xen ELF notes', () => {
    const k = parseKernelImage(buildGuest('notes', { textBase: 0xc0000000 }));
    expect(k.source).toBe('notes');
    expect(k.virtBase).toBe(0xc0000000);
    expect(k.hypercallPage).toBe(0xc0002000);
    expect(k.entry).toBe(0xc0000000);
    expect(k.guestOs).toBe('xenlab-notes');
  });

  it('rejects what is not an x86 ELF32 executable', () => {
    rejects(new TextEncoder().encode('hello, world'), /not an ELF file/);
    rejects(new Uint8Array(0), /not an ELF file/);
    const elf64 = new Uint8Array(hello); elf64[4] = 2;
    rejects(elf64, /not a 32-bit ELF file/);
    const big = new Uint8Array(hello); big[5] = 2;
    rejects(big, /little-endian/);
    const arm = new Uint8Array(hello); arm[18] = 40;
    rejects(arm, /not an x86 \(EM_386\)/);
    const rel = new Uint8Array(hello); rel[16] = 1;
    rejects(rel, /not an executable/);
    rejects(hello.subarray(0, 200), /outside the file|truncated/);
  });

  it('needs a Xen guest header', () => {
    rejects(patch(hello, '__xen_guest', '__xen_gueXX'), /no Xen guest header/);
  });

  it('rejects bad keys and values in __xen_guest', () => {
    rejects(patch(hello, ',PAE=no', ',PAX=no'), /unknown key 'PAX'/);
    rejects(patch(hello, 'PAE=no', 'PAE=ye'), /PAE=ye.*non-PAE/);
    rejects(patch(hello, 'LOADER=generic', 'LOADER=genexic'), /LOADER is 'genexic'/);
    rejects(patch(hello, 'XEN_VER=xen-3.0', 'XEN_VER=xen-2.0'), /XEN_VER is 'xen-2.0'/);
    rejects(patch(hello, 'VIRT_BASE=0x0', 'VIRT_BASE=0xz'), /VIRT_BASE=0xz is not a number/);
    rejects(patch(hello, 'HYPERCALL_PAGE=0x2', 'HYPERCALL_PAGE=0xf'), /hypercall page at 0xf000 is not a page inside the kernel/);
    rejects(patch(hello, 'VIRT_BASE=0x0', 'VIRT_BASE=0x9'), /below VIRT_BASE|not a page/);
  });

  it('rejects a kernel that does not fit in the domain', () => {
    rejects(hello, /need 4\.0 MiB, but the domain has 1 MiB/, 1);
    rejects(hello, /memory must be a whole number/, 0);
  });

  it('never throws anything but BadKernelError on corrupted kernels', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8);
    for (let i = 0; i < 300; i++) {
      const k = new Uint8Array(hello);
      for (let j = 0; j < 1 + (rnd() % 8); j++) k[rnd() % 400] = rnd() & 0xff;
      try { parseKernelImage(k); } catch (e) { expect(e).toBeInstanceOf(BadKernelError); }
    }
  });
});
