// Where a running xenlab host is found, and how other xenlab processes talk to
// it. Every xenlab process is its own machine, so `xenlab create` serves two
// Unix sockets in a runtime folder ($XENLAB_RUNTIME_DIR, default
// /tmp/xenlab-$UID): `control.sock` (this module's protocol: one JSON object
// per line each way) and `xenstored.sock` (the XenStore wire protocol, for
// XENSTORED_PATH and Debian's xenstore-utils).
import { mkdirSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './args.js';

export interface RuntimePaths { dir: string; control: string; xenstored: string }

/** Longest path a Unix socket address holds on Linux (sun_path is 108 bytes with the NUL). */
const SUN_PATH_MAX = 107;

export function runtimePaths(env: NodeJS.ProcessEnv = process.env): RuntimePaths {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = env.XENLAB_RUNTIME_DIR || join(tmpdir(), `xenlab-${uid}`);
  const paths = { dir, control: join(dir, 'control.sock'), xenstored: join(dir, 'xenstored.sock') };
  for (const p of [paths.control, paths.xenstored]) {
    if (Buffer.byteLength(p) > SUN_PATH_MAX) {
      throw new UsageError(`xenlab: the runtime folder '${dir}' is too long for a Unix socket path (${p} has more than ${SUN_PATH_MAX} bytes); set XENLAB_RUNTIME_DIR to a shorter folder`);
    }
  }
  return paths;
}

/** Create the runtime folder, private to this user. */
export function ensureRuntimeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new UsageError(`xenlab: cannot create the runtime folder '${dir}': ${(e as Error).message}; set XENLAB_RUNTIME_DIR to a writable folder`);
  }
  const st = statSync(dir);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new UsageError(`xenlab: the runtime folder '${dir}' belongs to another user; set XENLAB_RUNTIME_DIR to a folder of your own`);
  }
}

/** Requests on control.sock. Domains are named by name or domid, as xl does. */
export type ControlRequest =
  | { op: 'create'; file: string; paused: boolean }
  | { op: 'list' }
  | { op: 'destroy' | 'pause' | 'unpause'; domain: string }
  | { op: 'shutdown'; domain: string; reason: 'poweroff' | 'reboot'; wait: boolean }
  | { op: 'console'; domain: string };

export interface DomainRow { domid: number; name: string; memoryMiB: number; vcpus: number; state: string; cpuSeconds: number }

/** `kind` says what exit status the client gives: 'usage' (bad config or arguments) 2, 'failed' 1. */
export type ControlReply =
  | { ok: true; domains?: DomainRow[]; created?: { domid: number; name: string }[]; message?: string; virtualSeconds?: number }
  | { ok: false; kind: 'usage' | 'failed'; error: string };

/** Console stream after a successful `console` request: out = guest text, closed = why the stream ended. */
export type ConsoleFrame = { out: string } | { closed: string };

/** Failures the client reports as one line with exit status 1. */
export class HostError extends Error {
  constructor(message: string, readonly status = 1) { super(message); this.name = 'HostError'; }
}

export function noHostMessage(command: string, paths: RuntimePaths): string {
  return `xenlab ${command}: no xenlab host is running (nothing answers on ${paths.control}); ` +
    'start one with: xenlab create CONFIG (or set XENLAB_RUNTIME_DIR to the folder of a running one)';
}

/** Connect to a running host's control socket, or undefined when none answers. */
export function connectControl(paths: RuntimePaths): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect(paths.control);
    s.once('connect', () => { s.removeAllListeners('error'); resolve(s); });
    s.once('error', () => { s.destroy(); resolve(undefined); });
  });
}

/** Splits a byte stream into JSON lines. */
export function lineReader(sock: Socket, onMessage: (m: unknown) => void): void {
  let pending = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.trim()) continue;
      let m: unknown;
      try { m = JSON.parse(line); } catch { m = { ok: false, kind: 'failed', error: 'garbled message on the control socket' }; }
      onMessage(m);
    }
  });
}

export function send(sock: Socket, m: unknown): void {
  if (!sock.destroyed && sock.writable) sock.write(JSON.stringify(m) + '\n');
}

/** One request, one reply; HostError when no host runs or the host goes away. */
export async function request(command: string, paths: RuntimePaths, req: ControlRequest): Promise<ControlReply> {
  const sock = await connectControl(paths);
  if (!sock) throw new HostError(noHostMessage(command, paths));
  return new Promise((resolve, reject) => {
    let done = false;
    lineReader(sock, (m) => { done = true; sock.end(); resolve(m as ControlReply); });
    sock.once('close', () => { if (!done) reject(new HostError(`xenlab ${command}: the xenlab host stopped before answering`)); });
    sock.on('error', () => {});
    send(sock, req);
  });
}

/** Reply → exit status, printing the error line. */
export function replyError(command: string, r: ControlReply): number | undefined {
  if (r.ok) return undefined;
  process.stderr.write(`xenlab ${command}: ${r.error}\n`);
  return r.kind === 'usage' ? 2 : 1;
}
