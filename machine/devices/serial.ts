// A 16550-style UART: enough of the register file for polled output
// (THR, LSR with THRE/TEMT always set, the divisor latch, scratch) so that
// Linux-style and Multiboot test kernels can print. Input is not modelled.
import type { PortDevice } from '../cpu/cpu.js';

export class Serial16550 implements PortDevice {
  private lcr = 0;
  private ier = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 1;
  private dlm = 0;

  constructor(readonly base: number, private readonly onByte: (byte: number) => void) {}

  read(port: number): number {
    const r = port - this.base;
    const dlab = (this.lcr & 0x80) !== 0;
    switch (r) {
      case 0: return dlab ? this.dll : 0;
      case 1: return dlab ? this.dlm : this.ier;
      case 2: return 0x01; // IIR: no interrupt pending
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return 0x60; // LSR: transmitter empty, no data ready
      case 6: return 0xb0; // MSR: CTS, DSR, DCD
      default: return this.scr;
    }
  }

  write(port: number, _size: number, value: number): void {
    const r = port - this.base;
    const v = value & 0xff;
    const dlab = (this.lcr & 0x80) !== 0;
    switch (r) {
      case 0: if (dlab) this.dll = v; else this.onByte(v); break;
      case 1: if (dlab) this.dlm = v; else this.ier = v & 0x0f; break;
      case 3: this.lcr = v; break;
      case 4: this.mcr = v & 0x1f; break;
      case 7: this.scr = v; break;
      default: break;
    }
  }
}
