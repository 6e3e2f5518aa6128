import { describe, expect, it } from 'vitest';
import { boot } from './boot.js';

describe('kernels boot on the hypervisor', () => {
  it('hello world prints and powers off', () => {
    const r = boot({
      'hello.ts': `import "minios/bootstrap";
import { HYPERVISOR_console_io, HYPERVISOR_sched_op } from "minios/hypercalls";
import { CONSOLEIO_write, SCHEDOP_shutdown, SHUTDOWN_poweroff, type start_info_t } from "xen/public";

export function start_kernel(si: Ptr<start_info_t>): void {
  const msg = "Hello world\\n";
  HYPERVISOR_console_io(CONSOLEIO_write, msg.length, msg);
  let reason: u32 = SHUTDOWN_poweroff;
  HYPERVISOR_sched_op(SCHEDOP_shutdown, addr_of(reason));
}
`,
    });
    expect(r.console).toBe('Hello world\n');
    expect(r.state).toBe('shutdown');
  });
});
