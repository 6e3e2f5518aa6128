// The machine's public surface: physical memory, the virtual clock, the CPU,
// devices, the disassembler and the bare-metal Multiboot loader.
export * from './types.js';
export { PhysicalMemory } from './memory.js';
export { VirtualClock, type ClockOptions } from './clock.js';
export { Cpu, type PortDevice } from './cpu/cpu.js';
export { disassemble } from './cpu/disasm.js';
export { Serial16550 } from './devices/serial.js';
export { DebugExit } from './devices/debug-exit.js';
export { OneShotTimer } from './devices/timer.js';
export { bootMultiboot, createMultibootMachine, parseMultibootElf, type MultibootOptions, type MultibootResult } from './multiboot.js';
