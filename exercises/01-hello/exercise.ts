// Exercise 01 (hello): the public definition and checks. The grader adds hidden checks from grader/checks/.
import { fail, lineOf, pass, quote, type Check, type CheckContext, type Exercise } from '../../grader/api.js';
import { SCHEDOP } from '../../hypervisor/public/xen.js';

export const STUDENT_FILE = 'kernel/hello.ts';
export const HELLO_LINE = 'Hello world';

function todo(ctx: CheckContext, n: number): string {
  const line = lineOf(ctx.sources[STUDENT_FILE], `TODO ${n}`);
  return line ? `${STUDENT_FILE}:${line} (TODO ${n})` : `${STUDENT_FILE}, TODO ${n}`;
}

export const printsHello: Check = {
  id: 'prints-hello',
  title: `prints the line "${HELLO_LINE}" on the console`,
  weight: 4,
  run(ctx) {
    const writes = ctx.calls('console_io').filter((c) => c.args[0] === 0);
    if (ctx.lines.includes(HELLO_LINE) && ctx.run.console.includes(HELLO_LINE + '\n')) return pass();
    const expected = `a console line reading exactly ${quote(HELLO_LINE + '\n')}`;
    if (writes.length === 0) {
      return fail(expected, 'the kernel made no console_io(CONSOLEIO_write, ...) hypercall, so nothing was printed',
        `write the text with HYPERVISOR_console_io(CONSOLEIO_write, count, text): see ${todo(ctx, 1)}`);
    }
    if (ctx.run.console === '') {
      const bad = writes.find((w) => w.result !== 0) ?? writes[0]!;
      return fail(expected, `console_io(CONSOLEIO_write, count=${bad.args[1]}, text=0x${(bad.args[2] ?? 0).toString(16)}) printed nothing and returned ${bad.result}`,
        bad.result === -14 ? 'Xen could not read the text at that address (-EFAULT): pass the string itself as the third argument' : 'check the count (the number of bytes to write) and the text arguments');
    }
    const near = ctx.lines.find((l) => l.replace(/[^a-z]/gi, '').toLowerCase() === 'helloworld');
    if (ctx.lines.includes(HELLO_LINE) || ctx.run.console.endsWith(HELLO_LINE)) {
      return fail(expected, `printed ${quote(ctx.run.console)}: the line has no newline at its end`, 'end the text with "\\n" and count that byte too');
    }
    return fail(expected, `printed ${quote(ctx.run.console)}`,
      near !== undefined ? `close, but the task asks for exactly ${quote(HELLO_LINE)} (capital H, small w, no punctuation)` : `print exactly ${quote(HELLO_LINE + '\n')}: see ${todo(ctx, 1)}`);
  },
};

const REASONS = ['SHUTDOWN_poweroff', 'SHUTDOWN_reboot', 'SHUTDOWN_suspend', 'SHUTDOWN_crash', 'SHUTDOWN_watchdog', 'SHUTDOWN_soft_reset'];

export const powersOff: Check = {
  id: 'powers-off',
  title: 'shuts down cleanly with sched_op(SCHEDOP_shutdown, SHUTDOWN_poweroff)',
  weight: 3,
  run(ctx) {
    const { run } = ctx;
    const expected = 'the domain to power off: sched_op(SCHEDOP_shutdown) with reason SHUTDOWN_poweroff';
    if (run.end === 'shutdown' && run.shutdownReason === 'poweroff') return pass();
    // SCHEDOP_shutdown's second argument is a pointer; a reason passed as the pointer itself is a small number.
    const asValue = ctx.calls('sched_op').find((c) => c.args[0] === SCHEDOP.shutdown && (c.args[1] ?? 0) >>> 0 < 0x1000);
    if (asValue) {
      const v = asValue.args[1]! >>> 0;
      const what = REASONS[v] ? `${REASONS[v]} (${v}) itself` : `the number ${v}`;
      const got = run.shutdownCode !== undefined ? `, so Xen read the reason from address 0x${v.toString(16)} and found ${REASONS[run.shutdownCode] ?? 'an unknown reason'} (${run.shutdownCode})`
        : asValue.result < 0 ? `, and Xen refused to read address 0x${v.toString(16)} (${asValue.result})` : '';
      return fail(expected, `sched_op(SCHEDOP_shutdown, 0x${v.toString(16)}) passed ${what} as the second argument${got}`,
        `the second argument must point to a sched_shutdown_t whose reason is SHUTDOWN_poweroff (stack_struct<sched_shutdown_t>(), set .reason, pass the struct); only the old sched_op_compat took the reason as a value. See ${todo(ctx, 2)}`);
    }
    if (run.end === 'budget') {
      return fail(expected, `the domain was still running when its budget of ${run.budget.toLocaleString('en-US')} instructions ran out`,
        `start_kernel returned or looped without shutting down (after start_kernel returns, the bootstrap spins at .halt): see ${todo(ctx, 2)}`);
    }
    if (run.crash) {
      return fail(expected, `the domain crashed before shutting down: ${run.crash.reason} at 0x${run.crash.eip.toString(16)}`,
        'look at the faulting instruction and source line below');
    }
    const code = run.shutdownCode;
    const name = code !== undefined ? (REASONS[code] ?? `an unknown reason`) + ` (${code})` : run.shutdownReason ?? 'no reason';
    return fail(expected, `the domain shut down with ${name}`, `set the sched_shutdown_t's reason to SHUTDOWN_poweroff: see ${todo(ctx, 2)}`);
  },
};

export const usesHypercallPage: Check = {
  id: 'uses-hypercall-page',
  title: 'makes every hypercall through the hypercall page',
  weight: 2,
  run(ctx) {
    const calls = ctx.run.hypercalls;
    if (calls.length === 0) {
      return fail('hypercalls made by calling into the hypercall page', 'the kernel made no hypercall at all', `see ${todo(ctx, 1)} and ${todo(ctx, 2)}`);
    }
    const raw = calls.find((c) => !c.viaHypercallPage);
    if (!raw) return pass();
    const where = ctx.locate(raw.callerEip);
    return fail('every hypercall made with `call hypercall_page + nr*32` (the HYPERVISOR_* wrappers do this)',
      `${raw.name} was made by an int $0x82 at 0x${raw.callerEip.toString(16)}${where ? ` (${where})` : ''}, outside the hypercall page`,
      'Xen fills the hypercall page with the right trap sequence for the machine (int $0x82 today, sysenter or vmcall elsewhere); a kernel that traps by hand breaks when that changes: call the HYPERVISOR_* wrapper instead');
  },
};

export const exercise: Exercise = {
  id: '01',
  slug: '01-hello',
  title: 'The simplest Xen kernel: print a line and power off',
  studentFiles: [STUDENT_FILE],
  sourceRoot: 'kernel',
  budget: 2_000_000,
  seed: 1,
  memoryMiB: 32,
  checks: [printsHello, powersOff, usesHypercallPage],
};
