// Helpers for the toolstack CLI tests: the echo guest (gcc -m32 against
// libxen-dev), xenlab processes that keep running (a host, a console), and
// waiting on what they print.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type CliResult } from './cli.js';

/** tests/toolstack-cli-echo.c built as an ELF32 PV kernel into `dir`; returns its path. */
export function buildEchoGuest(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const flags = ['-m32', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-nostdlib', '-O1', '-Wall',
    '-I', join(repoRoot, 'tests/guests/common'), '-I', join(repoRoot, 'hypervisor/dom0/tests/guests')];
  const objs = [join(repoRoot, 'tests/guests/common/bootstrap.S'), join(repoRoot, 'tests/toolstack-cli-echo.c')].map((src, i) => {
    const o = join(dir, `echo-${i}.o`);
    try {
      execFileSync('gcc', [...flags, '-c', src, '-o', o], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`gcc failed on ${src} (CI needs gcc-multilib and libxen-dev): ${(e as { stderr?: Buffer }).stderr ?? e}`);
    }
    return o;
  });
  const out = join(dir, 'echo.elf');
  const libgcc = execFileSync('gcc', ['-m32', '-print-libgcc-file-name']).toString().trim();
  execFileSync('ld', ['-m', 'elf_i386', '-Ttext', '0x0', '-e', '_start', '-o', out, ...objs, libgcc], { stdio: 'pipe' });
  readFileSync(out); // fail here, not later, if ld left nothing
  return out;
}

/** A xenlab process we talk to while it runs. */
export class Running {
  stdout = '';
  stderr = '';
  status: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; });
    this.exited = new Promise((res) => child.on('close', (code) => { this.status = code; res(code); }));
  }

  /** Resolves once `stream` contains `text`; rejects (with what was printed) after `ms` or when the process ends first. */
  async waitFor(stream: 'stdout' | 'stderr', text: string | RegExp, ms = 30_000): Promise<void> {
    const has = () => (typeof text === 'string' ? this[stream].includes(text) : text.test(this[stream]));
    const start = Date.now();
    while (!has()) {
      if (this.status !== undefined) throw new Error(`xenlab exited (${this.status}) before printing ${text}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      if (Date.now() - start > ms) throw new Error(`no ${text} within ${ms} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  write(text: string): void { this.child.stdin.write(text); }

  /** The exit status; kills the process if it has not ended within `ms`. */
  async exit(ms = 30_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Stop it if it still runs (test clean-up). */
  async kill(): Promise<void> {
    if (this.status !== undefined) return;
    this.child.kill('SIGTERM');
    await this.exit(5_000);
  }
}

export function startXenlab(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli/main.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
  });
  return new Running(child);
}

/** Run a xenlab command to its end (asynchronously, so several can run at once). */
export async function xenlabAsync(args: string[], env: Record<string, string>): Promise<CliResult> {
  const p = startXenlab(args, env);
  p.child.stdin.end();
  const status = await p.exit(30_000);
  return { status, stdout: p.stdout, stderr: p.stderr };
}
