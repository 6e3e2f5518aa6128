// xenlab create CONFIG|SCENARIO [-p] [-c]: start domains from an xl-style
// config (or a scenario of several). When no xenlab host is running in the
// runtime folder, this process becomes the host and stays in the foreground,
// serving control.sock and xenstored.sock, until its last domain is gone or
// Ctrl-C; otherwise the domains are added to the running host and the
// command returns (with -c, after attaching to the new domain's console).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, parseArgs } from './args.js';
import { parseWallclock } from './run.js';
import { expandShort } from './toolstack.js';
import { attachConsole, attachTerminal, type Terminal } from './console.js';
import { HostSession } from './toolstack-session.js';
import { HostServer, toolstackErrorKind } from './toolstack-host.js';
import { ConfigError, ToolstackError } from '../hypervisor/dom0/index.js';
import { ensureRuntimeDir, HostError, replyError, request, runtimePaths, type RuntimePaths } from './toolstack-runtime.js';

const USAGE = 'usage: xenlab create CONFIG|SCENARIO [-p|--paused] [-c|--console] [--no-pace] [--wallclock TIME]';

export async function main(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs('create', expandShort('create', argv, { p: 'paused', c: 'console' }), {
    paused: 'boolean', console: 'boolean', 'no-pace': 'boolean', wallclock: 'string',
  });
  if (positionals.length !== 1) throw new UsageError(USAGE);
  const file = resolve(positionals[0]!);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`xenlab create: cannot read ${positionals[0]}: no such file`);
  const paths = runtimePaths();
  const paused = options.paused === true;
  try {
    const remote = await createRemote(paths, file, paused, options.console === true);
    if (remote !== undefined) return remote;
    return await hostForeground(paths, file, {
      paused, attach: options.console === true, pace: options['no-pace'] !== true,
      wallclock: options.wallclock ? wallclockOption(options.wallclock as string) : undefined,
    });
  } catch (e) {
    if (e instanceof HostError) { process.stderr.write(e.message + '\n'); return e.status; }
    throw e;
  }
}

function wallclockOption(text: string): { sec: number; nsec: number } {
  try {
    return parseWallclock(text);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^xenlab run:/, 'xenlab create:'));
  }
}

/** Add the domains to a running host; undefined when none is running. */
async function createRemote(paths: RuntimePaths, file: string, paused: boolean, attach: boolean): Promise<number | undefined> {
  let r;
  try {
    r = await request('create', paths, { op: 'create', file, paused });
  } catch (e) {
    if (e instanceof HostError && /no xenlab host is running/.test(e.message)) return undefined;
    throw e;
  }
  const bad = replyError('create', r);
  if (bad !== undefined) return bad;
  const made = (r.ok && r.created) || [];
  for (const d of made) process.stderr.write(`xenlab: domain ${d.domid} (${d.name}) created${paused ? ', paused' : ''} on the host in ${paths.dir}\n`);
  if (attach && made[0]) return attachConsole('create', String(made[0].domid));
  return 0;
}

async function hostForeground(paths: RuntimePaths, file: string,
  opts: { paused: boolean; attach: boolean; pace: boolean; wallclock?: { sec: number; nsec: number } }): Promise<number> {
  const log = (line: string) => process.stderr.write(`xenlab: ${line}\n`);
  const nowMs = Date.now(); // the time of day the guests see at boot, never used to decide anything
  const session = new HostSession({ wallclock: opts.wallclock ?? { sec: Math.floor(nowMs / 1000), nsec: (nowMs % 1000) * 1e6 }, onEvent: log });
  let made;
  try {
    made = session.create(file, opts.paused);
  } catch (e) {
    await session.close();
    if (e instanceof ConfigError) throw new UsageError(`xenlab create: ${e.message}`);
    if (e instanceof ToolstackError) {
      process.stderr.write(`xenlab create: ${e.message}\n`);
      return toolstackErrorKind(e) === 'usage' ? 2 : 1;
    }
    throw e;
  }
  ensureRuntimeDir(paths.dir);
  const server = new HostServer({ paths, session, pace: opts.pace, log });
  if (!(await server.listen())) {
    // Another `xenlab create` became the host meanwhile: hand the config to it.
    await session.close();
    return (await createRemote(paths, file, opts.paused, opts.attach)) ?? 1;
  }
  for (const d of made) log(`domain ${d.domid} (${d.name}) created${opts.paused ? ', paused' : ''}`);
  log(`host serving in ${paths.dir} (XENSTORED_PATH=${paths.xenstored}); ` +
    `xenlab list|console|destroy reach it; Ctrl-C${opts.attach ? ' (after Ctrl-] detaches)' : ''} stops it`);
  const stop = () => { void server.stop(); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  const term = opts.attach && made[0] ? attachLocal(server, made[0].domid, log) : undefined;
  await server.run();
  term?.close();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  process.off('SIGHUP', stop);
  return server.failure ? 1 : 0;
}

/** -c on the host itself: this terminal is the first domain's console. */
function attachLocal(server: HostServer, domid: number, log: (line: string) => void): Terminal {
  const session = server.session;
  const term = attachTerminal({
    onInput: (bytes) => { if (session.input(domid, bytes)) server.kick(); },
    onDetach: () => { stopWatching(); log('detached from the console; the host keeps serving (Ctrl-C stops it)'); },
  });
  const unsubscribe = session.onConsole((d, text) => {
    if (d === domid) term.write(text);
  });
  const stopWatching = () => { unsubscribe(); term.close(); };
  term.write(session.transcript(domid));
  // The terminal lets go when the domain is gone (the loop ends the host once nothing is left).
  const timer = setInterval(() => {
    const row = session.rows().find((d) => d.domid === domid);
    if (!row || row.state === 'shutdown' || row.state === 'crashed') { stopWatching(); clearInterval(timer); }
  }, 100);
  timer.unref();
  return term;
}
