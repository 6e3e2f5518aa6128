// The host behind `xenlab create`, in process: a run is a function of its
// inputs and the slice boundaries they land on (no wall clock inside), and
// the small pieces the commands print.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEchoGuest } from './toolstack-cli.js';
import { HostSession, isScenario } from '../cli/toolstack-session.js';
import { DOM0_ROW, formatList, expandShort } from '../cli/toolstack.js';

const scratch = mkdtempSync(join(tmpdir(), 'xenlab-tscli-session-'));
let cfg: string;
let scenario: string;

beforeAll(() => {
  buildEchoGuest(scratch);
  cfg = join(scratch, 'echo.cfg');
  writeFileSync(cfg, 'name = "echo"\nkernel = "echo.elf"\nmemory = 16\n');
  scenario = join(scratch, 'pair.scn');
  writeFileSync(scenario, '[left]\nkernel = "echo.elf"\nmemory = 8\n\n[right]  # the other one\nkernel = "echo.elf"\nmemory = 8\n');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Run a session: inputs[i] is typed at slice boundary i (after i steps); returns what it printed and where time is. */
async function play(inputs: Record<number, string>, steps = 40) {
  const s = new HostSession({ wallclock: { sec: 1_700_000_000, nsec: 0 } });
  const [d] = s.create(cfg);
  for (let i = 0; i < steps; i++) {
    if (inputs[i] !== undefined) s.input(d!.domid, new TextEncoder().encode(inputs[i]));
    s.step();
  }
  const out = { transcript: s.transcript(d!.domid), instructions: s.host.hv.clock.instructions, rows: s.rows() };
  await s.close();
  return out;
}

describe('HostSession (the run loop of xenlab create)', () => {
  it('gives the same run for the same inputs at the same slice boundaries, and a different one otherwise', async () => {
    const a = await play({ 2: 'one\n', 5: 'two\n' });
    const b = await play({ 2: 'one\n', 5: 'two\n' });
    expect(a.transcript).toBe('echo guest ready\necho: one\necho: two\n');
    expect(b).toEqual(a);
    const c = await play({ 2: 'one\n', 5: 'three\n' });
    expect(c.transcript).not.toBe(a.transcript);
    expect(c.instructions).not.toBe(a.instructions);
  });

  it('waits instead of spinning when every domain sleeps with nothing to wake it, and reaps on poweroff', async () => {
    const events: string[] = [];
    const s = new HostSession({ onEvent: (l) => events.push(l) });
    s.create(cfg);
    let r = s.step();
    for (let i = 0; i < 20 && r.kind === 'ran'; i++) r = s.step();
    expect(r.kind).toBe('waiting');
    const clock = s.host.hv.clock.instructions;
    expect(s.step().kind).toBe('waiting');
    expect(s.host.hv.clock.instructions).toBe(clock); // no virtual time passes while waiting
    s.input(1, new TextEncoder().encode('poweroff\n'));
    for (let i = 0; i < 20 && s.toolstack.list().length; i++) s.step();
    expect(events).toEqual(['domain 1 (echo) shut down (poweroff)', 'echo (1) shutdown: destroyed']);
    expect(s.toolstack.list()).toEqual([]);
    expect(s.transcript(1)).toContain('shutting down: poweroff\n');
    await s.close();
  });

  it('creates every domain of a scenario file', async () => {
    const s = new HostSession();
    expect(s.create(scenario, true).map((d) => [d.domid, d.name])).toEqual([[1, 'left'], [2, 'right']]);
    expect(s.rows().map((r) => r.state)).toEqual(['paused', 'paused']);
    await s.close();
  });
});

describe('pieces of the commands', () => {
  it('tells scenarios from xl configs', () => {
    expect(isScenario('[a]\nkernel = "k"\n')).toBe(true);
    expect(isScenario('  [ two-words ] # comment\n')).toBe(true);
    expect(isScenario('name = "a"\ndisk = [ \'file:x,xvda,w\' ]\n')).toBe(false);
    expect(isScenario('disk = [\n  \'file:x,xvda,w\',\n]\n')).toBe(false);
  });

  it('lists like xl list', () => {
    expect(formatList([{ domid: 3, name: 'guest', memoryMiB: 16, vcpus: 1, state: 'blocked', cpuSeconds: 0.25 }])).toBe(
      'Name                     ID   Mem VCPUs  State     Time(s)\n' +
      'guest                     3    16     1  blocked   0.250000\n');
    expect(formatList([DOM0_ROW]).split('\n')[1]).toBe('Domain-0                  0     0     1  running   0.000000');
  });

  it('expands known short flags and rejects others', () => {
    expect(expandShort('create', ['-p', 'x.cfg', '-c'], { p: 'paused', c: 'console' })).toEqual(['--paused', 'x.cfg', '--console']);
    expect(() => expandShort('create', ['-q'], { p: 'paused' })).toThrow('xenlab create: unknown option -q; options: -p (--paused)');
  });
});
