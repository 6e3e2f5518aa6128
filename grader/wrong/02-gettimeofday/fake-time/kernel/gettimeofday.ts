// Wrong solution (fake-time): prints a plausible time without reading the shared info page: a fixed epoch plus
// the TSC divided by an assumed 3 GHz.
export interface timeval {
  tv_sec: u32;
  tv_usec: u32;
}

export function map_shared_info(si: VoidPtr): i32 {
  return 0;
}

export function gettimeofday(tv: Ptr<timeval>): i32 {
  const ns: u64 = rdtsc() / 3n;
  tv.tv_sec = 1767225600 + u32(ns / 1000000000n);
  tv.tv_usec = u32((ns % 1000000000n) / 1000n);
  return 0;
}
