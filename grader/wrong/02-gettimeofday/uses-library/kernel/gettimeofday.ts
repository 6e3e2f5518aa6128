// Wrong solution (uses-library): main.ts takes gettimeofday and map_shared_info from the Mini-OS library; this file is the untouched starter
//
// kernel/main.ts (which you need not change) calls map_shared_info(start_info) once, then gettimeofday(tv) eight
// times, printing each reading as "time SECONDS.MICROSECONDS". Read exercises/02-gettimeofday/README.md first, then
// fill in the five TODOs. Check your work with:
//   npm run --silent xenlab -- grade 02
// Write the mechanism here yourself: importing "minios/time" or "minios/hypervisor" does not count.
import { HYPERVISOR_update_va_mapping } from "minios/hypercalls";
import { _PAGE_PRESENT, _PAGE_RW, UVMF_INVLPG, type shared_info_t, type start_info_t } from "xen/public";

export interface timeval {
  tv_sec: u32;
  tv_usec: u32;
}

/** A page-aligned, page-sized hole the kit's bootstrap leaves at 0x1000 for shared_info. */
declare const shared_info_page: CArray<u8, 4096>;

/** The shared info page, once mapped. */
let shared_info: Ptr<shared_info_t> = NULL;

export function map_shared_info(si: Ptr<start_info_t>): i32 {
  // TODO 1: map the shared info page. si.shared_info is its machine address. Ask Xen to point the page-table
  //         entry of shared_info_page (u32(shared_info_page) is its virtual address) at that frame:
  //         HYPERVISOR_update_va_mapping(va, machine_address | _PAGE_PRESENT | _PAGE_RW, UVMF_INVLPG).
  //         On success (0), set shared_info = ptr<shared_info_t>(shared_info_page). Return what Xen returned.
  return 0;
}

/** Scales a TSC delta to nanoseconds with the record's tsc_to_system_mul and tsc_shift. */
export function scale_delta(delta: u64, mul: u32, shift: i32): u64 {
  // TODO 2: ns = (delta << shift) * mul / 2^32, where a negative shift means delta >> -shift, and mul is a
  //         32.32 fixed-point fraction. The product of a 64-bit delta and a 32-bit mul needs 96 bits: multiply the
  //         low and the high 32 bits of the (shifted) delta by u64(mul) separately and combine them.
  return 0n;
}

export function gettimeofday(tv: Ptr<timeval>): i32 {
  // TODO 3: read the wall clock (the time of day at system time 0): wc_sec and wc_nsec of shared_info, under
  //         wc_version (read it, rmb(), the fields, rmb(), read it again; retry while it is odd or has changed).
  //         volatile_read(addr_of(x)) reads a field Xen may change behind the compiler's back.

  // TODO 4: read VCPU 0's time record, shared_info.vcpu_info.add(0).time (a vcpu_time_info_t): tsc_timestamp,
  //         system_time, tsc_to_system_mul and tsc_shift, under its version in the same way.
  //         Xen may update it while you read: only a loop that retries on an odd or changed version is correct.

  // TODO 5: now = rdtsc(); ns = wc_nsec + system_time + scale_delta(now - tsc_timestamp, mul, shift) (all u64);
  //         tv.tv_sec = wc_sec + whole seconds of ns; tv.tv_usec = the rest, in microseconds (1 us = 1000 ns).
  tv.tv_sec = 0;
  tv.tv_usec = 0;
  return 0;
}
