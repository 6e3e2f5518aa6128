// Wrong solution (negative-shift-left): shifts the TSC delta LEFT by -tsc_shift when tsc_shift is negative
import { HYPERVISOR_update_va_mapping } from "minios/hypercalls";
import { _PAGE_PRESENT, _PAGE_RW, UVMF_INVLPG, type shared_info_t, type start_info_t } from "xen/public";

export interface timeval {
  tv_sec: u32;
  tv_usec: u32;
}

/** The page the kit's bootstrap reserves at 0x1000 for shared_info. */
declare const shared_info_page: CArray<u8, 4096>;

let shared_info: Ptr<shared_info_t> = NULL;

export function map_shared_info(si: Ptr<start_info_t>): i32 {
  const rc = HYPERVISOR_update_va_mapping(u32(shared_info_page), si.shared_info | _PAGE_PRESENT | _PAGE_RW, UVMF_INVLPG);
  if (rc == 0) shared_info = ptr<shared_info_t>(shared_info_page);
  return rc;
}

/** (delta << shift, or >> -shift) * mul / 2^32, as a 64 x 32 -> 96-bit product of which we keep bits 32..95. */
export function scale_delta(delta: u64, mul: u32, shift: i32): u64 {
  if (shift < 0) delta = delta << u64(-shift);
  else delta = delta << u64(shift);
  const lo = u64(u32(delta)) * u64(mul);
  const hi = (delta >> 32n) * u64(mul);
  return (lo >> 32n) + hi;
}

export function gettimeofday(tv: Ptr<timeval>): i32 {
  const s = shared_info;

  let wc_version: u32 = 0;
  let wc_sec: u32 = 0;
  let wc_nsec: u32 = 0;
  do {
    wc_version = volatile_read(addr_of(s.wc_version));
    rmb();
    wc_sec = s.wc_sec;
    wc_nsec = s.wc_nsec;
    rmb();
  } while ((wc_version & 1) != 0 || wc_version != volatile_read(addr_of(s.wc_version)));

  const t = s.vcpu_info.add(0).time;
  let version: u32 = 0;
  let tsc_timestamp: u64 = 0n;
  let system_time: u64 = 0n;
  let mul: u32 = 0;
  let shift: i32 = 0;
  do {
    version = volatile_read(addr_of(t.version));
    rmb();
    tsc_timestamp = t.tsc_timestamp;
    system_time = t.system_time;
    mul = t.tsc_to_system_mul;
    shift = i32(t.tsc_shift);
    rmb();
  } while ((version & 1) != 0 || version != volatile_read(addr_of(t.version)));

  const now = rdtsc();
  const ns: u64 = u64(wc_nsec) + system_time + scale_delta(now - tsc_timestamp, mul, shift);
  tv.tv_sec = wc_sec + u32(ns / 1000000000n);
  tv.tv_usec = u32((ns % 1000000000n) / 1000n);
  return 0;
}
