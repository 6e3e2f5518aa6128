// Random machines for the fuzz tests (machine/cpu.fuzz.test.ts): random code
// and state at any CPL, exceptions claimed or delivered through a random IDT.
import { CODE, GDT, SEL, TSS, cacheFor, descriptor, makeMachine, setGate, type TestMachine } from './harness.js';

export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

// Ring-2 segments after the harness's GDT (index 8 and 9), with the TSS's ring-2 stack.
const CS2 = 0x42, DS2 = 0x4a, STACK2 = 0xc000;

/** A test machine at `cpl` (0-3); CPL 2 gets its own flat segments. */
function machineAt(cpl: 0 | 1 | 2 | 3, limitPages: number): TestMachine {
  if (cpl !== 2) return makeMachine({ cpl, memory: 4 << 20, limitPages });
  const m = makeMachine({ cpl: 1, memory: 4 << 20, limitPages });
  for (const [k, access] of [[8, 0xdb], [9, 0xd3]] as const) {
    const [lo, hi] = descriptor(0, limitPages, access);
    m.mem.write32(GDT + k * 8, lo); m.mem.write32(GDT + k * 8 + 4, hi);
  }
  m.cpu.gdtr = { base: GDT, limit: 10 * 8 - 1 };
  m.mem.write32(TSS + 20, STACK2); m.mem.write32(TSS + 24, DS2);
  const seg = (sel: number, code: boolean) => ({ ...cacheFor(sel, limitPages), access: 0x80 | (2 << 5) | 0x10 | (code ? 0x0b : 0x03) });
  m.cpu.setSegmentCache(1, seg(CS2, true));
  for (const s of [0, 2, 3, 4, 5]) m.cpu.setSegmentCache(s, seg(DS2, false));
  m.cpu.regs[4] = STACK2;
  return m;
}

/** Random machine state and code; `loop` ends the code with a jump back to its start so blocks get hot. */
export function randomMachine(next: () => number, cpl: 0 | 1 | 2 | 3, claimed: boolean, loop: boolean): TestMachine {
  const m = machineAt(cpl, next() % 4 === 0 ? 0x3ff : 0xfffff);
  const code = new Uint8Array(64);
  for (let j = 0; j < code.length; j++) code[j] = next() & 0xff;
  // Bias toward interesting opcodes: two-byte escapes and prefixes.
  if (next() % 3 === 0) code[0] = [0x0f, 0x66, 0xf3, 0xf0, 0xcd, 0xcf, 0xff, 0x8e][next() % 8];
  if (loop) {
    const at = 2 + (next() % 14); // jmp rel32 back to CODE after a short random prefix (short, so more of them survive to get hot)
    code[at] = 0xe9;
    new DataView(code.buffer).setInt32(at + 1, -(at + 5), true);
  }
  m.mem.writeBytes(CODE, code);
  for (let r = 0; r < 8; r++) m.cpu.regs[r] = next() % 2 ? next() : next() & 0xffff;
  m.cpu.regs[4] = [0x9ff0, 0xaff0, 0x3ff0, 0xbff0, 0xbff0][cpl === 2 ? 4 : next() % 4];
  m.cpu.setEflags(next() & 0x3f7fd5);
  if (claimed) for (let v = 0; v < 32; v++) m.cpu.claimException(v, true);
  else for (let v = 0; v < 256; v++) setGate(m, v, CODE + (next() & 0x3f), [SEL.CS0, SEL.CS1, SEL.CS3, CS2][next() % 4], next() & 3, next() % 2 ? 0xe : 0xf);
  if (next() % 2) m.cpu.claimInterrupt(next() & 0xff, true);
  if (next() % 2) m.cpu.claimAllIo(true);
  return m;
}
