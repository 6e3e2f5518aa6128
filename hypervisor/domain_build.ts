// The domain builder for ELF32 PV kernels: allocate the domain's frames,
// load the kernel, and lay out the start-of-day region in the order xen.h
// documents (kernel, P2M list, start_info, xenstore page, console page,
// bootstrap page tables, stack), padded by at least 512 KiB and rounded to
// 4 MiB, all mapped by the initial 2-level page tables.
import type { PhysicalMemory } from '../machine/index.js';
import { Seg, Reg } from '../machine/index.js';
import { BadKernelError, type KernelImage } from './kernel_image.js';
import { PageType, type FrameTable } from './frames.js';
import type { Domain } from './domain.js';
import { start_info } from './public/structs.js';
import { DOMID, HYPERVISOR, MAX_GUEST_CMDLINE, PAGE, START_INFO_MAGIC, X86_32 } from './public/xen.js';
import {
  FIRST_HYPERVISOR_L2_SLOT, GDT_L2_SLOT, GUEST_SEGMENT_LIMIT, M2P_L2_SLOT, RING1_CODE_ACCESS, RING1_DATA_ACCESS,
  RING3_CODE_ACCESS, RING3_DATA_ACCESS, flatDescriptor,
} from './layout.js';
import { initSharedInfo } from './shared_info.js';

const PAGE_SIZE = 4096;
const MB4 = 4 << 20;
const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;
const hex = (n: number) => '0x' + (n >>> 0).toString(16);

export interface BuildHost {
  mem: PhysicalMemory;
  frames: FrameTable;
  /** Hypervisor-owned L1 that maps the M2P frames read-only. */
  m2pL1Mfn: number;
  /** A zeroed hypervisor frame mapped where the GDT area has no page. */
  zeroMfn: number;
  initTime(dom: Domain): void;
}

export interface StartOfDay {
  virtBase: number;
  p2mVa: number;
  startInfoVa: number;
  storeVa: number;
  consoleVa: number;
  ptVa: number;
  nrPtFrames: number;
  stackVa: number;
  virtEnd: number;
}

/** Computes Xen's start-of-day layout; throws when it does not fit in `nrPages`. */
export function planStartOfDay(image: KernelImage, nrPages: number): StartOfDay {
  const vBase = image.virtBase;
  const p2mVa = roundUp(image.virtEnd, PAGE_SIZE);
  const startInfoVa = roundUp(p2mVa + nrPages * 4, PAGE_SIZE);
  const storeVa = startInfoVa + PAGE_SIZE;
  const consoleVa = storeVa + PAGE_SIZE;
  const ptVa = consoleVa + PAGE_SIZE;
  // Grow the page-table area until it covers the whole mapped region (Xen's loop).
  for (let nrPt = 2; ; nrPt++) {
    const stackVa = ptVa + nrPt * PAGE_SIZE;
    const stackEnd = stackVa + PAGE_SIZE;
    const virtEnd = roundUp(stackEnd + (512 << 10), MB4);
    const l1s = Math.ceil(virtEnd / MB4) - Math.floor(vBase / MB4);
    if (1 + l1s <= nrPt) {
      const need = (virtEnd - vBase) / PAGE_SIZE;
      if (virtEnd > X86_32.HYPERVISOR_VIRT_START_NONPAE) {
        throw new BadKernelError(`the start-of-day region ends at ${hex(virtEnd)}, inside the hypervisor's area; lower VIRT_BASE or the memory size`);
      }
      if (need > nrPages) {
        throw new BadKernelError(`the kernel and its start-of-day data need ${((need * PAGE_SIZE) / 2 ** 20).toFixed(1)} MiB, ` +
          `but the domain has ${(nrPages * PAGE_SIZE) / 2 ** 20} MiB; give it more memory (--memory)`);
      }
      return { virtBase: vBase, p2mVa, startInfoVa, storeVa, consoleVa, ptVa, nrPtFrames: nrPt, stackVa, virtEnd };
    }
  }
}

/** Fills the hypercall page with Xen's ring-1 stubs: `mov $i,%eax; int $0x82; ret`, and the iret slot. */
export function hypercallPageBytes(): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE / 32; i++) {
    const at = i * 32;
    if (i === HYPERVISOR.iret) {
      page.set([0x50, 0xb8, i, 0, 0, 0, 0xcd, 0x82], at); // push %eax; mov $23,%eax; int $0x82
    } else {
      page.set([0xb8, i, 0, 0, 0, 0xcd, 0x82, 0xc3], at);
    }
  }
  return page;
}

export interface BuildOptions {
  nrPages: number;
  cmdline: string;
  /** Seeds which machine frame each pfn gets (with the domid): the same seed gives the same layout. */
  seed?: number;
}

/** A 32-bit mix (splitmix32's finaliser). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Places `mfns` in a seeded pseudo-random order, per domain: on real Xen a domain's machine frames bear no simple
 * relation to its pfns, and a constant mfn - pfn would let a pfn passed where an mfn belongs (a grant entry, a blkif
 * segment, a shared_info mapping) land on a valid frame of the same domain. Fisher-Yates driven by mulberry32.
 */
export function shuffleFrames(mfns: number[], seed: number, domid: number): number[] {
  let s = mix32((seed >>> 0) ^ mix32(domid + 0x9e3779b9));
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = mfns.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = mfns[i]; mfns[i] = mfns[j]; mfns[j] = t;
  }
  return mfns;
}

/** Builds `dom` from `image`: memory, tables, start_info, VCPU state. Frees nothing on failure: the caller destroys. */
export function buildDomain(host: BuildHost, dom: Domain, image: KernelImage, kernel: Uint8Array, opts: BuildOptions): StartOfDay {
  const { mem, frames } = host;
  const sod = planStartOfDay(image, opts.nrPages);
  if (frames.freeFrames() < opts.nrPages + 8) {
    throw new BadKernelError(`not enough host memory for ${opts.nrPages * 4 / 1024} MiB (free: ${frames.freeFrames() * 4 / 1024} MiB)`);
  }
  const mfns = frames.allocMany(dom.domid, opts.nrPages);
  if (!mfns) throw new BadKernelError(`not enough host memory for ${opts.nrPages * 4 / 1024} MiB (free: ${frames.freeFrames() * 4 / 1024} MiB)`);
  shuffleFrames(mfns, opts.seed ?? 0, dom.domid);
  for (let pfn = 0; pfn < opts.nrPages; pfn++) {
    dom.p2m.push(mfns[pfn]);
    frames.setM2p(mfns[pfn], pfn);
  }
  dom.maxPages = opts.nrPages;
  dom.totPages = opts.nrPages;
  const vaToPa = (va: number) => (dom.p2m[(va - sod.virtBase) >>> 12] << 12) + (va & 0xfff);
  const writeVa = (va: number, data: Uint8Array) => {
    for (let k = 0; k < data.length;) {
      const n = Math.min(data.length - k, PAGE_SIZE - ((va + k) & 0xfff));
      mem.writeBytes(vaToPa(va + k), data.subarray(k, k + n));
      k += n;
    }
  };
  const write32 = (va: number, v: number) => mem.write32(vaToPa(va), v);

  // a. the kernel image
  for (const s of image.segments) writeVa(s.vaddr, kernel.subarray(s.fileOffset, s.fileOffset + s.fileSize));
  if (image.hypercallPage !== undefined) {
    writeVa(image.hypercallPage, hypercallPageBytes());
    dom.hypercallPageVa = image.hypercallPage;
  }
  // c. the P2M list
  for (let pfn = 0; pfn < opts.nrPages; pfn++) write32(sod.p2mVa + pfn * 4, dom.p2m[pfn]);
  dom.storeMfn = dom.p2m[(sod.storeVa - sod.virtBase) >>> 12];
  dom.consoleMfn = dom.p2m[(sod.consoleVa - sod.virtBase) >>> 12];

  // shared_info: a frame of its own, not in the P2M; the guest maps it by machine address.
  dom.sharedInfoMfn = frames.alloc(dom.domid);
  frames.refCount[dom.sharedInfoMfn] = 1; // held by the domain for its lifetime
  initSharedInfo(mem, dom.sharedInfoMfn, opts.nrPages);
  host.initTime(dom);

  // d. start_info
  const si = new Uint8Array(start_info.size);
  const sv = new DataView(si.buffer);
  si.set(new TextEncoder().encode(START_INFO_MAGIC), 0);
  const put = (field: string, v: number) => sv.setUint32(start_info.offsetOf(field), v >>> 0, true);
  put('nr_pages', opts.nrPages);
  put('shared_info', dom.sharedInfoMfn * PAGE_SIZE);
  put('flags', 0);
  put('pt_base', sod.ptVa);
  put('nr_pt_frames', sod.nrPtFrames);
  put('mfn_list', sod.p2mVa);
  const cmd = new TextEncoder().encode(opts.cmdline).subarray(0, MAX_GUEST_CMDLINE - 1);
  si.set(cmd, start_info.offsetOf('cmd_line'));
  writeVa(sod.startInfoVa, si);
  dom.startInfoVa = sod.startInfoVa;

  // g. bootstrap page tables: L2 first, then one L1 per 4 MiB of the region.
  const ptPfn0 = (sod.ptVa - sod.virtBase) >>> 12;
  const l2Mfn = dom.p2m[ptPfn0];
  const firstSlot = Math.floor(sod.virtBase / MB4);
  const isPt = (pfn: number) => pfn >= ptPfn0 && pfn < ptPfn0 + sod.nrPtFrames;
  const l1Prot = PAGE.PRESENT | PAGE.RW | PAGE.ACCESSED | PAGE.USER;
  const l2Prot = PAGE.PRESENT | PAGE.RW | PAGE.ACCESSED | PAGE.DIRTY | PAGE.USER;
  for (let va = sod.virtBase; va < sod.virtEnd; va += PAGE_SIZE) {
    const slot = va >>> 22;
    const l1Mfn = dom.p2m[ptPfn0 + 1 + (slot - firstSlot)];
    const l2e = (l2Mfn << 12) + slot * 4;
    if (mem.read32(l2e) === 0) {
      mem.write32(l2e, (l1Mfn << 12) | l2Prot);
      frames.type[l1Mfn] = PageType.L1;
      frames.typeCount[l1Mfn]++;
      frames.refCount[l1Mfn]++;
    }
    const pfn = (va - sod.virtBase) >>> 12;
    const mfn = dom.p2m[pfn];
    const prot = isPt(pfn) ? l1Prot & ~PAGE.RW : l1Prot;
    mem.write32((l1Mfn << 12) + ((va >>> 12) & 0x3ff) * 4, (mfn << 12) | prot);
    frames.refCount[mfn]++;
    if (prot & PAGE.RW) {
      frames.type[mfn] = PageType.Writable;
      frames.typeCount[mfn]++;
    }
  }
  installHypervisorSlots(host, dom, l2Mfn);
  // The L2 is pinned and is the current base pointer: two type and two general references.
  frames.type[l2Mfn] = PageType.L2;
  frames.typeCount[l2Mfn] += 2;
  frames.refCount[l2Mfn] += 2;
  frames.pinned[l2Mfn] = 1;

  // VCPU start state: ring 1 on the flat selectors, ESI -> start_info, ESP at the top of the stack page.
  const ctx = dom.ctx;
  ctx.regs.fill(0);
  ctx.regs[Reg.ESI] = sod.startInfoVa;
  ctx.regs[Reg.ESP] = sod.stackVa + PAGE_SIZE;
  ctx.eip = image.entry;
  ctx.eflags = 0x202;
  ctx.cr3 = l2Mfn << 12;
  ctx.segs[Seg.CS] = { selector: X86_32.FLAT_RING1_CS, base: 0, limit: GUEST_SEGMENT_LIMIT, access: RING1_CODE_ACCESS, big: true };
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
    ctx.segs[s] = { selector: X86_32.FLAT_RING1_DS, base: 0, limit: GUEST_SEGMENT_LIMIT, access: RING1_DATA_ACCESS, big: true };
  }
  return sod;
}

/** Maps the M2P and this domain's GDT area into an L2's hypervisor slots (done for every L2 the guest pins). */
export function installHypervisorSlots(host: BuildHost, dom: Domain, l2Mfn: number): void {
  const { mem, frames } = host;
  if (!dom.perdomainL1Mfn) {
    dom.perdomainL1Mfn = frames.alloc(DOMID.XEN);
    dom.reservedGdtMfn = frames.alloc(DOMID.XEN);
    // Reserved GDT page (page 14): Xen's flat ring-1 and ring-3 descriptors.
    const base = dom.reservedGdtMfn << 12;
    const put = (sel: number, d: [number, number]) => {
      const off = (sel & 0xfff8) - X86_32.FIRST_RESERVED_GDT_BYTE;
      mem.write32(base + off, d[0]);
      mem.write32(base + off + 4, d[1]);
    };
    put(X86_32.FLAT_RING1_CS, flatDescriptor(RING1_CODE_ACCESS, GUEST_SEGMENT_LIMIT));
    put(X86_32.FLAT_RING1_DS, flatDescriptor(RING1_DATA_ACCESS, GUEST_SEGMENT_LIMIT));
    put(X86_32.FLAT_RING3_CS, flatDescriptor(RING3_CODE_ACCESS, GUEST_SEGMENT_LIMIT));
    put(X86_32.FLAT_RING3_DS, flatDescriptor(RING3_DATA_ACCESS, GUEST_SEGMENT_LIMIT));
    for (let page = 0; page < X86_32.GDT_PAGES; page++) setGdtPage(host, dom, page, page === X86_32.FIRST_RESERVED_GDT_PAGE ? dom.reservedGdtMfn : 0);
  }
  const l2 = l2Mfn << 12;
  for (let slot = FIRST_HYPERVISOR_L2_SLOT; slot < 1024; slot++) mem.write32(l2 + slot * 4, 0);
  mem.write32(l2 + M2P_L2_SLOT * 4, (host.m2pL1Mfn << 12) | PAGE.PRESENT | PAGE.ACCESSED | PAGE.USER);
  mem.write32(l2 + GDT_L2_SLOT * 4, (dom.perdomainL1Mfn << 12) | PAGE.PRESENT | PAGE.RW | PAGE.ACCESSED);
}

/** Maps GDT page `page` of the domain's GDT area to `mfn` (0: the zero frame), read-only, supervisor. */
export function setGdtPage(host: BuildHost, dom: Domain, page: number, mfn: number): void {
  const frame = mfn || host.zeroMfn;
  host.mem.write32((dom.perdomainL1Mfn << 12) + page * 4, (frame << 12) | PAGE.PRESENT | PAGE.ACCESSED);
}
