// A small async client for a xenstored Unix socket (ours or a real one), for
// `xenlab xenstore ...` run against a running xenlab from another process.
import { connect, type Socket } from 'node:net';
import { bytes, encodeMessage, joinStrings, splitStrings, text, XS, XSD_SOCKMSG_SIZE, type XsError, type XsMessage } from './wire.js';

export class XsSocketClient {
  private buf = new Uint8Array(0);
  private waiting: Array<(m: XsMessage) => void> = [];
  private reqId = 1;
  readonly events: Array<[string, string]> = [];
  onWatch?: (path: string, token: string) => void;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (d) => this.take(new Uint8Array(d.buffer, d.byteOffset, d.length)));
  }

  static open(path: string): Promise<XsSocketClient> {
    return new Promise((res, rej) => {
      const s = connect(path);
      s.once('connect', () => res(new XsSocketClient(s)));
      s.once('error', (e) => rej(new Error(`cannot connect to xenstored at ${path}: ${(e as NodeJS.ErrnoException).code ?? e.message} (is xenlab running? set XENSTORED_PATH)`)));
    });
  }

  private take(d: Uint8Array): void {
    const all = new Uint8Array(this.buf.length + d.length);
    all.set(this.buf); all.set(d, this.buf.length);
    let at = 0;
    while (all.length - at >= XSD_SOCKMSG_SIZE) {
      const dv = new DataView(all.buffer, at);
      const len = dv.getUint32(12, true);
      if (all.length - at < XSD_SOCKMSG_SIZE + len) break;
      const m = { type: dv.getUint32(0, true), reqId: dv.getUint32(4, true), txId: dv.getUint32(8, true), payload: all.slice(at + 16, at + 16 + len) };
      at += 16 + len;
      if (m.type === XS.WATCH_EVENT) {
        const [p, t] = splitStrings(m.payload);
        this.events.push([p, t]);
        this.onWatch?.(p, t);
      } else this.waiting.shift()?.(m);
    }
    this.buf = all.slice(at);
  }

  request(type: number, payload: Uint8Array, txId = 0): Promise<Uint8Array | XsError> {
    return new Promise((res) => {
      this.waiting.push((m) => res(m.type === XS.ERROR ? (splitStrings(m.payload)[0] as XsError) : m.payload));
      this.sock.write(encodeMessage({ type, reqId: this.reqId++, txId, payload }));
    });
  }

  async read(path: string): Promise<string | XsError> {
    const r = await this.request(XS.READ, joinStrings([path]));
    return typeof r === 'string' ? r : text(r);
  }
  async write(path: string, value: string): Promise<XsError | undefined> {
    const r = await this.request(XS.WRITE, bytes(`${path}\0${value}`));
    return typeof r === 'string' ? r : undefined;
  }
  async rm(path: string): Promise<XsError | undefined> {
    const r = await this.request(XS.RM, joinStrings([path]));
    return typeof r === 'string' ? r : undefined;
  }
  async directory(path: string): Promise<string[] | XsError> {
    const r = await this.request(XS.DIRECTORY, joinStrings([path]));
    return typeof r === 'string' ? r : splitStrings(r).filter((s) => s);
  }
  async getPerms(path: string): Promise<string[] | XsError> {
    const r = await this.request(XS.GET_PERMS, joinStrings([path]));
    return typeof r === 'string' ? r : splitStrings(r);
  }

  close(): void { this.sock.destroy(); }
}

/** The store under `path` in xenstore-ls's layout ("name = "value"", one space of indent per level). */
export async function xenstoreLs(c: Pick<XsSocketClient, 'read' | 'directory'>, path: string): Promise<string | XsError> {
  const lines: string[] = [];
  const walk = async (p: string, depth: number): Promise<XsError | undefined> => {
    const kids = await c.directory(p);
    if (typeof kids === 'string') return kids;
    for (const k of kids) {
      const child = p === '/' ? `/${k}` : `${p}/${k}`;
      const v = await c.read(child);
      lines.push(`${' '.repeat(depth)}${k} = "${typeof v === 'string' && !['EACCES', 'ENOENT'].includes(v) ? escape(v) : ''}"`);
      await walk(child, depth + 1);
    }
    return undefined;
  };
  const err = await walk(path, 0);
  return err ?? lines.join('\n') + (lines.length ? '\n' : '');
}

/** xenstore-ls's rendering of a value: \t \n \r \\ escaped, bytes below 8 in octal, other controls and bytes from 0x7f in hex. */
function escape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '\\') out += '\\\\';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (c < 8) out += `\\${c.toString(8).padStart(3, '0')}`;
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}
