// Exercise 03: grant tables, version 1 — granting a page, ending the grant, mapping and copying a peer's grant.
//
// Read exercises/03-grant-sharing/README.md first, then fill in the five TODOs. kernel/share.ts uses these
// functions to share pages between the two domains. Check your work with:
//   npm run --silent xenlab -- grade 03
// Write the mechanism yourself: the library's gnttab_grant_access, gnttab_end_access, gnttab_map_ref and
// gnttab_unmap_ref are the answer key and do not count. init_gnttab (which maps the table) and gnttab_entry are yours to use.
import { init_gnttab, gnttab_entry } from "minios/gnttab";
import { HYPERVISOR_grant_table_op } from "minios/hypercalls";
import { virt_to_mfn } from "minios/mm";
import {
  DOMID_SELF, GNTCOPY_source_gref, GNTMAP_host_map, GNTMAP_readonly, GNTST_okay, GNTTABOP_copy, GNTTABOP_map_grant_ref,
  GNTTABOP_unmap_grant_ref, GTF_permit_access, GTF_readonly, GTF_reading, GTF_writing,
  type gnttab_copy_t, type gnttab_map_grant_ref_t, type gnttab_unmap_grant_ref_t,
} from "xen/public";

/** Grant references this kernel may hand out: [first_ref, first_ref + NR_REFS). Entries below first_ref belong to others. */
const NR_REFS: u32 = 16;
const free_refs = static_buffer<u32>(16);
let nr_free: u32 = 0;

/** Maps the grant table (Xen gives its frames to setup_table; the library maps them) and takes no refs yet. */
export function init_grant_table(): i32 {
  return init_gnttab();
}

/** Makes refs first_ref .. first_ref+15 ours to hand out, the lowest first. */
export function grant_refs_from(first_ref: u32): void {
  nr_free = 0;
  for (let i: u32 = NR_REFS; i > 0; i--) free_refs[nr_free++] = first_ref + i - 1;
}

/** A free grant reference, or 0 when none is left. */
export function get_free_ref(): u32 {
  if (nr_free == 0) return 0;
  nr_free--;
  return free_refs[nr_free];
}

/** Gives a ref back: the next get_free_ref() returns it again (the entry is reused). */
export function put_free_ref(ref: u32): void {
  free_refs[nr_free++] = ref;
}

/**
 * Lets domain `domid` map the machine frame `frame` (readonly: only for reading) through a fresh grant entry.
 * Returns the grant reference, or 0 when no reference is free.
 */
export function grant_access(domid: u32, frame: u32, readonly: bool): u32 {
  // TODO 1: take a ref with get_free_ref() (0: none left, return 0). The entry is gnttab_entry(ref), a
  //         grant_entry_v1_t { flags, domid, frame }. Write frame and domid first, then wmb(), then flags =
  //         GTF_permit_access, ORed with GTF_readonly for a read-only grant: Xen (and the peer) may read the entry
  //         the moment flags says it is valid, so everything else must be in place before. Return the ref.
  const ref = get_free_ref();
  if (ref == 0) return 0;
  const e = gnttab_entry(ref);
  e.frame = frame;
  e.domid = u16(domid);
  wmb();
  e.flags = u16(GTF_permit_access | (readonly ? GTF_readonly : 0));
  return ref;
}

/** Ends grant `ref` if the peer no longer has it mapped: true when ended (the ref is free again), false while in use. */
export function end_access(ref: u32): bool {
  // TODO 2: while Xen shows the grant in use (flags has GTF_reading or GTF_writing) it must not end: return false.
  //         Otherwise clear flags atomically with cmpxchg(addr_of(entry.flags), seen, 0): if it returns something
  //         other than `seen`, Xen changed the flags meanwhile (a map came in): look again. Once cleared,
  //         put_free_ref(ref) and return true.
  const flags = addr_of(gnttab_entry(ref).flags);
  let seen: u16 = volatile_read(flags);
  while (true) {
    if ((seen & (GTF_reading | GTF_writing)) != 0) return false;
    const was = cmpxchg(flags, seen, 0);
    if (was == seen) break;
    seen = was;
  }
  put_free_ref(ref);
  return true;
}

/** Maps grant `ref` of domain `domid` at virtual address `va` (page-aligned); returns the handle (>= 0) or the GNTST_* status (< 0). */
export function map_grant(domid: u32, ref: u32, va: u32, readonly: bool): i32 {
  // TODO 3: fill a gnttab_map_grant_ref_t (stack_struct): host_addr = u64(va), flags = GNTMAP_host_map (| GNTMAP_readonly),
  //         ref, dom = the granting domain. HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, op, 1): a non-zero
  //         result is an error itself; otherwise op.status says how it went (GNTST_okay) and op.handle names the mapping.
  const op = stack_struct<gnttab_map_grant_ref_t>();
  op.host_addr = u64(va);
  op.flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0);
  op.ref = ref;
  op.dom = u16(domid);
  const rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, op, 1);
  if (rc != 0) return rc;
  if (op.status != GNTST_okay) return i32(op.status);
  return i32(op.handle);
}

/** Unmaps the mapping `handle` at `va`; returns the GNTST_* status (0 when done). */
export function unmap_grant(va: u32, handle: u32): i32 {
  // TODO 4: gnttab_unmap_grant_ref_t: host_addr = u64(va), handle; GNTTABOP_unmap_grant_ref; return rc or op.status.
  const op = stack_struct<gnttab_unmap_grant_ref_t>();
  op.host_addr = u64(va);
  op.handle = handle;
  const rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, op, 1);
  if (rc != 0) return rc;
  return i32(op.status);
}

/** Copies `len` bytes from offset `offset` of domain `domid`'s grant `ref` into our own page at `dst` (page-aligned); returns the GNTST_* status. */
export function copy_from_grant(domid: u32, ref: u32, offset: u32, dst: VoidPtr, len: u32): i32 {
  // TODO 5: a gnttab_copy_t: source.u.ref = ref, source.domid = domid, source.offset = offset; dest.u.gmfn = the
  //         machine frame of dst (virt_to_mfn), dest.domid = DOMID_SELF, dest.offset = 0; len; flags =
  //         GNTCOPY_source_gref (the source is a grant reference, the destination a frame). GNTTABOP_copy, count 1.
  const op = stack_struct<gnttab_copy_t>();
  op.source.u.ref = ref;
  op.source.domid = u16(domid);
  op.source.offset = u16(offset);
  op.dest.u.gmfn = virt_to_mfn(dst);
  op.dest.domid = DOMID_SELF;
  op.dest.offset = 0;
  op.len = u16(len);
  op.flags = GNTCOPY_source_gref;
  const rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, op, 1);
  if (rc != 0) return rc;
  return i32(op.status);
}
