// A running xenlab host (what `xenlab create` becomes when none is running):
// a HostSession, its run loop, control.sock for the other xenlab commands
// and xenstored.sock for XENSTORED_PATH. Idle virtual time is paced to the
// wall clock (a guest that sleeps 1 s takes 1 s), so typing at a console
// works; pacing only decides when slices run, never what happens in them.
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { ConfigError, ToolstackError } from '../hypervisor/dom0/index.js';
import { HostSession } from './toolstack-session.js';
import { connectControl, lineReader, send, type ControlReply, type ControlRequest, type RuntimePaths } from './toolstack-runtime.js';

export interface HostOptions {
  paths: RuntimePaths;
  session: HostSession;
  /** Pace idle virtual time to the wall clock (default true). */
  pace?: boolean;
  log: (line: string) => void;
}

/** Bad input (a missing or unreadable file, a kernel that is not a PV ELF) is exit status 2; the rest 1. */
export function toolstackErrorKind(e: ToolstackError): 'usage' | 'failed' {
  return /^cannot read |: kernel '.*' does not exist|: disk image '.*' does not exist|: building domain '.*' failed: /.test(e.message) ? 'usage' : 'failed';
}

interface ShutdownWait { domid: number; sock: Socket; what: string }

export class HostServer {
  private control: Server | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private readonly waits: ShutdownWait[] = [];
  private readonly consoles = new Set<{ domid: number; sock: Socket; unsubscribe: () => void }>();
  private stopped!: Promise<void>;
  private readonly sockets = new Set<Socket>();
  /** Set when the run loop stopped on an internal error. */
  failure: string | undefined;

  constructor(private readonly opts: HostOptions) {}

  get session(): HostSession { return this.opts.session; }

  /** Take the runtime folder's sockets. False when another host already answers there. */
  async listen(): Promise<boolean> {
    const { paths } = this.opts;
    const server = createServer((sock) => this.accept(sock));
    for (let attempt = 0; ; attempt++) {
      const err = await new Promise<NodeJS.ErrnoException | undefined>((res) => {
        server.once('error', res);
        server.listen(paths.control, () => { server.off('error', res); res(undefined); });
      });
      if (!err) break;
      if (err.code !== 'EADDRINUSE' || attempt > 0) throw err;
      const live = await connectControl(paths);
      if (live) { live.destroy(); return false; }
      rmSync(paths.control, { force: true }); // stale, from a host that was killed
    }
    this.control = server;
    const xs = await this.session.host.dom0.listen(paths.xenstored);
    // A store write from xenstore-utils may wake a guest (watches): run the loop.
    xs.server.on('connection', (s: Socket) => s.on('data', () => this.kick()));
    return true;
  }

  /** Run until every domain is gone or stop() is called. */
  run(): Promise<void> {
    this.stopped = this.loop();
    return this.stopped;
  }

  kick(): void { const w = this.wake; this.wake = undefined; w?.(); }

  async stop(): Promise<void> {
    if (!this.stopping) {
      const n = this.session.toolstack.list().length;
      this.opts.log(`stopping: ${n ? `destroying ${n} domain${n === 1 ? '' : 's'}, ` : ''}closing ${this.opts.paths.dir}`);
    }
    this.stopping = true;
    this.kick();
    await this.stopped;
  }

  private async loop(): Promise<void> {
    const pace = this.opts.pace ?? true;
    let anchorV = 0;
    let anchorW = performance.now();
    while (!this.stopping) {
      let r;
      try {
        r = this.session.step();
      } catch (e) {
        // A bug in xenlab, not the guest's doing: say so in one line and stop cleanly.
        this.failure = `internal error in the run loop: ${(e as Error).message}`;
        this.opts.log(this.failure + (process.env.XENLAB_DEBUG ? `\n${(e as Error).stack}` : ' (set XENLAB_DEBUG=1 for details)'));
        break;
      }
      this.afterStep();
      if (this.session.hadDomains && this.session.toolstack.list().length === 0) {
        this.opts.log('no domains left; the host stops');
        break;
      }
      if (r.kind === 'waiting') {
        await new Promise<void>((res) => { this.wake = res; });
        anchorV = this.session.virtualSeconds * 1000;
        anchorW = performance.now();
        continue;
      }
      // Never let virtual time run ahead of the wall clock while guests idle; never catch up after busy stretches.
      const ahead = this.session.virtualSeconds * 1000 - anchorV - (performance.now() - anchorW);
      if (pace && r.idleNs > 0 && ahead > 0) {
        await new Promise<void>((res) => { this.wake = res; setTimeout(() => this.kick(), ahead); });
      } else {
        if (ahead <= 0) { anchorV = this.session.virtualSeconds * 1000; anchorW = performance.now(); }
        await new Promise((res) => setImmediate(res));
      }
    }
    await this.shutdownServers();
  }

  /** Answer shutdown --wait requests and end console streams of domains that are gone. */
  private afterStep(): void {
    const rows = new Map(this.session.rows().map((r) => [r.domid, r]));
    for (const w of [...this.waits]) {
      const row = rows.get(w.domid);
      if (row && row.state !== 'shutdown' && row.state !== 'crashed') continue;
      this.waits.splice(this.waits.indexOf(w), 1);
      send(w.sock, { ok: true, message: `${w.what} ${row?.state === 'crashed' ? 'crashed' : 'shut down'}${row ? ' (preserved)' : ''}` } satisfies ControlReply);
    }
    for (const c of [...this.consoles]) {
      const row = rows.get(c.domid);
      if (row && row.state !== 'shutdown' && row.state !== 'crashed') continue;
      send(c.sock, { closed: `domain ${c.domid} ${row ? `${row.state === 'crashed' ? 'crashed' : 'shut down'} (preserved; xenlab destroy ${row.name} frees it)` : 'is gone'}` });
      c.sock.end();
      c.unsubscribe();
      this.consoles.delete(c);
    }
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    let consoleOf: { domid: number; sock: Socket; unsubscribe: () => void } | undefined;
    sock.on('close', () => { if (consoleOf) { consoleOf.unsubscribe(); this.consoles.delete(consoleOf); } });
    lineReader(sock, (m) => {
      if (consoleOf) {
        const input = (m as { in?: unknown }).in;
        if (typeof input === 'string' && this.session.input(consoleOf.domid, new Uint8Array(Buffer.from(input, 'base64')))) this.kick();
        return;
      }
      const req = m as ControlRequest;
      if (req.op === 'console') {
        const r = this.handle(req);
        send(sock, r);
        const row = r?.ok ? r.domains?.[0] : undefined;
        if (!row) return;
        const domid = row.domid;
        const replay = this.session.transcript(domid);
        if (replay) send(sock, { out: replay });
        const unsubscribe = this.session.onConsole((d, text) => { if (d === domid) send(sock, { out: text }); });
        consoleOf = { domid, sock, unsubscribe };
        this.consoles.add(consoleOf);
        return;
      }
      const r = this.handle(req, sock);
      if (r) send(sock, r);
      this.kick();
    });
  }

  /** One control request; undefined when the reply comes later (shutdown --wait). */
  handle(req: ControlRequest, sock?: Socket): ControlReply | undefined {
    const ts = this.session.toolstack;
    try {
      switch (req?.op) {
        case 'create': {
          if (typeof req.file !== 'string') return { ok: false, kind: 'usage', error: 'create: no config file given' };
          const made = this.session.create(req.file, req.paused);
          for (const d of made) this.opts.log(`domain ${d.domid} (${d.name}) created${req.paused ? ', paused' : ''} from ${req.file}`);
          return { ok: true, created: made.map((d) => ({ domid: d.domid, name: d.name })) };
        }
        case 'list':
          return { ok: true, domains: this.session.rows(), virtualSeconds: this.session.virtualSeconds };
        case 'console': {
          const d = ts.find(req.domain);
          return { ok: true, domains: this.session.rows().filter((r) => r.domid === d.domid) };
        }
        case 'destroy': case 'pause': case 'unpause': {
          const d = ts.find(req.domain);
          ts[req.op](d.domid);
          this.opts.log(`domain ${d.domid} (${d.name}): ${req.op === 'destroy' ? 'destroyed' : req.op + 'd'}`);
          return { ok: true, message: `domain ${d.domid} (${d.name}) ${req.op === 'destroy' ? 'destroyed' : req.op + 'd'}` };
        }
        case 'shutdown': {
          const d = ts.find(req.domain);
          ts.shutdown(d.domid, req.reason);
          const what = `domain ${d.domid} (${d.name})`;
          this.opts.log(`${what}: asked to ${req.reason} (control/shutdown)`);
          if (req.wait && sock) { this.waits.push({ domid: d.domid, sock, what }); return undefined; }
          return { ok: true, message: `asked ${what} to ${req.reason} through control/shutdown; its kernel must act on it (xenlab destroy ${d.name} stops it regardless)` };
        }
        default:
          return { ok: false, kind: 'usage', error: `unknown request '${String((req as { op?: unknown })?.op)}' (is this xenlab older than the host?)` };
      }
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, kind: 'usage', error: e.message };
      if (e instanceof ToolstackError) return { ok: false, kind: toolstackErrorKind(e), error: e.message };
      return { ok: false, kind: 'failed', error: `internal error: ${(e as Error).message}` };
    }
  }

  private async shutdownServers(): Promise<void> {
    for (const w of this.waits) { send(w.sock, { ok: false, kind: 'failed', error: 'the host stopped' }); w.sock.end(); }
    for (const c of this.consoles) { send(c.sock, { closed: 'the host stopped' }); c.sock.end(); c.unsubscribe(); }
    this.consoles.clear();
    for (const s of this.sockets) s.destroySoon();
    await new Promise<void>((res) => (this.control ? this.control.close(() => res()) : res()));
    rmSync(this.opts.paths.control, { force: true });
    await this.session.close();
  }
}
