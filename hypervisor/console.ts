// __HYPERVISOR_console_io: the emergency console. Writes go to the domain's
// console output (what `xenlab run` prints), read from the guest in 128-byte
// chunks as Xen does, so a bad pointer part-way still prints what came before.
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { CONSOLEIO, XEN_ERRNO } from './public/xen.js';
import { Continuation, type HypercallResult } from './hypercall.js';

/** Bytes written per exit before the call continues itself. */
const WRITE_BATCH = 16384;

const CHUNK = 127;
const decoder = new TextDecoder('latin1');

export function doConsoleIo(hv: Hypervisor, dom: Domain, cmd: number, count: number, buffer: number): HypercallResult {
  switch (cmd) {
    case CONSOLEIO.write: {
      let done = 0;
      const stop = Math.min(count, WRITE_BATCH);
      while (done < stop) {
        const n = Math.min(CHUNK, stop - done);
        const bytes = dom.guest.read((buffer + done) >>> 0, n);
        if (!bytes) return -XEN_ERRNO.EFAULT;
        dom.appendConsole(decoder.decode(bytes));
        done += n;
      }
      void hv;
      return count > stop ? new Continuation([cmd, count - stop, (buffer + stop) >>> 0]) : 0;
    }
    case CONSOLEIO.read:
      // Nothing is ever typed on the hypervisor's serial line here.
      if ((count | 0) < 0) return -XEN_ERRNO.E2BIG;
      return 0;
    default:
      return -XEN_ERRNO.ENOSYS;
  }
}
