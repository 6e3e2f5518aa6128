// Grant tables (v1), as Mini-OS's gnttab.c: the table is shared with Xen; an entry lets another domain map or
// copy one of our frames. Ending access checks that the other side no longer reads or writes it.
import { HYPERVISOR_grant_table_op, HYPERVISOR_update_va_mapping } from "minios/hypercalls";
import { printk } from "minios/console";
import {
  DOMID_SELF, GNTMAP_host_map, GNTMAP_readonly, GNTST_okay, GNTTABOP_map_grant_ref, GNTTABOP_setup_table,
  GNTTABOP_unmap_grant_ref, GNTTAB_NR_RESERVED_ENTRIES, GTF_permit_access, GTF_readonly, GTF_reading, GTF_writing,
  UVMF_INVLPG, _PAGE_PRESENT, _PAGE_RW,
  type gnttab_map_grant_ref_t, type gnttab_setup_table_t, type gnttab_unmap_grant_ref_t, type grant_entry_v1_t,
} from "xen/public";

export const NR_GRANT_FRAMES = 4;
export const NR_GRANT_ENTRIES = 2048; // NR_GRANT_FRAMES * 4096 / sizeof(grant_entry_v1_t)

/** Virtual pages the table's frames are mapped over. */
const table_area = static_buffer<u8>(4 * 4096, 4096);
const gnttab_table = ptr<grant_entry_v1_t>(table_area);
/** Free list: gnttab_list[ref] is the next free ref; gnttab_list[0] heads it. */
const gnttab_list = static_buffer<u32>(2048);
export let gnttab_free: u32 = 0;

function put_free_entry(ref: u32): void {
  gnttab_list[ref] = gnttab_list[0];
  gnttab_list[0] = ref;
  gnttab_free++;
}

function get_free_entry(): u32 {
  const ref = gnttab_list[0];
  if (ref == 0) return 0;
  gnttab_list[0] = gnttab_list[ref];
  gnttab_free--;
  return ref;
}

/** Lets domain `domid` map (or, readonly, only read) machine frame `frame`; returns the grant reference, 0 if none is free. */
export function gnttab_grant_access(domid: u32, frame: u32, readonly: bool): u32 {
  const ref = get_free_entry();
  if (ref == 0) return 0;
  const e = gnttab_table.add(ref);
  e.frame = frame;
  e.domid = u16(domid);
  wmb();
  e.flags = u16(GTF_permit_access | (readonly ? GTF_readonly : 0));
  return ref;
}

/** Revokes a grant; fails (returns false) while the other domain still has it mapped for reading or writing. */
export function gnttab_end_access(ref: u32): bool {
  const flags = addr_of(gnttab_table.add(ref).flags);
  let f: u16 = volatile_read(flags);
  while (true) {
    if ((f & (GTF_reading | GTF_writing)) != 0) {
      printk("[gnttab] grant %u still in use\n", ref);
      return false;
    }
    const seen = cmpxchg(flags, f, 0);
    if (seen == f) break;
    f = seen;
  }
  put_free_entry(ref);
  return true;
}

/** Maps domain `domid`'s grant `ref` at host_addr; returns the handle (>= 0) or a GNTST error (< 0). */
export function gnttab_map_ref(domid: u32, ref: u32, host_addr: u32, readonly: bool): i32 {
  const op = stack_struct<gnttab_map_grant_ref_t>();
  op.host_addr = u64(host_addr);
  op.flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0);
  op.ref = ref;
  op.dom = u16(domid);
  const rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, op, 1);
  if (rc != 0) return rc;
  if (op.status != GNTST_okay) return i32(op.status);
  return i32(op.handle);
}

export function gnttab_unmap_ref(host_addr: u32, handle: u32): i32 {
  const op = stack_struct<gnttab_unmap_grant_ref_t>();
  op.host_addr = u64(host_addr);
  op.handle = handle;
  const rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, op, 1);
  if (rc != 0) return rc;
  return i32(op.status);
}

/** Asks Xen for the table's frames and maps them; then every ref past the reserved ones is free. */
export function init_gnttab(): i32 {
  const frames = stack_buffer<u32>(4);
  const setup = stack_struct<gnttab_setup_table_t>();
  setup.dom = DOMID_SELF;
  setup.nr_frames = NR_GRANT_FRAMES;
  setup.frame_list = u32(frames);
  const rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, setup, 1);
  if (rc != 0 || setup.status != GNTST_okay) {
    printk("[gnttab] setup_table failed: %d/%d\n", rc, setup.status);
    return rc != 0 ? rc : i32(setup.status);
  }
  for (let i: u32 = 0; i < NR_GRANT_FRAMES; i++) {
    const r = HYPERVISOR_update_va_mapping(u32(table_area) + i * 4096, (frames[i] << 12) | _PAGE_PRESENT | _PAGE_RW, UVMF_INVLPG);
    if (r != 0) return r;
  }
  gnttab_init_free_list();
  return 0;
}

/** Every ref past the reserved ones becomes free (lowest handed out first). */
export function gnttab_init_free_list(): void {
  gnttab_list[0] = 0;
  gnttab_free = 0;
  for (let ref: u32 = NR_GRANT_ENTRIES - 1; ref >= GNTTAB_NR_RESERVED_ENTRIES; ref--) put_free_entry(ref);
}

/** The table entry of a grant, for tests and debugging. */
export function gnttab_entry(ref: u32): Ptr<grant_entry_v1_t> {
  return gnttab_table.add(ref);
}
