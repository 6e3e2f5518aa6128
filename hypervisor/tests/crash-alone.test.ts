// gcc-built guests (tests/guests, against libxen-dev) that fault in every way
// the faults guest knows, all on one host next to well-behaved guests: each
// crashes alone, with its report; the others run to the end, the host keeps
// running, and destroying the crashed domains gives every frame back.
import { describe, expect, it } from 'vitest';
import { buildGuest } from '../../tests/guests/build.js';
import { Hypervisor } from '../hypervisor.js';
import { auditMemory } from '../audit.js';

const FAULTS = ['pagefault', 'm2pwrite', 'ptwrite', 'hvarea', 'int80', 'ud2', 'divide', 'cli'];

describe('a faulting gcc guest crashes only its own domain', () => {
  it('eight faulting domains and two good ones on one host', () => {
    const hv = new Hypervisor({ hostMemoryMiB: 160, wallclock: { sec: 1_700_000_000, nsec: 0 } });
    const free0 = hv.frames.freeFrames();
    const faults = buildGuest('faults');
    const bad = FAULTS.map((what) => hv.createDomain({ kernel: faults, cmdline: what, memoryMiB: 8, name: what }));
    const events = hv.createDomain({ kernel: buildGuest('events'), memoryMiB: 32, name: 'events' });
    const hello = hv.createDomain({ kernel: buildGuest('hello'), memoryMiB: 8, name: 'hello' });
    hv.run({ budget: 200_000_000 });
    for (const d of bad) {
      expect(d.state, d.name).toBe('crashed');
      expect(d.consoleOutput).toBe(`faulting: ${d.name}\n`);
      expect(d.crashReport).toMatch(/eip: 0x[0-9a-f]{8}/);
    }
    expect(new Set(bad.map((d) => d.crash!.reason)).size).toBeGreaterThan(4);
    expect([events.state, events.shutdownReason]).toEqual(['shutdown', 'poweroff']);
    expect(events.consoleOutput).toContain('map_shared_info=0');
    expect([hello.state, hello.shutdownReason]).toEqual(['shutdown', 'poweroff']);
    expect(hello.consoleOutput.startsWith('Hello world!')).toBe(true);
    expect(auditMemory(hv)).toEqual([]);
    for (const d of [...bad, events, hello]) hv.destroyDomain(d);
    expect(hv.frames.freeFrames()).toBe(free0);
    expect(auditMemory(hv)).toEqual([]);
  });
});
