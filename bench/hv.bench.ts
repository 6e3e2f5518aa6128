// Hypervisor speed: domain build time, hypercall round trips from a guest
// (int $0x82 exits through the hypercall page), and guest MIPS under the
// scheduler with three CPU-bound domains. CPU time, not wall time.
import { Hypervisor } from '../hypervisor/index.js';
import { buildGuest } from '../tests/guests/build.js';

function cpuSeconds<T>(fn: () => T): [T, number] {
  const t0 = process.cpuUsage();
  const r = fn();
  const t = process.cpuUsage(t0);
  return [r, (t.user + t.system) / 1e6];
}

const hello = buildGuest('hello');
const spin = buildGuest('spin');

const [, build] = cpuSeconds(() => {
  for (let i = 0; i < 20; i++) new Hypervisor({ hostMemoryMiB: 64 }).createDomain({ kernel: hello, memoryMiB: 32 });
});
console.log(`domain build (32 MiB, incl. a 64 MiB host): ${((build / 20) * 1000).toFixed(1)} ms`);

{
  const hv = new Hypervisor({ clock: { ips: 1e8 } });
  const d = hv.createDomain({ kernel: spin, cmdline: 'yield' });
  const [, s] = cpuSeconds(() => hv.run({ budget: 20_000_000 }));
  console.log(`sched_op(yield) round trips: ${(d.hypercallCount / s / 1000).toFixed(1)} k/s (${d.hypercallCount} calls, ${d.instructionsRun} instructions)`);
}

{
  const hv = new Hypervisor({ clock: { ips: 1e8 } });
  for (let i = 0; i < 3; i++) hv.createDomain({ kernel: spin });
  const [r, s] = cpuSeconds(() => hv.run({ budget: 60_000_000 }));
  console.log(`3 spinning domains under the credit scheduler: ${(r.instructions / s / 1e6).toFixed(1)} MIPS`);
}
