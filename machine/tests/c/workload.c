/* A compute workload for the CPU tests and the benchmark: the same file is
   built natively (with main in native-main.c) and as a freestanding 32-bit
   image, and both must produce the same checksums. */
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;
typedef long long i64;

static u32 crc_table[256];

static void crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static u32 crc32(const unsigned char *p, u32 n) {
  u32 c = 0xffffffffu;
  while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static unsigned char sieve_buf[20000];
static u32 sieve(u32 n) {
  u32 count = 0;
  for (u32 i = 0; i < n; i++) sieve_buf[i] = 1;
  for (u32 i = 2; i < n; i++) {
    if (!sieve_buf[i]) continue;
    count++;
    for (u32 j = i * 2; j < n; j += i) sieve_buf[j] = 0;
  }
  return count;
}

static i32 arr[2000];
static u32 rng = 12345;
static u32 next_rand(void) { rng = rng * 1103515245u + 12345u; return rng >> 8; }

static void quicksort(i32 *a, int lo, int hi) {
  while (lo < hi) {
    i32 p = a[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { i32 t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; } else { quicksort(a, i, hi); hi = j; }
  }
}

static u64 mix64(u64 x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
  return x;
}

u32 workload(u32 rounds, u32 *out) {
  crc_init();
  u32 acc = 0;
  for (u32 r = 0; r < rounds; r++) {
    out[0] = sieve(20000);
    for (int i = 0; i < 2000; i++) arr[i] = (i32)(next_rand() % 100000) - 50000;
    quicksort(arr, 0, 1999);
    u32 sorted = 1;
    for (int i = 1; i < 2000; i++) if (arr[i - 1] > arr[i]) sorted = 0;
    out[1] = sorted;
    out[2] = crc32((const unsigned char *)arr, sizeof arr);
    u64 h = r;
    i64 s = 0;
    for (int i = 0; i < 200; i++) {
      h = mix64(h + (u64)i);
      s += (i64)(h % 1000003u) - (i64)(h / 0x100000000ull % 77u);
      s = s / 3 + (i64)(h >> 40) % 1000;
    }
    out[3] = (u32)h; out[4] = (u32)(h >> 32); out[5] = (u32)s; out[6] = (u32)((u64)s >> 32);
    acc = acc * 31 + out[0] + out[1] + out[2] + out[3] + out[5];
  }
  return acc;
}
