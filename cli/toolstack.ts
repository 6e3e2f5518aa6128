// xenlab list / destroy / shutdown / pause / unpause: xl's domain commands,
// sent to the running host over its control socket (toolstack-runtime.ts).
import { UsageError, parseArgs } from './args.js';
import { HostError, replyError, request, runtimePaths, type ControlRequest, type DomainRow } from './toolstack-runtime.js';

/** Expand single-letter flags (-w) to the long options parseArgs knows. */
export function expandShort(command: string, argv: string[], short: Record<string, string>): string[] {
  return argv.map((a) => {
    if (!/^-[^-]/.test(a)) return a;
    const long = a.length === 2 ? short[a[1]!] : undefined;
    if (!long) {
      const known = Object.entries(short).map(([s, l]) => `-${s} (--${l})`).join(', ');
      throw new UsageError(`xenlab ${command}: unknown option ${a}; options: ${known || 'none'}`);
    }
    return `--${long}`;
  });
}

async function guarded(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof HostError) { process.stderr.write(e.message + '\n'); return e.status; }
    throw e;
  }
}

/** xl list's table: name, domid, memory (MiB), vCPUs, state, CPU time (virtual seconds). */
export function formatList(rows: DomainRow[]): string {
  const width = Math.max(20, ...rows.map((r) => r.name.length));
  const head = `${'Name'.padEnd(width)}  ${'ID'.padStart(5)} ${'Mem'.padStart(5)} VCPUs  ${'State'.padEnd(8)}  Time(s)`;
  return [head, ...rows.map((r) =>
    `${r.name.padEnd(width)}  ${String(r.domid).padStart(5)} ${String(r.memoryMiB).padStart(5)} ${String(r.vcpus).padStart(5)}  ${r.state.padEnd(8)}  ${r.cpuSeconds.toFixed(6)}`,
  )].join('\n') + '\n';
}

/**
 * The row xl list shows for Domain-0. Dom0 here is the TypeScript host itself (xenstored and the
 * backends): it owns no guest memory and its time is not counted on the virtual clock.
 */
export const DOM0_ROW: DomainRow = { domid: 0, name: 'Domain-0', memoryMiB: 0, vcpus: 1, state: 'running', cpuSeconds: 0 };

export function list(argv: string[]): Promise<number> {
  const { positionals } = parseArgs('list', argv, {});
  if (positionals.length) throw new UsageError('usage: xenlab list');
  return guarded(async () => {
    const r = await request('list', runtimePaths(), { op: 'list' });
    const bad = replyError('list', r);
    if (bad !== undefined) return bad;
    if (r.ok) process.stdout.write(formatList([DOM0_ROW, ...(r.domains ?? [])]));
    return 0;
  });
}

function domainCommand(op: 'destroy' | 'pause' | 'unpause') {
  return (argv: string[]): Promise<number> => {
    const { positionals } = parseArgs(op, argv, {});
    if (positionals.length !== 1) throw new UsageError(`usage: xenlab ${op} DOMAIN (a name or domid from xenlab list)`);
    return send(op, { op, domain: positionals[0]! });
  };
}

function send(command: string, req: ControlRequest): Promise<number> {
  return guarded(async () => {
    const r = await request(command, runtimePaths(), req);
    const bad = replyError(command, r);
    if (bad !== undefined) return bad;
    if (r.ok && r.message) process.stderr.write(r.message + '\n');
    return 0;
  });
}

export const destroy = domainCommand('destroy');
export const pause = domainCommand('pause');
export const unpause = domainCommand('unpause');

export function shutdown(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs('shutdown', expandShort('shutdown', argv, { w: 'wait', r: 'reboot', a: 'all' }),
    { wait: 'boolean', reboot: 'boolean', all: 'boolean' });
  const all = options.all === true;
  if (all ? positionals.length !== 0 : positionals.length !== 1) throw new UsageError('usage: xenlab shutdown DOMAIN|-a [-w|--wait] [-r|--reboot]');
  const reason = options.reboot ? 'reboot' : 'poweroff';
  const wait = options.wait === true;
  if (!all) return send('shutdown', { op: 'shutdown', domain: positionals[0]!, reason, wait });
  return guarded(async () => {
    // xl shutdown -a: every domain that is still alive, in parallel (each waits for itself with -w).
    const r = await request('shutdown', runtimePaths(), { op: 'list' });
    const bad = replyError('shutdown', r);
    if (bad !== undefined) return bad;
    const alive = ((r.ok && r.domains) || []).filter((d) => d.state !== 'shutdown' && d.state !== 'crashed');
    const codes = await Promise.all(alive.map((d) => send('shutdown', { op: 'shutdown', domain: String(d.domid), reason, wait })));
    return Math.max(0, ...codes);
  });
}
