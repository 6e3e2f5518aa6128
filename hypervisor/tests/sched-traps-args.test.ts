// Per-hypercall argument checks against what Xen 4.17 returns, continued:
// sched_op (remote and compat forms, shutdown reasons and codes, watchdogs,
// block and poll), fpu_taskswitch, the failsafe callback, xen_version, and
// the toolstack hypercalls a domU may not use.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CALLBACKOP, CALLBACKTYPE, EVTCHNOP, HYPERVISOR as H, SCHEDOP, XENVER } from '../public/xen.js';
import { makeDomains, call, callStep, put, get32, SCRATCH } from '../testing/harness.js';
import { SI } from '../shared_info.js';

const EPERM = -1, ESRCH = -3, EACCES = -13, EFAULT = -14, EINVAL = -22, ENOSYS = -38;

describe('sched_op: remote and compat forms', () => {
  it('remote_shutdown is a toolstack operation: -ESRCH for no such domain, -EPERM otherwise', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    const remote = (domid: number) => { put(a, SCRATCH, [domid, 0]); return call(hv, a, H.sched_op, SCHEDOP.remote_shutdown, SCRATCH); };
    expect(remote(b.domid)).toBe(EPERM);
    expect(remote(a.domid)).toBe(EPERM);
    expect(remote(0)).toBe(EPERM);
    expect(remote(0x4321)).toBe(ESRCH);
    expect(call(hv, a, H.sched_op, SCHEDOP.remote_shutdown, 0xfc000000)).toBe(EFAULT);
    expect(b.state).toBe('running');
  });

  it('sched_op_compat takes the shutdown reason as the argument; poll has no compat form', () => {
    const { hv, doms: [a] } = makeDomains(1);
    expect(call(hv, a, H.sched_op_compat, SCHEDOP.yield, 0)).toBe(0);
    expect(call(hv, a, H.sched_op_compat, SCHEDOP.poll, 0)).toBe(ENOSYS);
    expect(call(hv, a, H.sched_op_compat, 99, 0)).toBe(ENOSYS);
    expect(call(hv, a, H.sched_op_compat, SCHEDOP.shutdown, 3)).toBe(0);
    expect([a.state, a.shutdownReason]).toEqual(['shutdown', 'crash']);
  });

  it('SCHEDOP_shutdown takes any reason as a u8, as Xen does; an unknown one counts as a crash', () => {
    const { hv, doms: [a, b] } = makeDomains(2);
    put(a, SCRATCH, [0x109]);
    expect(call(hv, a, H.sched_op, SCHEDOP.shutdown, SCRATCH)).toBe(0);
    expect([a.state, a.shutdownCode, a.shutdownReason]).toEqual(['shutdown', 9, 'crash']);
    expect(call(hv, b, H.sched_op_compat, SCHEDOP.shutdown, 0x101)).toBe(0);
    expect([b.shutdownCode, b.shutdownReason]).toEqual([1, 'reboot']);
  });

  it('SCHEDOP_watchdog arms two watchdogs, re-arms and disarms them; one that expires shuts the domain down', () => {
    const { hv, doms: [a] } = makeDomains(1);
    const dog = (id: number, timeout: number) => { put(a, SCRATCH, [id, timeout]); return call(hv, a, H.sched_op, SCHEDOP.watchdog, SCRATCH); };
    expect(dog(0, 2)).toBe(1);
    expect(dog(0, 3)).toBe(2);
    expect(dog(0, 3)).toBe(-28); // -ENOSPC: NR_DOMAIN_WATCHDOG_TIMERS is 2
    expect(dog(3, 1)).toBe(EINVAL);
    expect(dog(2, 0)).toBe(0); // disarmed
    expect(dog(2, 5)).toBe(EINVAL);
    expect(dog(1, 4)).toBe(0); // re-armed: now due at 4 s
    expect(call(hv, a, H.sched_op, SCHEDOP.watchdog, 0xfc000000)).toBe(EFAULT);
    const fireUpTo = (s: number) => { const n = hv.clock.instructionsAt(BigInt(s * 1e9)); hv.clock.instructions = n; for (const t of hv.timers.due(n)) t.fire(); };
    fireUpTo(3.9);
    expect(a.state).toBe('running');
    fireUpTo(4);
    expect([a.state, a.shutdownCode]).toEqual(['shutdown', 4]); // SHUTDOWN_watchdog
  });

  it('SCHEDOP_shutdown_code sets the reason a later shutdown reports; the first code set wins', () => {
    const { hv, doms: [a] } = makeDomains(1);
    put(a, SCRATCH, [3]);
    expect(call(hv, a, H.sched_op, SCHEDOP.shutdown_code, SCRATCH)).toBe(0);
    put(a, SCRATCH, [1]);
    expect(call(hv, a, H.sched_op, SCHEDOP.shutdown_code, SCRATCH)).toBe(0);
    expect(call(hv, a, H.sched_op, SCHEDOP.shutdown_code, 0xfc000000)).toBe(EFAULT);
    expect(a.state).toBe('running');
    put(a, SCRATCH, [0]);
    expect(call(hv, a, H.sched_op, SCHEDOP.shutdown, SCRATCH)).toBe(0);
    expect([a.state, a.shutdownCode, a.shutdownReason]).toEqual(['shutdown', 3, 'crash']);
  });
});

describe('fpu_taskswitch', () => {
  it('with TS set an x87 instruction bounces #NM to the guest and TS is cleared; without it there is no FPU (#UD)', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const code = SCRATCH + 0x2000;
    // fninit; then spin. Handlers for #UD (vector 6) and #NM (vector 7) each spin at their own address.
    d.guest.write(code, new Uint8Array([0xdb, 0xe3, 0xeb, 0xfe, 0xeb, 0xfe, 0x90, 0x90, 0xeb, 0xfe]));
    put(d, SCRATCH, [6 | (0xe019 << 16), code + 4, 7 | (0xe019 << 16), code + 8, 0, 0]);
    expect(call(hv, d, H.set_trap_table, SCRATCH)).toBe(0);
    const start = (ts: number) => {
      d.ctx.eip = code;
      d.ctx.regs[4] = SCRATCH + 0x8000;
      expect(call(hv, d, H.fpu_taskswitch, ts)).toBe(0);
      hv.run({ budget: 2000 });
    };
    start(1);
    expect(d.ctx.eip).toBe(code + 8); // in the #NM handler
    expect(get32(d, SCRATCH + 0x8000 - 12)).toBe(code); // the bounce frame returns to the fninit
    expect(d.traps.fpuTs).toBe(false);
    start(0);
    expect(d.ctx.eip).toBe(code + 4); // #UD: no FPU behind the cleared TS
    expect(d.alive).toBe(true);
  });
});

describe('sched_op block and poll', () => {
  function setup() {
    const { hv, doms: [a] } = makeDomains(1);
    const ipi = () => { put(a, SCRATCH, [0, 0]); expect(call(hv, a, H.event_channel_op, EVTCHNOP.bind_ipi, SCRATCH)).toBe(0); return get32(a, SCRATCH + 4); };
    const [p, q] = [ipi(), ipi()];
    const si = a.sharedInfoMfn * 4096;
    const send = (port: number) => { put(a, SCRATCH + 256, [port]); expect(call(hv, a, H.event_channel_op, EVTCHNOP.send, SCRATCH + 256)).toBe(0); };
    const mask = (ports: number[]) => hv.mem.write32(si + SI.evtchnMask, ports.reduce((m, x) => m | (1 << x), 0));
    const poll = (ports: number[], timeoutNs = 0) => {
      put(a, SCRATCH + 64, ports);
      put(a, SCRATCH, [SCRATCH + 64, ports.length, timeoutNs, 0]);
      return call(hv, a, H.sched_op, SCHEDOP.poll, SCRATCH);
    };
    return { hv, a, p, q, si, send, mask, poll };
  }

  it('block clears the upcall mask and returns at once when an upcall is pending; a masked event does not wake it', () => {
    const { hv, a, p, q, si, send, mask } = setup();
    mask([q]);
    hv.mem.write8(si + SI.upcallMask(0), 1);
    send(p); // unmasked: upcall pending
    expect(call(hv, a, H.sched_op, SCHEDOP.block, 0)).toBe(0);
    expect([a.state, hv.mem.read8(si + SI.upcallMask(0))]).toEqual(['running', 0]);
    hv.mem.write8(si + SI.upcallPending(0), 0);
    hv.mem.write32(si + SI.evtchnPending, 0);
    expect(call(hv, a, H.sched_op, SCHEDOP.block, 0)).toBe(0);
    expect(a.state).toBe('blocked');
    send(q);
    expect(a.state).toBe('blocked'); // masked: pending, but no upcall and no wake-up
    send(p);
    expect(a.state).toBe('running');
  });

  it('poll wakes for a polled port even when it is masked, not for another masked port, and leaves the masks alone', () => {
    const { hv, a, p, q, si, send, mask, poll } = setup();
    mask([p, q]);
    hv.mem.write8(si + SI.upcallMask(0), 1);
    expect(poll([p])).toBe(0);
    expect(a.state).toBe('blocked');
    send(q);
    expect(a.state).toBe('blocked');
    send(p);
    expect(a.state).toBe('running');
    expect([hv.mem.read8(si + SI.upcallMask(0)), hv.mem.read8(si + SI.upcallPending(0))]).toEqual([1, 0]);
    expect(poll([q])).toBe(0); // already pending: at once
    expect(a.state).toBe('running');
  });

  it('poll sleeps until its timeout; ports up to the 2-level limit are accepted', () => {
    const { hv, a, poll } = setup();
    expect(poll([1000], 3_000_000)).toBe(0); // never allocated, so never pending: only the timeout ends it
    expect(a.state).toBe('blocked');
    const deadline = hv.timers.nextDeadline()!;
    expect(deadline).toBe(3_000_000);
    hv.clock.instructions = deadline;
    for (const t of hv.timers.due(deadline)) t.fire();
    expect(a.state).toBe('running');
    expect(poll([1024])).toBe(EINVAL);
    expect(poll([])).toBe(0); // no ports: any event or nothing
    expect(a.state).toBe('blocked');
  });
});

describe('xen_version sub-operations', () => {
  it('answers the public ones, refuses the privileged ones with -EPERM, and bad buffers with -EFAULT', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const text = (at: number, n: number) => new TextDecoder().decode(d.guest.read(at, n)!).replace(/\0.*$/s, '');
    expect(call(hv, d, H.xen_version, XENVER.compile_info, SCRATCH)).toBe(0);
    expect(text(SCRATCH, 64)).toBe('tsc (TypeScript)');
    expect(call(hv, d, H.xen_version, XENVER.changeset, SCRATCH)).toBe(0);
    expect(text(SCRATCH, 64)).toBe('xenlab');
    put(d, SCRATCH, [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    expect(call(hv, d, H.xen_version, XENVER.guest_handle, SCRATCH)).toBe(0);
    expect([0, 4, 8, 12].map((o) => get32(d, SCRATCH + o))).toEqual([0, 0, 0, 0]);
    expect(call(hv, d, H.xen_version, XENVER.commandline, SCRATCH)).toBe(EPERM);
    expect(call(hv, d, H.xen_version, XENVER.build_id, SCRATCH)).toBe(EPERM);
    for (const cmd of [XENVER.extraversion, XENVER.compile_info, XENVER.capabilities, XENVER.changeset, XENVER.platform_parameters, XENVER.get_features, XENVER.guest_handle]) {
      expect(call(hv, d, H.xen_version, cmd, 0xfc000000), `cmd ${cmd}`).toBe(EFAULT); // the read-only M2P
      expect(call(hv, d, H.xen_version, cmd, 0x00c00000), `cmd ${cmd}`).toBe(EFAULT); // unmapped
    }
    expect(call(hv, d, H.xen_version, XENVER.pagesize, 0)).toBe(4096);
  });
});

describe('domctl, sysctl and platform_op from a domU', () => {
  it('-EFAULT for a bad pointer, -EACCES for another interface version, else -EPERM (versions from the libxen-dev headers)', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const header = (file: string, name: string) => {
      const m = new RegExp(`#define ${name}\\s+(0x[0-9a-fA-F]+)`).exec(readFileSync(`/usr/include/xen/${file}`, 'utf8'));
      if (!m) throw new Error(`${name} not in /usr/include/xen/${file} (CI installs libxen-dev)`);
      return Number(m[1]);
    };
    const cases: [number, number][] = [
      [H.domctl, header('domctl.h', 'XEN_DOMCTL_INTERFACE_VERSION')],
      [H.sysctl, header('sysctl.h', 'XEN_SYSCTL_INTERFACE_VERSION')],
      [H.platform_op, header('platform.h', 'XENPF_INTERFACE_VERSION')],
    ];
    for (const [nr, version] of cases) {
      put(d, SCRATCH, [1, version, d.domid]);
      expect(call(hv, d, nr, SCRATCH), `hypercall ${nr}`).toBe(EPERM);
      put(d, SCRATCH, [1, version - 1, d.domid]);
      expect(call(hv, d, nr, SCRATCH), `hypercall ${nr}`).toBe(EACCES);
      expect(call(hv, d, nr, 0xfc000000), `hypercall ${nr}`).toBe(EFAULT);
    }
  });
});

describe('the failsafe callback', () => {
  it('takes an iret whose selectors cannot be loaded, with the frame and data selectors on the stack', () => {
    const { hv, doms: [d] } = makeDomains(1);
    const si = d.sharedInfoMfn * 4096;
    const words = (at: number, n: number) => Array.from({ length: n }, (_, i) => get32(d, at + i * 4));
    expect(call(hv, d, H.set_callbacks, 0xe019, 0x100, 0xe019, 0x2000)).toBe(0);
    const sp = SCRATCH + 0x8000;
    d.ctx.regs[4] = sp;
    hv.mem.write8(si + SI.upcallMask(0), 0);
    put(d, sp, [0x77, 0x1234, 0xe00b, 0x202]); // a ring-3 data selector as CS
    expect(callStep(hv, d, H.iret)).toBe(0);
    expect([d.state, d.ctx.eip, d.ctx.regs[0], d.ctx.regs[4]]).toEqual(['running', 0x2000, 0x77, sp + 16 - 28]);
    const ds = d.ctx.segs[3].selector;
    expect(words(sp + 16 - 28, 7)).toEqual([ds, d.ctx.segs[0].selector, d.ctx.segs[4].selector, d.ctx.segs[5].selector, 0x1234, 0xe00b, 0x202]);
    expect(hv.mem.read8(si + SI.upcallMask(0))).toBe(0); // set_callbacks: events stay as they were
    // Registered with CALLBACKF_mask_events; a return to ring 3 with a ring-1 stack selector.
    put(d, SCRATCH, [CALLBACKTYPE.failsafe | (1 << 16), 0xe019, 0x3000]);
    expect(call(hv, d, H.callback_op, CALLBACKOP.register, SCRATCH)).toBe(0);
    d.ctx.regs[4] = sp;
    put(d, sp, [0, 0x4000, 0xe02b, 0x202, 0x9000, 0xe021]);
    expect(callStep(hv, d, H.iret)).toBe(0);
    expect([d.ctx.eip, d.ctx.segs[1].selector, d.ctx.regs[4]]).toEqual([0x3000, 0xe019, sp + 24 - 36]);
    expect(words(sp + 24 - 36 + 16, 5)).toEqual([0x4000, 0xe02b, 0x202, 0x9000, 0xe021]);
    expect(hv.mem.read8(si + SI.upcallMask(0))).toBe(1);
  });
});
