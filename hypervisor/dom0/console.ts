// Console backend (xenconsoled's job): the guest's xencons_interface page
// holds out[] (guest → host) and in[] (host → guest) byte rings with
// free-running indexes. On each guest notification the backend drains out[]
// into the domain's log and listeners, and moves queued input into in[] as
// far as the guest has made room (flow control: input waits, never drops).
import type { GuestPort } from './port.js';
import { copyIn, copyOut, frameMemory, readU32, type RingMemory, ringUsed, writeU32, type ByteRingLayout } from './ring.js';

/** struct xencons_interface (io/console.h), checked by abi.test.ts. */
export const XENCONS = { in: 0, inSize: 1024, out: 1024, outSize: 2048, in_cons: 3072, in_prod: 3076, out_cons: 3080, out_prod: 3084 } as const;

const OUT: ByteRingLayout = { data: XENCONS.out, size: XENCONS.outSize, cons: XENCONS.out_cons, prod: XENCONS.out_prod };
const IN: ByteRingLayout = { data: XENCONS.in, size: XENCONS.inSize, cons: XENCONS.in_cons, prod: XENCONS.in_prod };

export type ConsoleListener = (domid: number, data: Uint8Array) => void;

export class ConsoleBackend {
  private readonly mem: RingMemory;
  private readonly chunks: Uint8Array[] = [];
  private logBytes = 0;
  private pendingInput: Uint8Array[] = [];
  private readonly listeners = new Set<ConsoleListener>();
  /** Set when the guest left impossible indexes; the console stops. */
  broken: string | undefined;

  constructor(private readonly port: GuestPort, readonly mfn: number, readonly localPort: number, readonly maxLog = 1 << 20) {
    this.mem = frameMemory(port, mfn);
  }

  get domid(): number { return this.port.domid; }

  onOutput(l: ConsoleListener): () => void { this.listeners.add(l); return () => this.listeners.delete(l); }

  /** Everything the guest wrote so far (the last maxLog bytes). */
  log(): Uint8Array {
    const out = new Uint8Array(this.logBytes);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  logText(): string { return new TextDecoder().decode(this.log()); }

  /** The guest notified the console event channel. */
  handleEvent(): void {
    if (this.broken) return;
    const drained = this.drainOutput();
    const fed = this.pushInput();
    if (drained || fed) this.port.notify(this.localPort);
  }

  /** Queue keyboard input for the guest; it goes in as in[] has room. */
  input(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data.slice();
    if (bytes.length === 0 || this.broken) return;
    this.pendingInput.push(bytes);
    if (this.pushInput()) this.port.notify(this.localPort);
  }

  /** Bytes of input still waiting for room in the guest's ring. */
  get inputBacklog(): number { return this.pendingInput.reduce((s, b) => s + b.length, 0); }

  private drainOutput(): boolean {
    const cons = readU32(this.mem, OUT.cons);
    const prod = readU32(this.mem, OUT.prod);
    const used = ringUsed(prod, cons, OUT.size);
    if (used < 0) { this.broken = `out_prod ${prod} and out_cons ${cons} are further apart than the ring (${OUT.size})`; return false; }
    if (used === 0) return false;
    const data = copyOut(this.mem, OUT, cons, used);
    writeU32(this.mem, OUT.cons, prod);
    this.append(data);
    for (const l of this.listeners) l(this.port.domid, data);
    return true;
  }

  private pushInput(): boolean {
    if (this.pendingInput.length === 0) return false;
    const cons = readU32(this.mem, IN.cons);
    const prod = readU32(this.mem, IN.prod);
    const used = ringUsed(prod, cons, IN.size);
    if (used < 0) { this.broken = `in_prod ${prod} and in_cons ${cons} are further apart than the ring (${IN.size})`; return false; }
    let room = IN.size - used;
    let at = prod;
    while (room > 0 && this.pendingInput.length) {
      const head = this.pendingInput[0];
      const n = Math.min(room, head.length);
      copyIn(this.mem, IN, at, head.subarray(0, n));
      at = (at + n) >>> 0;
      room -= n;
      if (n === head.length) this.pendingInput.shift(); else this.pendingInput[0] = head.subarray(n);
    }
    if (at === prod) return false;
    writeU32(this.mem, IN.prod, at);
    return true;
  }

  private append(data: Uint8Array): void {
    this.chunks.push(data);
    this.logBytes += data.length;
    while (this.logBytes > this.maxLog && this.chunks.length > 1) this.logBytes -= this.chunks.shift()!.length;
  }
}
