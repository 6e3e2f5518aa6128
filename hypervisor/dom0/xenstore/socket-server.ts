// A Unix socket endpoint for the store, like xenstored's
// /var/run/xenstored/socket: every connection is privileged Dom0, as for
// the real daemon. Debian's xenstore-utils reach it through XENSTORED_PATH.
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { XsConnection } from './connection.js';
import type { XenStore } from './xenstored.js';

export interface XenStoreSocket {
  readonly path: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Listen on `path` (a stale socket file there is replaced). */
export function listenXenStore(store: XenStore, path: string): Promise<XenStoreSocket> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    const conn = new XsConnection(store, 0, true, (b) => { if (!sock.destroyed) sock.write(b); });
    sock.on('data', (d) => {
      conn.feed(new Uint8Array(d.buffer, d.byteOffset, d.length));
      if (conn.broken) sock.destroy();
    });
    const done = () => { conn.close(); sockets.delete(sock); };
    sock.on('close', done);
    sock.on('error', done);
  });
  rmSync(path, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve({
        path,
        server,
        close: () => new Promise<void>((res) => {
          for (const s of sockets) s.destroy();
          server.close(() => { rmSync(path, { force: true }); res(); });
        }),
      });
    });
  });
}
