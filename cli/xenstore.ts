// xenlab xenstore ls|read|write|rm PATH [VALUE]: the running host's store,
// through its XenStore socket (the one xenstore-utils use via XENSTORED_PATH;
// that variable, when set, picks the socket here too).
import { existsSync } from 'node:fs';
import { UsageError, parseArgs } from './args.js';
import { XsSocketClient, xenstoreLs } from '../hypervisor/dom0/index.js';
import { noHostMessage, runtimePaths } from './toolstack-runtime.js';

const USAGE = 'usage: xenlab xenstore ls [PATH] | read PATH... | write PATH VALUE [PATH VALUE...] | rm PATH...';

const WHY: Record<string, string> = {
  ENOENT: 'no such node',
  EACCES: 'permission denied',
  EINVAL: 'invalid path or value',
  EEXIST: 'already exists',
  ENOSPC: 'over a quota',
  E2BIG: 'value too long',
};

export async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs('xenstore', argv, {});
  const [verb, ...args] = positionals;
  const paths = runtimePaths();
  const socket = process.env.XENSTORED_PATH || paths.xenstored;
  const check = (ok: boolean) => { if (!ok) throw new UsageError(USAGE); };
  switch (verb) {
    case 'ls': check(args.length <= 1); break;
    case 'read': case 'rm': check(args.length >= 1); break;
    case 'write': check(args.length >= 2 && args.length % 2 === 0); break;
    default: throw new UsageError(verb ? `xenlab xenstore: unknown action '${verb}'; ${USAGE}` : USAGE);
  }
  if (!existsSync(socket)) {
    process.stderr.write(process.env.XENSTORED_PATH
      ? `xenlab xenstore: XENSTORED_PATH names ${socket}, which does not exist; is the host still running?\n`
      : noHostMessage('xenstore', paths) + '\n');
    return 1;
  }
  let client: XsSocketClient;
  try {
    client = await XsSocketClient.open(socket);
  } catch {
    process.stderr.write((process.env.XENSTORED_PATH ? `xenlab xenstore: nothing answers on ${socket}` : noHostMessage('xenstore', paths)) + '\n');
    return 1;
  }
  const fail = (path: string, err: string) => {
    process.stderr.write(`xenlab xenstore ${verb}: ${path}: ${WHY[err] ?? 'failed'} (${err})\n`);
    return 1;
  };
  try {
    if (verb === 'ls') {
      const path = args[0] ?? '/';
      const r = await xenstoreLs(client, path);
      if (!r.includes('\n') && /^E[A-Z0-9]+$/.test(r)) return fail(path, r);
      process.stdout.write(r);
      return 0;
    }
    for (let i = 0; i < args.length; i += verb === 'write' ? 2 : 1) {
      const path = args[i]!;
      if (verb === 'read') {
        const v = await client.read(path);
        const err = await isError(client, path, v);
        if (err) return fail(path, err);
        process.stdout.write(v + '\n');
      } else {
        const err = verb === 'write' ? await client.write(path, args[i + 1]!) : await client.rm(path);
        if (err) return fail(path, err);
      }
    }
    return 0;
  } finally {
    client.close();
  }
}

/** XsSocketClient.read returns the value or the error name; tell them apart by asking for the node's permissions. */
async function isError(client: XsSocketClient, path: string, v: string): Promise<string | undefined> {
  if (!/^E[A-Z0-9]+$/.test(v)) return undefined;
  const perms = await client.getPerms(path);
  return typeof perms === 'string' ? perms : undefined;
}
