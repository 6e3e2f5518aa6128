// XsHandle: what host code (toolstack, backends, CLI) uses to talk to the
// store, in the manner of libxenstore's xs_handle: privileged Dom0 by default,
// every call returns a value or an error string, never throws.
import type { XenStore, XsClient } from './xenstored.js';
import { bytes, joinStrings, splitStrings, text, XS, type XsError, type XsMessage } from './wire.js';

export type WatchCallback = (path: string, token: string) => void;

export class XsHandle implements XsClient {
  private lastReply: XsMessage | undefined;
  private readonly callbacks = new Map<string, WatchCallback>();
  private reqId = 1;
  private depth = 0;
  private readonly queued: Array<[string, string]> = [];

  constructor(readonly store: XenStore, readonly domid = 0, readonly privileged = domid === 0) {
    store.attach(this);
  }

  deliver(msg: XsMessage): void {
    if (msg.type === XS.WATCH_EVENT) {
      // Callbacks run after the request that caused them has its reply, so they may make requests.
      const [path, token] = splitStrings(msg.payload);
      this.queued.push([path ?? '', token ?? '']);
      if (this.depth === 0) this.runCallbacks();
    } else {
      this.lastReply = msg;
    }
  }

  /** Send one request and return its reply payload, or the error string. */
  request(type: number, payload: Uint8Array, txId = 0): Uint8Array | XsError {
    this.lastReply = undefined;
    this.depth++;
    this.store.handle(this, { type, reqId: this.reqId++, txId, payload });
    this.depth--;
    const r = this.lastReply as XsMessage | undefined;
    if (this.depth === 0) this.runCallbacks();
    if (!r) return 'EIO';
    if (r.type === XS.ERROR) return splitStrings(r.payload)[0] as XsError;
    return r.payload;
  }

  private runCallbacks(): void {
    this.depth++;
    try {
      for (let ev = this.queued.shift(); ev; ev = this.queued.shift()) this.callbacks.get(ev[1])?.(ev[0], ev[1]);
    } finally {
      this.depth--;
    }
  }

  read(path: string, tx = 0): string | undefined {
    const r = this.request(XS.READ, joinStrings([path]), tx);
    return typeof r === 'string' ? undefined : text(r);
  }

  write(path: string, value: string, tx = 0): XsError | undefined {
    const p = bytes(path + '\0' + value);
    return errorOf(this.request(XS.WRITE, p, tx));
  }

  mkdir(path: string, tx = 0): XsError | undefined { return errorOf(this.request(XS.MKDIR, joinStrings([path]), tx)); }
  rm(path: string, tx = 0): XsError | undefined { return errorOf(this.request(XS.RM, joinStrings([path]), tx)); }

  directory(path: string, tx = 0): string[] | XsError {
    const r = this.request(XS.DIRECTORY, joinStrings([path]), tx);
    return typeof r === 'string' ? r : splitStrings(r).filter((s) => s !== '');
  }

  getPerms(path: string, tx = 0): string[] | XsError {
    const r = this.request(XS.GET_PERMS, joinStrings([path]), tx);
    return typeof r === 'string' ? r : splitStrings(r);
  }

  /** perms like ['n0', 'r5']: first the owner and everyone's default. */
  setPerms(path: string, perms: readonly string[], tx = 0): XsError | undefined {
    return errorOf(this.request(XS.SET_PERMS, joinStrings([path, ...perms]), tx));
  }

  /** Register a watch; the callback runs once at once (as xenstored fires new watches) and on every change below. */
  watch(path: string, token: string, cb: WatchCallback): XsError | undefined {
    this.callbacks.set(token, cb);
    const err = errorOf(this.request(XS.WATCH, joinStrings([path, token])));
    if (err) this.callbacks.delete(token);
    return err;
  }

  unwatch(path: string, token: string): XsError | undefined {
    this.callbacks.delete(token);
    return errorOf(this.request(XS.UNWATCH, joinStrings([path, token])));
  }

  transactionStart(): number | XsError {
    const r = this.request(XS.TRANSACTION_START, joinStrings(['']));
    return typeof r === 'string' ? r : Number(splitStrings(r)[0]);
  }

  transactionEnd(tx: number, commit: boolean): XsError | undefined {
    return errorOf(this.request(XS.TRANSACTION_END, joinStrings([commit ? 'T' : 'F']), tx));
  }

  /** Run `body` in a transaction, retrying on EAGAIN as xl does (at most `tries` times). */
  transaction(body: (tx: number) => XsError | undefined, tries = 10): XsError | undefined {
    for (let i = 0; i < tries; i++) {
      const tx = this.transactionStart();
      if (typeof tx === 'string') return tx;
      const err = body(tx);
      if (err) { this.transactionEnd(tx, false); return err; }
      const end = this.transactionEnd(tx, true);
      if (end !== 'EAGAIN') return end;
    }
    return 'EAGAIN';
  }

  close(): void { this.store.detach(this); }
}

function errorOf(r: Uint8Array | XsError): XsError | undefined { return typeof r === 'string' ? r : undefined; }
