// Byte rings with free-running u32 indexes, as the XenStore and console rings
// use them (xs_wire.h, console.h): producer and consumer count bytes forever
// and wrap at 2^32; the slot is index & (size - 1). Indexes come from guest
// memory and may be garbage, so every read is checked.

export interface ByteRingLayout {
  /** Offset of the data array in the page. */
  data: number;
  /** Size of the data array, a power of two. */
  size: number;
  cons: number;
  prod: number;
}

/** The memory a ring lives in (a frame through a GuestPort, or a grant mapping). */
export interface RingMemory {
  read(offset: number, len: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
}

export function readU32(mem: RingMemory, offset: number): number {
  const b = mem.read(offset, 4);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

export function writeU32(mem: RingMemory, offset: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  mem.write(offset, b);
}

/** Bytes between consumer and producer, or -1 when the indexes are impossible (more than the ring holds). */
export function ringUsed(prod: number, cons: number, size: number): number {
  const used = (prod - cons) >>> 0;
  return used > size ? -1 : used;
}

/** Copy `len` bytes starting at free-running index `idx` out of the ring, across the wrap. */
export function copyOut(mem: RingMemory, l: ByteRingLayout, idx: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const slot = (idx + done) & (l.size - 1);
    const n = Math.min(len - done, l.size - slot);
    out.set(mem.read(l.data + slot, n), done);
    done += n;
  }
  return out;
}

/** Copy `data` into the ring at free-running index `idx`, across the wrap. */
export function copyIn(mem: RingMemory, l: ByteRingLayout, idx: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) {
    const slot = (idx + done) & (l.size - 1);
    const n = Math.min(data.length - done, l.size - slot);
    mem.write(l.data + slot, data.subarray(done, done + n));
    done += n;
  }
}

/** A RingMemory over one machine frame of a guest. */
export function frameMemory(port: { readFrame(m: number, o: number, l: number): Uint8Array; writeFrame(m: number, o: number, d: Uint8Array): void }, mfn: number): RingMemory {
  return { read: (o, l) => port.readFrame(mfn, o, l), write: (o, d) => port.writeFrame(mfn, o, d) };
}
