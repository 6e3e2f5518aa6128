// CPU interpreter speed on a gcc -O2 -m32 compute workload (sieve, quicksort,
// CRC-32, 64-bit arithmetic through libgcc): (1) in ring 1 under 2-level
// paging as the hypervisor runs guests, (2) as a Multiboot kernel on the bare
// machine and, when installed, under QEMU (TCG) for a ratio taken from the
// difference between a long and a short run (start-up cancelled out). Prints
// instructions, seconds (process CPU time, robust to other load) and MIPS.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE, makeMachine } from '../machine/tests/harness.js';
import { buildWorkloadImage } from '../machine/tests/gcc.js';
import { buildKernel } from '../machine/tests/mb/build.js';
import { bootMultiboot } from '../machine/multiboot.js';

const rounds = Number(process.env.ROUNDS ?? 20);
const image = buildWorkloadImage();

function cpuSeconds<T>(f: () => T): [T, number] {
  const c0 = process.cpuUsage();
  const v = f();
  const c = process.cpuUsage(c0);
  return [v, (c.user + c.system) / 1e6];
}

function ring1(compile: boolean): { instructions: number; seconds: number } {
  const m = makeMachine({ cpl: 1, memory: 8 << 20 });
  m.cpu.compileBlocks = compile;
  m.mem.writeBytes(CODE, image);
  m.cpu.regs[3] = rounds;
  m.cpu.regs[4] = 0x200000;
  m.cpu.claimInterrupt(0x80, true);
  const [exit, seconds] = cpuSeconds(() => m.cpu.run(1e10));
  if (exit.kind !== 'interrupt') throw new Error(`workload ended with ${JSON.stringify(exit)}`);
  return { instructions: m.clock.instructions, seconds };
}

/** The same workload linked at 0xC0010000, as a Xen guest kernel sits, mapped to the same frames. */
const imageHigh = buildWorkloadImage(0xc0010000);
function ring1High(): { instructions: number; seconds: number } {
  const m = makeMachine({ cpl: 1, memory: 8 << 20 });
  m.mem.write32(0x4000 + 0x300 * 4, 0x5000 | 7); // 0xC0000000-0xC03FFFFF -> physical 0-4 MiB
  m.mem.writeBytes(CODE, imageHigh);
  m.cpu.eip = 0xc0010000;
  m.cpu.regs[3] = rounds;
  m.cpu.regs[4] = 0xc0200000;
  m.cpu.claimInterrupt(0x80, true);
  const [exit, seconds] = cpuSeconds(() => m.cpu.run(1e10));
  if (exit.kind !== 'interrupt') throw new Error(`workload ended with ${JSON.stringify(exit)}`);
  return { instructions: m.clock.instructions, seconds };
}

const best = (runs: { instructions: number; seconds: number }[]) => runs.reduce((a, b) => (a.seconds < b.seconds ? a : b));
const mips = (r: { instructions: number; seconds: number }) => (r.instructions / r.seconds / 1e6).toFixed(1);

console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (figures are process CPU time)`);
// The default configuration (compiled hot blocks) first, then the interpreter alone.
ring1(true);
const compiled = best([ring1(true), ring1(true), ring1(true)]);
console.log(`ring-1 workload, ${rounds} rounds: instructions ${compiled.instructions}, seconds ${compiled.seconds.toFixed(3)}, mips ${mips(compiled)}`);
ring1High();
const high = best([ring1High(), ring1High(), ring1High()]);
console.log(`  linked at 0xC0010000 (Xen-style kernel addresses): seconds ${high.seconds.toFixed(3)}, mips ${mips(high)}`);
ring1(false);
const interp = best([ring1(false), ring1(false), ring1(false)]);
console.log(`  interpreter only (compileBlocks false): seconds ${interp.seconds.toFixed(3)}, mips ${mips(interp)}`);

const kernel = buildKernel('bench-workload');
/** The Multiboot workload on xenlab for `n` rounds: best of three, process CPU time. */
function onXenlab(n: number): { instructions: number; seconds: number; out: string } {
  let best = { instructions: 0, seconds: Infinity, out: '' };
  for (let k = 0; k < 3; k++) {
    let out = '';
    const [r, seconds] = cpuSeconds(() => bootMultiboot(kernel, { cmdline: String(n), onSerial: (s) => { out += s; } }));
    if (seconds < best.seconds) best = { instructions: r.instructions, seconds, out: out.trim() };
  }
  return best;
}
const mb = onXenlab(rounds);
console.log(`multiboot kernel on xenlab: instructions ${mb.instructions}, seconds ${mb.seconds.toFixed(3)}, mips ${(mb.instructions / mb.seconds / 1e6).toFixed(1)} (${mb.out})`);

// QEMU's start-up (hundreds of milliseconds) would swamp a run this short, so
// the ratio is taken from the difference between a long and a short run on
// each machine: the same guest instructions, start-up cancelled out. QEMU's
// time is wall clock of its process (its TCG runs on one host thread here).
const path = join(mkdtempSync(join(tmpdir(), 'xenlab-bench-')), 'k.elf');
writeFileSync(path, kernel);
const qemu = (n: number) => {
  let best = { ok: false, seconds: Infinity, out: '' };
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('qemu-system-i386', ['-kernel', path, '-append', String(n), '-serial', 'stdio', '-display', 'none', '-monitor', 'none',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-no-reboot', '-m', '32'], { timeout: 300_000 });
    if (r.error) return { ok: false, seconds: 0, out: '' };
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (seconds < best.seconds) best = { ok: true, seconds, out: r.stdout?.toString().trim() ?? '' };
  }
  return best;
};
// QEMU is so much faster that its long run must be longer still for the
// difference to stand clear of its start-up jitter.
const long = rounds * 10, qlong = rounds * 100;
const q = qemu(rounds);
if (!q.ok) console.log('qemu-system-i386: not installed (apt-get install qemu-system-x86 for the ratio)');
else {
  const mbLong = onXenlab(long);
  const qLong = qemu(qlong);
  const ours = (mbLong.instructions - mb.instructions) / (mbLong.seconds - mb.seconds) / 1e6;
  const perRound = (mbLong.instructions - mb.instructions) / (long - rounds);
  const qSeconds = qLong.seconds - q.seconds;
  const same = q.out === mb.out ? 'same output' : `OUTPUT DIFFERS: ${q.out} / ${mb.out}`;
  console.log(`multiboot kernel on qemu-system-i386 (TCG): ${rounds} rounds ${q.seconds.toFixed(3)} s, ${qlong} rounds ${qLong.seconds.toFixed(3)} s wall clock (${same})`);
  if (qSeconds <= 0.05) console.log('  QEMU\'s long and short runs differ by less than its start-up jitter: no ratio');
  else {
    const theirs = (perRound * (qlong - rounds)) / qSeconds / 1e6;
    console.log(`  marginal rates (long run minus short run): xenlab ${ours.toFixed(1)} MIPS (${long} rounds), qemu ${theirs.toFixed(1)} MIPS (${qlong} rounds), xenlab/qemu ${(ours / theirs).toFixed(2)}`);
  }
}
try {
  execFileSync(process.execPath, ['-e', "require.resolve('v86')"], { stdio: 'pipe' });
  console.log('v86: installed, but no runner is wired up yet (no ratio)');
} catch {
  console.log('v86: not installed (npm package v86; not a dependency of this kit), no ratio');
}
