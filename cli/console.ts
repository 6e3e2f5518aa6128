// xenlab console DOMAIN: attach this terminal to a running domain's console
// (as `xl console`): what the guest printed so far and from now on goes to
// stdout, keystrokes go into the guest's console ring, Ctrl-] detaches.
// On a terminal, input is raw (Ctrl-C goes to the guest, as with xl).
import { UsageError, parseArgs } from './args.js';
import {
  connectControl, HostError, lineReader, noHostMessage, runtimePaths, send, type ConsoleFrame, type ControlReply,
} from './toolstack-runtime.js';

/** Ctrl-] (GS), the byte xl console detaches on. */
export const DETACH = 0x1d;

export interface Terminal { write(text: string): void; close(): void }

/**
 * Connect stdin/stdout to a console: bytes typed go to `onInput` until Ctrl-],
 * then `onDetach` runs once. Raw mode on a TTY; piped input is forwarded as it comes.
 */
export function attachTerminal(opts: { onInput: (bytes: Uint8Array) => void; onDetach: () => void }): Terminal {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  let open = true;
  const onData = (chunk: Buffer) => {
    if (!open) return;
    const at = chunk.indexOf(DETACH);
    const part = at < 0 ? chunk : chunk.subarray(0, at);
    if (part.length) opts.onInput(new Uint8Array(part));
    if (at >= 0) { close(); opts.onDetach(); }
  };
  const close = () => {
    if (!open) return;
    open = false;
    stdin.off('data', onData);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    stdin.unref(); // a pipe that stays open must not keep the process alive once detached
  };
  if (raw) stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.resume();
  return { write: (text) => { if (open) process.stdout.write(text); }, close };
}

/** Attach to `domain` on the running host; resolves with the exit status. */
export async function attachConsole(command: string, domain: string): Promise<number> {
  const paths = runtimePaths();
  const sock = await connectControl(paths);
  if (!sock) throw new HostError(noHostMessage(command, paths));
  return new Promise((resolve) => {
    let term: Terminal | undefined;
    let status: number | undefined;
    const finish = (code: number, why?: string) => {
      if (status !== undefined) return;
      status = code;
      term?.close();
      if (why) process.stderr.write(`\n${why}\n`);
      sock.end();
      resolve(code);
    };
    sock.on('error', () => {});
    sock.on('close', () => finish(term ? 0 : 1, term ? 'xenlab console: the host went away' : `xenlab ${command}: the xenlab host stopped before answering`));
    lineReader(sock, (m) => {
      if (!term) {
        const r = m as ControlReply;
        if (!r.ok) { process.stderr.write(`xenlab ${command}: ${r.error}\n`); finish(r.kind === 'usage' ? 2 : 1); return; }
        const d = r.domains![0]!;
        process.stderr.write(`[connected to domain ${d.domid} (${d.name}); Ctrl-] detaches]\n`);
        term = attachTerminal({
          onInput: (bytes) => send(sock, { in: Buffer.from(bytes).toString('base64') }),
          onDetach: () => finish(0, '[detached]'),
        });
        return;
      }
      const f = m as ConsoleFrame;
      if ('out' in f) term.write(f.out);
      else finish(0, `[${f.closed}]`);
    });
    send(sock, { op: 'console', domain });
  });
}

export async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs('console', argv, {});
  if (positionals.length !== 1) throw new UsageError('usage: xenlab console DOMAIN (a name or domid from xenlab list; Ctrl-] detaches)');
  try {
    return await attachConsole('console', positionals[0]!);
  } catch (e) {
    if (e instanceof HostError) { process.stderr.write(e.message + '\n'); return e.status; }
    throw e;
  }
}
