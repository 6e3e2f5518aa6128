// A consistency audit of the MMU state, for tests and fuzzing: what every
// live domain can reach through its page tables must be its own (or a grant
// it holds), no page table or descriptor page may be writable through any
// mapping, and the hypervisor's L2 slots must be the hypervisor's.
import type { Hypervisor } from './hypervisor.js';
import { PageType } from './frames.js';
import { PAGE } from './public/xen.js';
import { FIRST_HYPERVISOR_L2_SLOT, GDT_L2_SLOT, M2P_L2_SLOT } from './layout.js';

/** Problems found, as sentences; empty when everything holds. */
export function auditMemory(hv: Hypervisor): string[] {
  const problems: string[] = [];
  const { mem, frames } = hv;
  for (const d of hv.domains) {
    if (!d.alive) continue;
    const l2 = d.ctx.cr3 >>> 12;
    const tag = `d${d.domid}`;
    if (frames.owner[l2] !== d.domid) problems.push(`${tag}: CR3 frame ${l2} is not its own`);
    if (frames.type[l2] !== PageType.L2 || frames.typeCount[l2] === 0) problems.push(`${tag}: CR3 frame ${l2} is not a validated L2`);
    const m2p = mem.read32(l2 * 4096 + M2P_L2_SLOT * 4) >>> 12;
    if (m2p !== hv.m2pL1Mfn) problems.push(`${tag}: M2P slot of its L2 points at ${m2p}`);
    const gdt = mem.read32(l2 * 4096 + GDT_L2_SLOT * 4) >>> 12;
    if (gdt !== d.perdomainL1Mfn) problems.push(`${tag}: GDT slot of its L2 points at ${gdt}`);
    for (let slot = 0; slot < FIRST_HYPERVISOR_L2_SLOT; slot++) {
      const pde = mem.read32(l2 * 4096 + slot * 4);
      if (!(pde & PAGE.PRESENT)) continue;
      const l1 = pde >>> 12;
      if (pde & PAGE.PSE) { problems.push(`${tag}: superpage in slot ${slot}`); continue; }
      if (frames.owner[l1] !== d.domid || frames.type[l1] !== PageType.L1 || frames.typeCount[l1] === 0) {
        problems.push(`${tag}: L2 slot ${slot} points at frame ${l1}, not one of its validated L1s`);
        continue;
      }
      for (let i = 0; i < 1024; i++) {
        const pte = mem.read32(l1 * 4096 + i * 4);
        if (!(pte & PAGE.PRESENT)) continue;
        const mfn = pte >>> 12;
        const va = ((slot << 22) | (i << 12)) >>> 0;
        const mine = frames.owner[mfn] === d.domid;
        if (!mine && !hv.grants.mappedFrames(d.domid).has(mfn)) {
          problems.push(`${tag}: va 0x${va.toString(16)} maps frame ${mfn} owned by ${frames.owner[mfn]}`);
        }
        if ((pte & PAGE.RW) && frames.typeCount[mfn] > 0 && frames.type[mfn] !== PageType.Writable) {
          problems.push(`${tag}: va 0x${va.toString(16)} maps ${['', '', 'an L1', 'an L2', 'a descriptor page'][frames.type[mfn]]} frame ${mfn} writable`);
        }
        if ((pte & PAGE.RW) && (frames.type[mfn] !== PageType.Writable || frames.typeCount[mfn] === 0)) {
          problems.push(`${tag}: va 0x${va.toString(16)} maps frame ${mfn} writable without a writable type reference`);
        }
      }
    }
  }
  return problems;
}
