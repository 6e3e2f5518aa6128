// The builder's memory contents: hypercall page bytes (checked with ndisasm),
// initial page tables, P2M/M2P, GDT, shared_info and the VCPU's start state.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuest } from '../../tests/guests/build.js';
import { hypercallPageBytes } from '../domain_build.js';
import { Hypervisor } from '../hypervisor.js';
import { guestWalk } from '../guest_access.js';
import { PageType } from '../frames.js';
import { Reg, Seg } from '../../machine/index.js';

describe('hypercall page', () => {
  const page = hypercallPageBytes();
  it('has `mov $i,%eax; int $0x82; ret` in every 32-byte slot and the iret stub in slot 23 (ndisasm)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenlab-hcp-'));
    const listing = (slot: number, len: number) => {
      writeFileSync(join(dir, 'slot.bin'), page.subarray(slot * 32, slot * 32 + len));
      return execFileSync('ndisasm', ['-b', '32', join(dir, 'slot.bin')]).toString()
        .trim().split('\n').map((l) => l.replace(/^\S+\s+\S+\s+/, '').replace(/\s+/g, ' '));
    };
    expect(listing(0, 8)).toEqual(['mov eax,0x0', 'int 0x82', 'ret']);
    expect(listing(18, 8)).toEqual(['mov eax,0x12', 'int 0x82', 'ret']);
    expect(listing(127, 8)).toEqual(['mov eax,0x7f', 'int 0x82', 'ret']);
    expect(listing(23, 8)).toEqual(['push eax', 'mov eax,0x17', 'int 0x82']);
    expect([...page.subarray(23 * 32, 23 * 32 + 8)]).toEqual([0x50, 0xb8, 0x17, 0, 0, 0, 0xcd, 0x82]);
    expect([...page.subarray(18 * 32, 18 * 32 + 8)]).toEqual([0xb8, 18, 0, 0, 0, 0xcd, 0x82, 0xc3]);
  });
});

describe('a built domain', () => {
  const hv = new Hypervisor({ wallclock: { sec: 1234, nsec: 5678 } });
  const dom = hv.createDomain({ kernel: buildGuest('hello'), memoryMiB: 16 });
  const { mem, frames } = hv;
  const cr3 = dom.ctx.cr3;

  it('starts in ring 1 on the flat selectors with ESI -> start_info', () => {
    expect(dom.ctx.segs[Seg.CS].selector).toBe(0xe019);
    expect(dom.ctx.segs[Seg.SS].selector).toBe(0xe021);
    expect(dom.ctx.segs[Seg.DS].selector).toBe(0xe021);
    expect(dom.ctx.regs[Reg.ESI]).toBe(dom.startInfoVa);
    expect(dom.ctx.eip).toBe(0);
    const sp = dom.ctx.regs[Reg.ESP];
    expect(sp % 4096).toBe(0);
    expect(guestWalk(mem, cr3, sp - 4, true, false)).toBeGreaterThan(0);
  });

  it('maps pfn i at VIRT_BASE + i*4096 up to the 4 MiB boundary, P2M and M2P agree', () => {
    for (let pfn = 0; pfn < 1024; pfn++) {
      const pa = guestWalk(mem, cr3, pfn * 4096, false, false);
      expect(pa).toBe(dom.p2m[pfn] * 4096);
      expect(frames.m2p(dom.p2m[pfn])).toBe(pfn);
      expect(frames.owner[dom.p2m[pfn]]).toBe(dom.domid);
    }
    expect(guestWalk(mem, cr3, 0x400000, false, false)).toBe(-1);
    expect(dom.nrPages).toBe(16 * 256);
    expect(new Set(dom.p2m).size).toBe(dom.nrPages);
    // The P2M list in guest memory is the same.
    const si = dom.guest.read(dom.startInfoVa, 80)!;
    const mfnList = new DataView(si.buffer).getUint32(68, true);
    expect(dom.guest.read32(mfnList + 4 * 100)).toBe(dom.p2m[100]);
  });

  it('maps its page tables read-only, typed and pinned', () => {
    const si = new DataView(dom.guest.read(dom.startInfoVa, 80)!.buffer);
    const ptBase = si.getUint32(60, true), nrPt = si.getUint32(64, true);
    expect(ptBase % 4096).toBe(0);
    expect(guestWalk(mem, cr3, ptBase, false, false)).toBe(cr3);
    expect(guestWalk(mem, cr3, ptBase, true, false)).toBe(-1);
    expect(frames.type[cr3 >>> 12]).toBe(PageType.L2);
    expect(frames.pinned[cr3 >>> 12]).toBe(1);
    for (let i = 1; i < nrPt; i++) {
      const mfn = guestWalk(mem, cr3, ptBase + i * 4096, false, false) >>> 12;
      expect(frames.type[mfn]).toBe(PageType.L1);
      expect(guestWalk(mem, cr3, ptBase + i * 4096, true, false)).toBe(-1);
    }
    expect(frames.type[dom.p2m[0]]).toBe(PageType.Writable);
  });

  it('maps the M2P read-only at 0xFC000000 and the GDT at 0xFC400000 for the supervisor only', () => {
    expect(guestWalk(mem, cr3, 0xfc000000, false, true)).toBe(frames.m2pBase);
    expect(guestWalk(mem, cr3, 0xfc000000, true, false)).toBe(-1);
    const gdt = guestWalk(mem, cr3, 0xfc400000 + 0xe018, false, false);
    expect(gdt).toBeGreaterThan(0);
    expect(guestWalk(mem, cr3, 0xfc400000, false, true)).toBe(-1);
    expect(guestWalk(mem, cr3, 0xfc400000 + 0xe018, true, false)).toBe(-1);
    // FLAT_RING1_CS: base 0, limit 0xFC3FF pages, DPL 1 code; FLAT_RING3_DS: DPL 3 data.
    expect([mem.read32(gdt), mem.read32(gdt + 4)]).toEqual([0xc3ff, 0x00cfbb00]);
    const ds3 = guestWalk(mem, cr3, 0xfc400000 + 0xe030, false, false);
    expect([mem.read32(ds3), mem.read32(ds3 + 4)]).toEqual([0xc3ff, 0x00cff300]);
  });

  it('fills shared_info: masked upcalls, wall clock, time scale', () => {
    const si = dom.sharedInfoMfn << 12;
    expect(mem.read8(si + 1)).toBe(1); // vcpu_info[0].evtchn_upcall_mask
    expect(mem.read32(si + 2304) % 2).toBe(0); // wc_version even
    expect(mem.read32(si + 2308)).toBe(1234);
    expect(mem.read32(si + 2312)).toBe(5678);
    expect(mem.read32(si + 32) % 2).toBe(0); // time.version even
    expect(mem.read32(si + 32 + 24)).toBe(0x80000000); // 2 GHz TSC: mul 2^31, shift 0
    expect(mem.read32(si + 2316)).toBe(16 * 256); // arch.max_pfn
    expect(frames.owner[dom.sharedInfoMfn]).toBe(dom.domid);
  });

  it('returns every frame to the host when destroyed', () => {
    const fresh = new Hypervisor({}).frames.freeFrames();
    expect(frames.freeFrames()).toBeLessThan(fresh);
    hv.destroyDomain(dom);
    expect(frames.freeFrames()).toBe(fresh);
    expect(hv.domains).toHaveLength(0);
  });
});

describe('machine frame placement', () => {
  const hello = buildGuest('hello');
  const layout = (seed: number | undefined, n = 2) => {
    const hv = new Hypervisor({ hostMemoryMiB: 48, ...(seed === undefined ? {} : { seed }) });
    return { hv, doms: Array.from({ length: n }, () => hv.createDomain({ kernel: hello, memoryMiB: 16 })) };
  };

  it('gives no constant mfn - pfn within a domain, and different layouts to two domains of one host', () => {
    const { hv, doms: [a, b] } = layout(7);
    const deltas = new Set(a.p2m.map((mfn, pfn) => mfn - pfn));
    expect(deltas.size).toBeGreaterThan(a.p2m.length / 2);
    // Neighbouring pfns are rarely neighbouring frames: a buffer of two pages is not machine-contiguous.
    const adjacent = a.p2m.filter((mfn, pfn) => pfn > 0 && mfn === a.p2m[pfn - 1] + 1).length;
    expect(adjacent).toBeLessThan(a.p2m.length / 100);
    // The two domains' frames are disjoint, and their pfn -> (mfn rank) orders differ.
    expect(a.p2m.some((m) => b.p2m.includes(m))).toBe(false);
    const rank = (p2m: number[]) => { const s = [...p2m].sort((x, y) => x - y); return p2m.map((m) => s.indexOf(m)); };
    expect(rank(a.p2m.slice(0, 64))).not.toEqual(rank(b.p2m.slice(0, 64)));
    // M2P and P2M agree, and every frame is the domain's own.
    for (const d of [a, b]) {
      d.p2m.forEach((mfn, pfn) => {
        expect(hv.frames.m2p(mfn)).toBe(pfn);
        expect(hv.frames.owner[mfn]).toBe(d.domid);
      });
    }
  });

  it('keeps low pfns off the domain\'s memory: a pfn taken for an mfn is none of its pages', () => {
    const { doms: [a] } = layout(3, 1);
    const pages = new Set(a.p2m);
    expect(a.p2m.slice(0, 1024).filter((_, pfn) => pages.has(pfn))).toEqual([]);
  });

  it('is deterministic for a seed and changes with it', () => {
    expect(layout(11).doms[0].p2m).toEqual(layout(11).doms[0].p2m);
    expect(layout(11).doms[0].p2m).not.toEqual(layout(12).doms[0].p2m);
    expect(layout(undefined).doms[0].p2m).toEqual(layout(0).doms[0].p2m);
  });

  it('places a domain built on frames freed by another one anew, with M2P entries of the dead domain cleared', () => {
    const { hv, doms: [a] } = layout(5, 1);
    const old = [...a.p2m];
    hv.destroyDomain(a);
    for (const m of old) expect(hv.frames.m2p(m)).toBe(0xffffffff);
    const c = hv.createDomain({ kernel: hello, memoryMiB: 16 });
    expect(c.p2m).not.toEqual(old);
    c.p2m.forEach((mfn, pfn) => expect(hv.frames.m2p(mfn)).toBe(pfn));
  });
});
