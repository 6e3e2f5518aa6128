// Time, as Mini-OS's time.c: Xen publishes system time (ns since boot) in vcpu_time_info as a TSC stamp with a
// scale; the kernel extrapolates with rdtsc. Wall-clock time is shared_info's wc_sec/wc_nsec plus system time.
import { HYPERVISOR_sched_op, HYPERVISOR_set_timer_op } from "minios/hypercalls";
import { HYPERVISOR_shared_info, local_irq_disable, local_irq_enable, vcpu0 } from "minios/hypervisor";
import { bind_virq } from "minios/events";
import { SCHEDOP_block, VIRQ_TIMER } from "xen/public";

interface shadow_time_info {
  tsc_timestamp: u64;
  system_timestamp: u64;
  tsc_to_nsec_mul: u32;
  tsc_shift: i32;
  version: u32;
}

export interface timeval {
  tv_sec: u32;
  tv_usec: u32;
}

const shadow = static_struct<shadow_time_info>();
let shadow_tv_version: u32 = 0;
let shadow_tv_sec: u32 = 0;
let shadow_tv_nsec: u32 = 0;
/** Timer interrupts seen since init_time. */
export let timer_ticks: u32 = 0;

/** (delta << shift or >> -shift) * mul / 2^32, without overflowing 64 bits. */
export function scale_delta(delta: u64, mul: u32, shift: i32): u64 {
  if (shift < 0) delta = delta >> u64(-shift);
  else delta = delta << u64(shift);
  const lo = u64(u32(delta)) * u64(mul);
  const hi = (delta >> 32n) * u64(mul);
  return (lo >> 32n) + hi;
}

/** Copies Xen's time record, retrying while Xen is updating it (odd or changed version). */
function get_time_values_from_xen(): void {
  const src = vcpu0().time;
  while (true) {
    const version = volatile_read(addr_of(src.version));
    rmb();
    shadow.tsc_timestamp = src.tsc_timestamp;
    shadow.system_timestamp = src.system_time;
    shadow.tsc_to_nsec_mul = src.tsc_to_system_mul;
    shadow.tsc_shift = i32(src.tsc_shift);
    rmb();
    if ((version & 1) == 0 && version == volatile_read(addr_of(src.version))) {
      shadow.version = version;
      return;
    }
  }
}

/** Nanoseconds since the domain booted. */
export function monotonic_clock(): u64 {
  get_time_values_from_xen();
  const delta = rdtsc() - shadow.tsc_timestamp;
  return shadow.system_timestamp + scale_delta(delta, shadow.tsc_to_nsec_mul, shadow.tsc_shift);
}


function update_wallclock(): void {
  const s = HYPERVISOR_shared_info;
  while (true) {
    shadow_tv_version = volatile_read(addr_of(s.wc_version));
    rmb();
    shadow_tv_sec = s.wc_sec;
    shadow_tv_nsec = s.wc_nsec;
    rmb();
    if ((shadow_tv_version & 1) == 0 && shadow_tv_version == volatile_read(addr_of(s.wc_version))) return;
  }
}

/** Wall-clock time: seconds and microseconds since 1970. */
export function gettimeofday(tv: Ptr<timeval>): i32 {
  update_wallclock();
  const nsec: u64 = monotonic_clock() + u64(shadow_tv_nsec);
  tv.tv_sec = shadow_tv_sec + u32(nsec / 1000000000n);
  tv.tv_usec = u32((nsec % 1000000000n) / 1000n);
  return 0;
}

function timer_handler(port: u32, regs: VoidPtr, data: VoidPtr): void {
  timer_ticks++;
}

/** Blocks the domain until system time `until` (ns) or an event, whichever comes first. */
export function block_domain(until: u64): void {
  local_irq_disable();
  if (monotonic_clock() < until) {
    HYPERVISOR_set_timer_op(until);
    // SCHEDOP_block unmasks events atomically with blocking, so a wake-up cannot slip in between.
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
  }
  local_irq_enable();
}

/** Sleeps for ms milliseconds of virtual time. */
export function msleep(ms: u32): void {
  const until = monotonic_clock() + u64(ms) * 1000000n;
  while (monotonic_clock() < until) block_domain(until);
}

export function init_time(): void {
  bind_virq(VIRQ_TIMER, timer_handler, NULL);
}
