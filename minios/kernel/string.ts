// Byte-string helpers, as Mini-OS's lib/string.c.

export function strlen(s: CharPtr): u32 {
  const p = ptr<u8>(s);
  let n: u32 = 0;
  while (p[n] != 0) n++;
  return n;
}

export function strcmp(a: CharPtr, b: CharPtr): i32 {
  const p = ptr<u8>(a);
  const q = ptr<u8>(b);
  let i: u32 = 0;
  while (p[i] != 0 && p[i] == q[i]) i++;
  return i32(p[i]) - i32(q[i]);
}

export function strncmp(a: CharPtr, b: CharPtr, n: u32): i32 {
  const p = ptr<u8>(a);
  const q = ptr<u8>(b);
  for (let i: u32 = 0; i < n; i++) {
    if (p[i] != q[i] || p[i] == 0) return i32(p[i]) - i32(q[i]);
  }
  return 0;
}

/** Copies at most n-1 bytes and always terminates (BSD strlcpy); returns strlen(src). */
export function strlcpy(dst: Ptr<u8>, src: CharPtr, n: u32): u32 {
  const s = ptr<u8>(src);
  let i: u32 = 0;
  while (s[i] != 0) {
    if (i + 1 < n) dst[i] = s[i];
    i++;
  }
  if (n > 0) dst[i < n ? i : n - 1] = 0;
  return i;
}

export function memcpy(dst: VoidPtr, src: VoidPtr, n: u32): void {
  const d = ptr<u8>(dst);
  const s = ptr<u8>(src);
  for (let i: u32 = 0; i < n; i++) d[i] = s[i];
}

export function memset(dst: VoidPtr, value: u8, n: u32): void {
  const d = ptr<u8>(dst);
  for (let i: u32 = 0; i < n; i++) d[i] = value;
}

export function memcmp(a: VoidPtr, b: VoidPtr, n: u32): i32 {
  const p = ptr<u8>(a);
  const q = ptr<u8>(b);
  for (let i: u32 = 0; i < n; i++) {
    if (p[i] != q[i]) return i32(p[i]) - i32(q[i]);
  }
  return 0;
}

/** Parses an unsigned decimal number; stops at the first non-digit. */
export function simple_strtoul(s: CharPtr): u32 {
  const p = ptr<u8>(s);
  let v: u32 = 0;
  let i: u32 = 0;
  while (p[i] >= char('0') && p[i] <= char('9')) {
    v = v * 10 + u32(p[i] - char('0'));
    i++;
  }
  return v;
}

/** Appends src to the NUL-terminated string in dst (BSD strlcat); returns the length it tried to make. */
export function strlcat(dst: Ptr<u8>, src: CharPtr, n: u32): u32 {
  const len = strlen(dst);
  if (len >= n) return len + strlen(src);
  return len + strlcpy(dst.add(len), src, n - len);
}

/** Writes v in decimal, NUL-terminated, into buf (at least 11 bytes); returns the number of digits. */
export function u32_to_dec(v: u32, buf: Ptr<u8>): u32 {
  const tmp = stack_buffer<u8>(12);
  let n: u32 = 0;
  do {
    tmp[n] = u8(v % 10) + char('0');
    n++;
    v = v / 10;
  } while (v != 0);
  for (let i: u32 = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = 0;
  return n;
}
