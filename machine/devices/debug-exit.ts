// QEMU's isa-debug-exit device: a write of v to the port ends the run with
// exit status (v << 1) | 1.
import type { PortDevice } from '../cpu/cpu.js';

export class DebugExit implements PortDevice {
  /** Exit status once written, else null. */
  status: number | null = null;

  constructor(private readonly onExit: (status: number) => void = () => {}) {}

  read(): number { return 0xffffffff; }

  write(_port: number, _size: number, value: number): void {
    this.status = ((value << 1) | 1) >>> 0;
    this.onExit(this.status);
  }
}
