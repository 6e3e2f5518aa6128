// A transport-independent xenstored connection: bytes in, reply bytes out.
// It frames the stream into xsd_sockmsg messages (16-byte header, payload of
// at most XENSTORE_PAYLOAD_MAX bytes) and hands each to the store. A header
// that announces a larger payload is a protocol violation: the connection
// stops (the transport then closes it or flags the ring), as xenstored does.
import type { XenStore, XsClient } from './xenstored.js';
import { encodeMessage, XENSTORE_PAYLOAD_MAX, XSD_SOCKMSG_SIZE, type XsMessage } from './wire.js';

export class XsConnection implements XsClient {
  private input = new Uint8Array(0);
  /** Set when the peer broke the protocol; nothing more is read. */
  broken: string | undefined;

  constructor(
    private readonly store: XenStore,
    readonly domid: number,
    readonly privileged: boolean,
    private readonly output: (bytes: Uint8Array) => void,
  ) {
    store.attach(this);
  }

  deliver(msg: XsMessage): void { this.output(encodeMessage(msg)); }

  /** Bytes from the peer, in any split; complete messages are handled at once. */
  feed(data: Uint8Array): void {
    if (this.broken) return;
    const joined = new Uint8Array(this.input.length + data.length);
    joined.set(this.input, 0);
    joined.set(data, this.input.length);
    let at = 0;
    while (joined.length - at >= XSD_SOCKMSG_SIZE) {
      const dv = new DataView(joined.buffer, joined.byteOffset + at, XSD_SOCKMSG_SIZE);
      const len = dv.getUint32(12, true);
      if (len > XENSTORE_PAYLOAD_MAX) {
        this.broken = `message payload of ${len} bytes is larger than ${XENSTORE_PAYLOAD_MAX}`;
        this.input = new Uint8Array(0);
        return;
      }
      if (joined.length - at < XSD_SOCKMSG_SIZE + len) break;
      const msg: XsMessage = {
        type: dv.getUint32(0, true), reqId: dv.getUint32(4, true), txId: dv.getUint32(8, true),
        payload: joined.slice(at + XSD_SOCKMSG_SIZE, at + XSD_SOCKMSG_SIZE + len),
      };
      at += XSD_SOCKMSG_SIZE + len;
      this.store.handle(this, msg);
      if (this.broken) return;
    }
    this.input = joined.slice(at);
  }

  /** Bytes of a message still waiting for the rest of it. */
  get pending(): number { return this.input.length; }

  close(): void { this.store.detach(this); }
}
