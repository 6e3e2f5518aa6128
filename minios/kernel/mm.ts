// Memory, as a small Mini-OS mm.c: pseudo-physical frame numbers (pfn) and machine frames (mfn), and a page
// allocator over the domain's pages that the start-of-day mapping already covers (VIRT_BASE 0: va = pfn << 12).
import { printk } from "minios/console";
import { memset } from "minios/string";
import { PAGE_SIZE, type start_info_t } from "xen/public";

/** Xen's read-only machine-to-physical table (non-PAE). */
const MACH2PHYS_VIRT_START: u32 = 0xfc000000;
const MAX_PAGES: u32 = 32768;

const used = static_buffer<u32>(1024);
let mfn_list: Ptr<u32> = NULL;
let first_pfn: u32 = 0;
let end_pfn: u32 = 0;
export let free_pages: u32 = 0;

export function pfn_to_mfn(pfn: u32): u32 {
  return mfn_list[pfn];
}

export function mfn_to_pfn(mfn: u32): u32 {
  return ptr<u32>(MACH2PHYS_VIRT_START)[mfn];
}

export function virt_to_mfn(va: VoidPtr): u32 {
  return pfn_to_mfn(u32(va) >> 12);
}

export function virt_to_pfn(va: VoidPtr): u32 {
  return u32(va) >> 12;
}

export function mfn_to_virt(mfn: u32): VoidPtr {
  return ptr<u8>(mfn_to_pfn(mfn) << 12);
}

export function pfn_to_virt(pfn: u32): VoidPtr {
  return ptr<u8>(pfn << 12);
}

function is_used(pfn: u32): bool {
  return (used[pfn >> 5] & (u32(1) << (pfn & 31))) != 0;
}

function set_used(pfn: u32, on: bool): void {
  if (on) used[pfn >> 5] |= u32(1) << (pfn & 31);
  else used[pfn >> 5] &= ~(u32(1) << (pfn & 31));
}

/**
 * Free pages start after the bootstrap page tables (plus the bootstrap stack and a spare page, as Mini-OS does)
 * and end where Xen's initial mapping ends: at least 512 KiB past the page tables, rounded up to 4 MiB.
 */
export function init_mm(si: Ptr<start_info_t>): void {
  mfn_list = ptr<u32>(si.mfn_list);
  const pt_end = si.pt_base + si.nr_pt_frames * PAGE_SIZE;
  first_pfn = (pt_end >> 12) + 3;
  let mapped_end = ((pt_end + 0x80000 + 0x3fffff) & ~u32(0x3fffff)) >> 12;
  if (mapped_end > si.nr_pages) mapped_end = si.nr_pages;
  if (mapped_end > MAX_PAGES) mapped_end = MAX_PAGES;
  end_pfn = mapped_end;
  free_pages = end_pfn > first_pfn ? end_pfn - first_pfn : 0;
  printk("MM: pages %u..%u free (%u KiB)\n", first_pfn, end_pfn, free_pages * 4);
}

/** 2^order contiguous zeroed pages, or NULL. */
export function alloc_pages(order: u32): VoidPtr {
  const n: u32 = u32(1) << order;
  let pfn = first_pfn;
  while (pfn + n <= end_pfn) {
    let run: u32 = 0;
    while (run < n && !is_used(pfn + run)) run++;
    if (run == n) {
      for (let i: u32 = 0; i < n; i++) set_used(pfn + i, true);
      free_pages -= n;
      const va = pfn_to_virt(pfn);
      memset(va, 0, n * PAGE_SIZE);
      return va;
    }
    pfn += run + 1;
  }
  return NULL;
}

export function alloc_page(): VoidPtr {
  return alloc_pages(0);
}

export function free_pages_at(va: VoidPtr, order: u32): void {
  const pfn = virt_to_pfn(va);
  const n: u32 = u32(1) << order;
  for (let i: u32 = 0; i < n; i++) {
    if (pfn + i < first_pfn || pfn + i >= end_pfn || !is_used(pfn + i)) {
      printk("MM: freeing page %u that is not allocated\n", pfn + i);
      return;
    }
  }
  for (let i: u32 = 0; i < n; i++) set_used(pfn + i, false);
  free_pages += n;
}

export function free_page(va: VoidPtr): void {
  free_pages_at(va, 0);
}
