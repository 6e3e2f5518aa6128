// Evidence for explanations (grader/explain.ts): hypercalls decoded as `--trace hypercalls` shows them, and in a run
// of several domains each line naming its domain, the domain that ended worst (or, among equals, first) leading.
import { describe, expect, it } from 'vitest';
import { HYPERVISOR as H, SCHEDOP } from '../../hypervisor/public/xen.js';
import type { DomainObservation, HypercallObservation, RunObservation } from '../api.js';
import { gatherEvidence, SourceMap } from '../explain.js';

const call = (nr: number, name: string, args: number[], result: number, instructions: number, viaHypercallPage = true): HypercallObservation =>
  ({ nr, name, args, result, callerEip: 0x1000, viaHypercallPage, instructions });
const noElf = new SourceMap(new Uint8Array(0), '/nowhere', {});

function dom(name: string, domid: number, console: string, hypercalls: HypercallObservation[], end: Partial<DomainObservation>): DomainObservation {
  return { name, domid, state: 'shutdown', console, hypercalls, instructions: 1000, ...end };
}

function run(domains: DomainObservation[]): RunObservation {
  const first = domains[0]!;
  return { end: 'crashed', instructions: 5000, budget: 10_000, state: first.state, console: first.console, hypercalls: first.hypercalls, domains, traceHash: '' };
}

describe('evidence', () => {
  it('decodes the last hypercalls as the trace does: sub-operations and reasons by name, counts in decimal, errors by name', () => {
    const one = dom('hello', 1, 'Hello\n', [
      call(H.console_io, 'console_io', [0, 12, 0x8000], 0, 10),
      call(H.grant_table_op, 'grant_table_op', [0, 0x9f84, 1], -22, 20),
      call(H.sched_op, 'sched_op', [SCHEDOP.shutdown, 0x9fdc], 0, 30, false),
    ], { shutdownReason: 'poweroff' });
    const ev = gatherEvidence(run([one]), noElf);
    expect(ev.lastHypercalls).toEqual([
      'console_io(write, 12, 0x8000) = 0',
      'grant_table_op(map_grant_ref, 0x9f84, 1) = -EINVAL',
      'sched_op(shutdown, 0x9fdc) = 0 [raw int $0x82]',
    ]);
    expect(ev.consoleTail).toEqual(['Hello']);
    expect(ev.domains).toBeUndefined();
  });

  it('names the domain of every line in a two-domain run, the one that failed first leading', () => {
    const shutdown = (at: number) => call(H.sched_op, 'sched_op', [SCHEDOP.shutdown, 0x9fdc], 0, at);
    const granter = dom('granter', 1, 'granter: waiting\ngave up waiting\n', [shutdown(900)], { shutdownReason: 'crash' });
    const mapper = dom('mapper', 2, 'mapping failed\n', [shutdown(400)], { shutdownReason: 'crash' });
    const ev = gatherEvidence(run([granter, mapper]), noElf);
    expect(ev.consoleTail).toEqual(['mapper: mapping failed', 'granter: waiting', 'granter: gave up waiting']);
    expect(ev.lastHypercalls).toEqual(['mapper: sched_op(shutdown, 0x9fdc) = 0']);
    expect(ev.domains).toEqual(['mapper: shut down with SHUTDOWN_crash after running 1,000 instructions of its own', 'granter: shut down with SHUTDOWN_crash after running 1,000 instructions of its own']);
    // A domain that powered off comes after one that crashed, whatever the order of the run.
    const ok = dom('granter', 1, 'done\n', [shutdown(100)], { shutdownReason: 'poweroff' });
    expect(gatherEvidence(run([ok, mapper]), noElf).consoleTail[0]).toBe('mapper: mapping failed');
  });

  it('names the domain whose fault Xen could not deliver', () => {
    const crash = { reason: 'page fault writing 0x0', eip: 0x2000, insn: 'mov [eax], ebx', regs: { eax: 0 } };
    const a = dom('granter', 1, '', [], { shutdownReason: 'poweroff' });
    const b = dom('mapper', 2, '', [], { state: 'crashed', crash });
    const ev = gatherEvidence({ ...run([a, b]), crash }, noElf);
    expect(ev.crash?.reason).toBe('mapper: page fault writing 0x0');
    expect(ev.crash?.instruction).toBe('mov [eax], ebx');
  });
});
