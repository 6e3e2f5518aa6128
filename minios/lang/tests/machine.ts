// Runs compiled kernel functions on the emulated CPU (machine/): flat ring-0 segments, no paging, every exception
// claimed so that a fault ends the run with its vector instead of going through an IDT.
import { Cpu, PhysicalMemory, VirtualClock, type Exit } from '../../../machine/index.js';
import type { LinkedImage } from '../../asm/index.js';
import { compileOk } from './helpers.js';

/** A test entry point: _start halts at once; functions return to __test_return, which halts. */
export const testBoot = 'asm`\n    global _start\n_start:\n    hlt\n__test_return:\n    hlt\n    align 4096\n    global hypercall_page\nhypercall_page:\n    times 4096 db 0xc3\n    global shared_info_page\nshared_info_page:\n    resb 4096\n`;\n';

const STACK_TOP = 0x7f0000;

export class KernelRunner {
  readonly mem = new PhysicalMemory(8 << 20);
  readonly cpu: Cpu;
  readonly image: LinkedImage;

  constructor(image: LinkedImage) {
    this.image = image;
    this.cpu = new Cpu(this.mem, new VirtualClock());
    for (let v = 0; v < 32; v++) this.cpu.claimException(v, true);
    for (const s of image.sections) if (s.flags !== 'note' && s.bytes.length) this.mem.writeBytes(s.addr, s.bytes);
  }

  /** Compiles sources (plus the test entry point) and loads them. */
  static of(files: Record<string, string>): KernelRunner {
    return new KernelRunner(compileOk({ ...files, '__boot.ts': testBoot }).image);
  }

  addr(symbol: string): number {
    const a = this.image.symbols.get(symbol);
    if (a === undefined) throw new Error(`no symbol ${symbol}`);
    return a;
  }

  /**
   * Calls `fn` cdecl with 32-bit words `args` (64-bit values as two words, low first) and returns EDX:EAX,
   * or throws with the exit if it did not return.
   */
  call(fn: string, args: number[] = [], budget = 1_000_000): { eax: number; edx: number; exit: Exit } {
    let sp = STACK_TOP;
    for (let i = args.length - 1; i >= 0; i--) {
      sp -= 4;
      this.mem.write32(sp, args[i] >>> 0);
    }
    sp -= 4;
    this.mem.write32(sp, this.addr('__test_return'));
    const c = this.cpu;
    c.regs[4] = sp;
    // Scribble on registers so results cannot come from a previous call.
    c.regs[0] = 0xdeadbeef; c.regs[1] = 0xdeadbeef; c.regs[2] = 0xdeadbeef; c.regs[3] = 0x0b0b0b0b;
    c.regs[5] = 0x0e0e0e0e; c.regs[6] = 0x05050505; c.regs[7] = 0x0d0d0d0d;
    c.eip = this.addr(fn);
    const exit = c.run(budget);
    const returned = exit.kind === 'hlt' && c.eip === this.addr('__test_return') + 1;
    if (!returned) throw Object.assign(new Error(`${fn} did not return: ${JSON.stringify(exit)} at eip 0x${c.eip.toString(16)}`), { exit });
    const expectSp = STACK_TOP - 4 * args.length; // cdecl: the caller pops the arguments
    if (c.regs[4] !== expectSp) throw new Error(`${fn} left ESP at 0x${c.regs[4].toString(16)}, not 0x${expectSp.toString(16)}`);
    if (c.regs[3] !== 0x0b0b0b0b || c.regs[5] !== 0x0e0e0e0e || c.regs[6] !== 0x05050505 || c.regs[7] !== 0x0d0d0d0d) {
      throw new Error(`${fn} did not preserve the callee-saved registers EBX, EBP, ESI, EDI`);
    }
    return { eax: c.regs[0], edx: c.regs[2], exit };
  }

  /** Runs `fn` expecting it to stop with an exception; returns the vector. */
  fault(fn: string, args: number[] = []): number {
    try {
      this.call(fn, args);
    } catch (e) {
      const exit = (e as { exit?: Exit }).exit;
      if (exit?.kind === 'exception') return exit.vector;
      throw e;
    }
    throw new Error(`${fn} returned instead of faulting`);
  }

  read32(addr: number): number {
    return this.mem.read32(addr);
  }
}
