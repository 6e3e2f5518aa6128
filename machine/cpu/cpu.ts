// The IA-32 CPU: architectural state, the run loop, memory access through
// segmentation and paging (with a software TLB), and the host interface.
// Instruction semantics live in ops-*.ts, decoding in decode.ts, protection
// (descriptors, interrupt delivery, iret, far transfers) in protect.ts.
import type { Exit, SegmentCache } from '../types.js';
import { PAGE_CODE, PAGE_WATCHED, type PhysicalMemory } from '../memory.js';
import type { VirtualClock } from '../clock.js';
import { PagedMemory } from './paging.js';
import { CpuFault, hasErrorCode } from './fault.js';
import { Insn } from './insn.js';
import { decode } from './decode.js';
import { STRAIGHT } from './table.js';
import { Block, compileBlock } from './block.js';

/** Executions before a block is compiled (local: imported bindings cost a getter call under tsx). */
const HOT = 40;
import { deliver, loadDataSegment, readDescriptor } from './protect.js';

/** A port I/O device. */
export interface PortDevice {
  read(port: number, size: 1 | 2 | 4): number;
  write(port: number, size: 1 | 2 | 4, value: number): void;
}

// TLB permission bits for the current-privilege masks (as in paging.ts).
const T_RS = 1, T_RU = 2, T_WS = 4, T_WU = 8;

export class Cpu extends PagedMemory {
  readonly clock: VirtualClock;

  regs = new Uint32Array(8);
  eip = 0;
  /** EIP of the instruction being executed. */
  insnEip = 0;
  private _cpl = 0;
  get cpl(): number { return this._cpl; }

  segs: SegmentCache[] = [];
  segBase = new Int32Array(6);
  /** Highest offset a 1-byte read/write may use on the fast path; -1 forces the checked path. */
  rLim = new Float64Array(6);
  wLim = new Float64Array(6);
  csLimit = 0;
  csBig = true;
  /** Default stack size is 32-bit (SS.B). */
  ssBig = true;

  dr = Uint32Array.of(0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400); // DR6 and DR7 reset values
  gdtr = { base: 0, limit: 0xffff };
  idtr = { base: 0, limit: 0xffff };
  ldtr: SegmentCache = { selector: 0, base: 0, limit: 0, access: 0, big: false };
  tr: SegmentCache = { selector: 0, base: 0, limit: 0, access: 0, big: false };
  msrs = new Map<number, bigint>();


  /** Decoded instructions per physical page, indexed by offset. */
  codeCache: ((Insn | undefined)[] | undefined)[] = [];
  /** Straight-line blocks per physical page, indexed by the offset of their first byte. */
  blockCache: ((Block | undefined)[] | undefined)[] = [];
  /**
   * Compile hot blocks into JavaScript functions (block.ts). On by default:
   * with loop blocks running inside their function, fused cmp+jcc and elided
   * flag stores they beat the interpreter loop (machine/README.md, Speed).
   */
  compileBlocks = true;
  /** Follow remembered successor blocks instead of looking each block up (block chaining). */
  chainBlocks = true;
  /** Per page, which bytes belong to cached instructions (writes elsewhere on the page keep the cache). */
  codeBytes: (Uint8Array | undefined)[] = [];
  /** Instructions a compiled loop block retired in its earlier iterations of the current call. */
  blockDone = 0;
  /** The last instruction loaded SS: no single-step trap after it. */
  ssShadow = false;
  /** The last instruction delivered an interrupt or exception through the IDT. */
  eventDelivered = false;
  /** DR7 enables a breakpoint: every instruction runs as a single step and is checked. */
  debugActive = false;
  /** Linear pages holding a data breakpoint (kept out of the TLB so every access is seen), or null. */
  bpPages: Set<number> | null = null;
  /** DR6 B0-B3 bits of the data breakpoints the current instruction hit. */
  bpHits = 0;
  /** Bumped whenever cached code is dropped, so a running block notices. */
  codeGen = 0;

  claimedInts = new Uint8Array(256);
  claimedExc = new Uint8Array(32);
  allIo = false;
  ports: (PortDevice | undefined)[] = new Array(65536);

  /** Set by a handler to end `run` with this exit after the current instruction. */
  pendingExit: Exit | null = null;
  private stopAt = 0;
  private runDone = 0;
  /** Exception being delivered (for double-fault classification), or -1. */
  delivering = -1;

  /** mem.codePages, one load nearer for the write fast paths. */
  private readonly codePg: Uint8Array;

  constructor(mem: PhysicalMemory, clock: VirtualClock) {
    super(mem);
    this.clock = clock;
    this.codePg = mem.codePages;
    mem.onCodeWrite = (p) => this.dropCode(p);
    const flatCode: SegmentCache = { selector: 0x08, base: 0, limit: 0xffffffff, access: 0x9b, big: true };
    const flatData: SegmentCache = { selector: 0x10, base: 0, limit: 0xffffffff, access: 0x93, big: true };
    for (let s = 0; s < 6; s++) this.setSegmentCache(s, s === 1 ? flatCode : flatData);
    this.flushTlb();
  }

  // ---------------------------------------------------------------- flags
  setEflags(v: number): void {
    this.fOp = 0;
    this.flags = (v & 0x3f7fd5) | 2;
    this.updateAccessMasks();
  }

  override setCr0(v: number): void {
    super.setCr0(v);
    this.updateAccessMasks();
  }

  /**
   * The TLB bits the current privilege needs. With alignment checking on
   * (CPL 3, CR0.AM, EFLAGS.AC) no TLB bit matches, so every access takes the
   * slow path, which raises #AC on misaligned user data accesses.
   */
  private updateAccessMasks(): void {
    const ac = this._cpl === 3 && (this.cr0 & 0x40000) !== 0 && (this.flags & 0x40000) !== 0;
    if (ac !== this.acCheck) this.mapGen++;
    this.acCheck = ac;
    this.rMask = ac ? 0x80 : this._cpl === 3 ? T_RU : T_RS;
    this.wMask = ac ? 0x80 : this._cpl === 3 ? T_WU : T_WS;
  }

  /** Retired instructions including those of the current run so far. */
  retired(): number { return this.clock.instructions + this.runDone; }

  // ---------------------------------------------------------------- segments
  setSegmentCache(seg: number, c: SegmentCache): void {
    const cache: SegmentCache = { selector: c.selector & 0xffff, base: c.base >>> 0, limit: c.limit >>> 0, access: c.access & 0xff, big: c.big };
    this.segs[seg] = cache;
    this.segBase[seg] = cache.base | 0;
    const present = (cache.access & 0x80) !== 0;
    const code = (cache.access & 0x18) === 0x18;
    const readable = present && (code ? (cache.access & 2) !== 0 : true);
    const writable = present && !code && (cache.access & 2) !== 0;
    const expandDown = !code && (cache.access & 4) !== 0;
    this.rLim[seg] = readable && !expandDown ? cache.limit : -1;
    this.wLim[seg] = writable && !expandDown ? cache.limit : -1;
    if (seg === 1) {
      this.mapGen++;
      this.csLimit = cache.limit;
      this.csBig = cache.big;
      this.setCpl(cache.selector & 3);
    } else if (seg === 2) {
      this.ssBig = cache.big;
    }
  }

  setCpl(cpl: number): void {
    this.mapGen++;
    this._cpl = cpl;
    this.updateAccessMasks();
  }

  /** Checked segment access: returns the linear address or throws #GP/#SS. */
  segCheck(seg: number, off: number, size: number, write: boolean): number {
    const c = this.segs[seg];
    const vec = seg === 2 ? 12 : 13;
    if ((c.access & 0x80) === 0) throw new CpuFault(vec, 0);
    const code = (c.access & 0x18) === 0x18;
    if (write ? (code || (c.access & 2) === 0) : (code && (c.access & 2) === 0)) throw new CpuFault(vec, 0);
    const last = off + size - 1;
    if (!code && (c.access & 4) !== 0) {
      const upper = c.big ? 0xffffffff : 0xffff;
      if (off <= c.limit || last > upper) throw new CpuFault(vec, 0);
    } else if (last > c.limit) {
      throw new CpuFault(vec, 0);
    }
    return (c.base + off) | 0;
  }

  loadSegment(seg: number, selector: number): null | { vector: number; errorCode: number } {
    try {
      if (seg === 1) {
        const d = readDescriptor(this, selector);
        if (!d || (d.access & 0x18) !== 0x18) throw new CpuFault(13, selector & 0xfffc);
        if ((d.access & 0x80) === 0) throw new CpuFault(11, selector & 0xfffc);
        this.setSegmentCache(1, { ...d, selector: (selector & ~3) | this._cpl });
      } else {
        loadDataSegment(this, seg, selector);
      }
      return null;
    } catch (e) {
      if (e instanceof CpuFault) return { vector: e.vector, errorCode: e.code < 0 ? 0 : e.code };
      throw e;
    }
  }

  // ---------------------------------------------------------------- segmented memory (fast paths)
  rd8(seg: number, off: number): number {
    if (off <= this.rLim[seg]) {
      const lin = (this.segBase[seg] + off) | 0;
      const vpn = lin >>> 12;
      if (this.tlbFlags[vpn] & this.rMask) return this.u8[this.tlbPhys[vpn] + (lin & 0xfff)];
      if (this.bpPages !== null) this.dataBreakpoint(lin, 1, false);
      return this.rdLin(lin, 1, this._cpl === 3);
    }
    const lin = this.segCheck(seg, off, 1, false);
    if (this.bpPages !== null) this.dataBreakpoint(lin, 1, false);
    return this.rdLin(lin, 1, this._cpl === 3);
  }
  rd16(seg: number, off: number): number {
    if (off <= this.rLim[seg] - 1) {
      const lin = (this.segBase[seg] + off) | 0;
      const vpn = lin >>> 12;
      if ((this.tlbFlags[vpn] & this.rMask) && (lin & 0xfff) !== 0xfff) {
        const pa = this.tlbPhys[vpn] + (lin & 0xfff);
        return this.u8[pa] | (this.u8[pa + 1] << 8);
      }
      if (this.bpPages !== null) this.dataBreakpoint(lin, 2, false);
      return this.rdLin(lin, 2, this._cpl === 3);
    }
    const lin = this.segCheck(seg, off, 2, false);
    if (this.bpPages !== null) this.dataBreakpoint(lin, 2, false);
    return this.rdLin(lin, 2, this._cpl === 3);
  }
  rd32(seg: number, off: number): number {
    if (off <= this.rLim[seg] - 3) {
      const lin = (this.segBase[seg] + off) | 0;
      const vpn = lin >>> 12;
      if ((this.tlbFlags[vpn] & this.rMask) && (lin & 0xfff) <= 0xffc) {
        const pa = this.tlbPhys[vpn] + (lin & 0xfff);
        if ((pa & 3) === 0) return this.i32[pa >> 2] >>> 0;
        const u = this.u8;
        return (u[pa] | (u[pa + 1] << 8) | (u[pa + 2] << 16) | (u[pa + 3] << 24)) >>> 0;
      }
      if (this.bpPages !== null) this.dataBreakpoint(lin, 4, false);
      return this.rdLin(lin, 4, this._cpl === 3);
    }
    const lin = this.segCheck(seg, off, 4, false);
    if (this.bpPages !== null) this.dataBreakpoint(lin, 4, false);
    return this.rdLin(lin, 4, this._cpl === 3);
  }
  rd(size: number, seg: number, off: number): number {
    return size === 4 ? this.rd32(seg, off) : size === 1 ? this.rd8(seg, off) : this.rd16(seg, off);
  }

  wr8(seg: number, off: number, v: number): void {
    if (off <= this.wLim[seg]) {
      const lin = (this.segBase[seg] + off) | 0;
      const vpn = lin >>> 12;
      if (this.tlbFlags[vpn] & this.wMask) {
        const pa = this.tlbPhys[vpn] + (lin & 0xfff);
        if (this.codePg[pa >>> 12]) this.codeWrite(pa, 1);
        this.u8[pa] = v;
        return;
      }
      if (this.bpPages !== null) this.dataBreakpoint(lin, 1, true);
      this.wrLin(lin, 1, v, this._cpl === 3);
      return;
    }
    const lin = this.segCheck(seg, off, 1, true);
    if (this.bpPages !== null) this.dataBreakpoint(lin, 1, true);
    this.wrLin(lin, 1, v, this._cpl === 3);
  }
  wr16(seg: number, off: number, v: number): void {
    if (off <= this.wLim[seg] - 1) {
      const lin = (this.segBase[seg] + off) | 0;
      const vpn = lin >>> 12;
      if ((this.tlbFlags[vpn] & this.wMask) && (lin & 0xfff) !== 0xfff) {
        const pa = this.tlbPhys[vpn] + (lin & 0xfff);
        if (this.codePg[pa >>> 12]) this.codeWrite(pa, 2);
        this.u8[pa] = v; this.u8[pa + 1] = v >>> 8;
        return;
      }
      if (this.bpPages !== null) this.dataBreakpoint(lin, 2, true);
      this.wrLin(lin, 2, v, this._cpl === 3);
      return;
    }
    const lin = this.segCheck(seg, off, 2, true);
    if (this.bpPages !== null) this.dataBreakpoint(lin, 2, true);
    this.wrLin(lin, 2, v, this._cpl === 3);
  }
  wr32(seg: number, off: number, v: number): void {
    if (off <= this.wLim[seg] - 3) {
      const lin = (this.segBase[seg] + off) | 0;
      const vpn = lin >>> 12;
      if ((this.tlbFlags[vpn] & this.wMask) && (lin & 0xfff) <= 0xffc) {
        const pa = this.tlbPhys[vpn] + (lin & 0xfff);
        if (this.codePg[pa >>> 12]) this.codeWrite(pa, 4);
        if ((pa & 3) === 0) { this.i32[pa >> 2] = v; return; }
        const u = this.u8;
        u[pa] = v; u[pa + 1] = v >>> 8; u[pa + 2] = v >>> 16; u[pa + 3] = v >>> 24;
        return;
      }
      if (this.bpPages !== null) this.dataBreakpoint(lin, 4, true);
      this.wrLin(lin, 4, v, this._cpl === 3);
      return;
    }
    const lin = this.segCheck(seg, off, 4, true);
    if (this.bpPages !== null) this.dataBreakpoint(lin, 4, true);
    this.wrLin(lin, 4, v, this._cpl === 3);
  }
  wr(size: number, seg: number, off: number, v: number): void {
    if (size === 4) this.wr32(seg, off, v); else if (size === 1) this.wr8(seg, off, v); else this.wr16(seg, off, v);
  }

  /**
   * Checks that a write of `size` at seg:off would succeed (segment and
   * paging, setting dirty bits) without writing; used before read-modify-write
   * so that a fault leaves no state changed.
   */
  probeWrite(seg: number, off: number, size: number): void {
    const lin = off <= this.wLim[seg] - (size - 1) ? (this.segBase[seg] + off) | 0 : this.segCheck(seg, off, size, true);
    const vpn = lin >>> 12;
    if ((this.tlbFlags[vpn] & this.wMask) && (lin & 0xfff) <= 0x1000 - size) return;
    const user = this._cpl === 3;
    this.walk(lin, true, user, true, true);
    if ((lin & 0xfff) + size > 0x1000) this.walk((lin + size - 1) & ~0xfff, true, user, true, true);
  }

  // ---------------------------------------------------------------- registers by size
  getReg(size: number, r: number): number {
    if (size === 4) return this.regs[r];
    if (size === 2) return this.regs[r] & 0xffff;
    return (this.regs[r & 3] >>> ((r & 4) << 1)) & 0xff;
  }
  setReg(size: number, r: number, v: number): void {
    if (size === 4) { this.regs[r] = v; return; }
    if (size === 2) { this.regs[r] = (this.regs[r] & 0xffff0000) | (v & 0xffff); return; }
    const sh = (r & 4) << 1, k = r & 3;
    this.regs[k] = (this.regs[k] & ~(0xff << sh)) | ((v & 0xff) << sh);
  }

  /** Effective address (offset) of the memory operand. */
  ea(i: Insn): number {
    // One path for both address sizes: 16-bit forms have scale 0, and the
    // sum taken mod 2^16 does not depend on the int32 view of the index.
    const r = this.regs;
    let a = i.disp;
    if (i.base >= 0) a += r[i.base];
    if (i.index >= 0) a += r[i.index] << i.scale;
    return i.a16 ? a & 0xffff : a >>> 0;
  }

  readE(i: Insn): number {
    return i.mod === 3 ? this.getReg(i.size, i.rm) : this.rd(i.size, i.seg, this.ea(i));
  }
  writeE(i: Insn, v: number): void {
    if (i.mod === 3) this.setReg(i.size, i.rm, v); else this.wr(i.size, i.seg, this.ea(i), v);
  }

  // ---------------------------------------------------------------- stack
  push32(v: number): void {
    if (this.ssBig) {
      const sp = (this.regs[4] - 4) >>> 0;
      this.wr32(2, sp, v);
      this.regs[4] = sp;
    } else {
      const sp = (this.regs[4] - 4) & 0xffff;
      this.wr32(2, sp, v);
      this.regs[4] = (this.regs[4] & 0xffff0000) | sp;
    }
  }
  push16(v: number): void {
    const sp = this.ssBig ? (this.regs[4] - 2) >>> 0 : (this.regs[4] - 2) & 0xffff;
    this.wr16(2, sp, v);
    this.regs[4] = this.ssBig ? sp : (this.regs[4] & 0xffff0000) | sp;
  }
  push(size: number, v: number): void { if (size === 2) this.push16(v); else this.push32(v); }
  pop32(): number {
    const sp = this.ssBig ? this.regs[4] : this.regs[4] & 0xffff;
    const v = this.rd32(2, sp);
    this.regs[4] = this.ssBig ? (sp + 4) >>> 0 : (this.regs[4] & 0xffff0000) | ((sp + 4) & 0xffff);
    return v;
  }
  pop16(): number {
    const sp = this.ssBig ? this.regs[4] : this.regs[4] & 0xffff;
    const v = this.rd16(2, sp);
    this.regs[4] = this.ssBig ? (sp + 2) >>> 0 : (this.regs[4] & 0xffff0000) | ((sp + 2) & 0xffff);
    return v;
  }
  pop(size: number): number { return size === 2 ? this.pop16() : this.pop32(); }
  /** Reads the stack at ESP+delta without popping. */
  peek(size: number, delta: number): number {
    const sp = this.ssBig ? (this.regs[4] + delta) >>> 0 : (this.regs[4] + delta) & 0xffff;
    return this.rd(size, 2, sp);
  }

  // ---------------------------------------------------------------- decoded code cache
  dropCode(ppn: number): void {
    this.codeCache[ppn] = undefined;
    this.blockCache[ppn] = undefined;
    this.codeBytes[ppn] = undefined;
    this.mem.codePages[ppn]! &= ~PAGE_CODE;
    this.codeGen++;
    this.mapGen++;
  }

  /**
   * A guest write of `size` bytes at `pa` on a page with cached code or a
   * write watch: calls the watches first, then drops the page's code only if
   * a written byte belongs to a cached instruction, so data sharing a page
   * with code does not defeat the cache.
   */
  codeWrite(pa: number, size: number): void {
    const ppn = pa >>> 12;
    const f = this.mem.codePages[ppn]!;
    if (f & PAGE_WATCHED) this.mem.watchedWrite(pa, size);
    if (!(f & PAGE_CODE)) return;
    const cov = this.codeBytes[ppn];
    if (cov === undefined) { this.dropCode(ppn); return; }
    const off = pa & 0xfff;
    const end = Math.min(0x1000, off + size);
    for (let o = off; o < end; o++) if (cov[o]) { this.dropCode(ppn); return; }
  }

  private markCode(pa: number, len: number): void {
    const ppn = pa >>> 12;
    let cov = this.codeBytes[ppn];
    if (cov === undefined) { cov = new Uint8Array(4096); this.codeBytes[ppn] = cov; }
    cov.fill(1, pa & 0xfff, (pa & 0xfff) + len);
    this.mem.codePages[ppn]! |= PAGE_CODE;
  }

  /** Reads one code byte at CS:eip+k for the decoder (faults as a fetch). */
  fetchByte(off: number): number {
    off = off >>> 0;
    if (off > this.csLimit) throw new CpuFault(13, 0);
    const lin = (this.segBase[1] + off) | 0;
    const vpn = lin >>> 12;
    if (this.tlbFlags[vpn] & this.rMask) return this.u8[this.tlbPhys[vpn] + (lin & 0xfff)];
    if (this.bpPages !== null) this.dataBreakpoint(lin, 1, false);
      return this.rdLin(lin, 1, this._cpl === 3);
  }

  private fetch(): Insn {
    const eip = this.eip;
    const lin = (this.segBase[1] + eip) | 0;
    const vpn = lin >>> 12;
    if ((this.tlbFlags[vpn] & this.rMask) && this.csBig) {
      const pa = this.tlbPhys[vpn] + (lin & 0xfff);
      const ppn = pa >>> 12;
      let page = this.codeCache[ppn];
      if (page !== undefined) {
        const insn = page[pa & 0xfff];
        if (insn !== undefined) {
          if (eip + insn.len - 1 > this.csLimit) throw new CpuFault(13, 0);
          return insn;
        }
      }
      const insn = decode(this, eip);
      if ((lin & 0xfff) + insn.len <= 0x1000) {
        if (page === undefined) { page = new Array(4096); this.codeCache[ppn] = page; }
        page[pa & 0xfff] = insn;
        this.markCode(pa, insn.len);
      }
      return insn;
    }
    return decode(this, eip);
  }

  /** The cached straight-line block at EIP, building it on a miss; null when it cannot be cached. */
  private block(): Block | null {
    const eip = this.eip;
    const lin = (this.segBase[1] + eip) | 0;
    const vpn = lin >>> 12;
    if ((this.tlbFlags[vpn] & this.rMask) === 0 || !this.csBig) return null;
    const pa = this.tlbPhys[vpn] + (lin & 0xfff);
    const page = this.blockCache[pa >>> 12];
    if (page !== undefined) {
      const b = page[pa & 0xfff];
      if (b !== undefined) return b;
    }
    return this.buildBlock(eip, pa);
  }

  private buildBlock(eip: number, pa: number): Block | null {
    const insns: Insn[] = [];
    const start = pa & 0xfff;
    let bytes = 0;
    let off = eip;
    const gen = this.codeGen;
    for (;;) {
      let insn: Insn;
      try {
        insn = decode(this, off);
      } catch (e) {
        if (insns.length === 0) throw e;
        break; // a fault while decoding ahead belongs to that later instruction
      }
      if (start + bytes + insn.len > 0x1000) break;
      // Instructions that read the clock start their own block, so the retired
      // count the run loop publishes at each block start is exact for them.
      if (insns.length > 0 && (insn.op === 0x131 || insn.op === 0x132)) break;
      insns.push(insn);
      bytes += insn.len;
      off = (off + insn.len) >>> 0;
      if (!STRAIGHT.has(insn.exec) || insns.length >= 32) break;
    }
    // Decoding walks page tables (A bits) and may have dropped code; only cache a clean result.
    if (insns.length === 0 || gen !== this.codeGen) return null;
    const ppn = pa >>> 12;
    let page = this.blockCache[ppn];
    if (page === undefined) { page = new Array(4096); this.blockCache[ppn] = page; }
    const blk = new Block(insns);
    page[start] = blk;
    this.markCode(pa, bytes);
    return blk;
  }

  // ---------------------------------------------------------------- run loop
  run(budget: number): Exit {
    this.pendingExit = null;
    let n = 0;
    let inBlock: Block | null = null;
    let blockStart = 0;
    // The block just run and the mapping generation it ran under, for chaining.
    let prev: Block | null = null;
    let prevGen = -1;
    // Switches no handler changes, read once (hot loop: fewer loads).
    const chain = this.chainBlocks, compile = this.compileBlocks;
    this.stopAt = budget;
    while (n < this.stopAt) {
      try {
        while (n < this.stopAt) {
          this.runDone = n;
          // A fetch fault belongs to the instruction at EIP.
          this.insnEip = this.eip;
          let blk: Block | null;
          const eip0 = this.eip;
          if (prev !== null && chain && prevGen === this.mapGen) {
            // Links are only trusted under the mapping generation they were made in.
            if (prev.linkGen !== prevGen) { prev.linkGen = prevGen; prev.nextEip0 = prev.nextEip1 = -1; prev.next0 = prev.next1 = null; }
            if (prev.nextEip0 === eip0) blk = prev.next0;
            else if (prev.nextEip1 === eip0) blk = prev.next1;
            else {
              blk = this.block();
              if (blk !== null && prevGen === this.mapGen) {
                if (prev.nextEip0 < 0) { prev.nextEip0 = eip0; prev.next0 = blk; } else { prev.nextEip1 = eip0; prev.next1 = blk; }
              }
            }
          } else {
            blk = this.block();
          }
          prev = null;
          if (blk === null || n + blk.insns.length > this.stopAt || this.eip + blk.bytes - 1 > this.csLimit || (this.flags & 0x100) !== 0 || this.debugActive) {
            // Single step: uncacheable code, the budget ends inside the block, the
            // block crosses the CS limit, EFLAGS.TF asks for a #DB after each
            // instruction, or DR7 enables breakpoints to check instruction by instruction.
            const tf = (this.flags & 0x100) !== 0;
            const rf = (this.flags & 0x10000) !== 0;
            if (this.debugActive && !rf) {
              const hit = this.breakpointsAt((this.segBase[1] + this.eip) >>> 0, 1, 0);
              if (hit !== 0) {
                // An instruction breakpoint is a fault: EIP stays at the instruction.
                // The handler sets RF in the frame so that iret runs it once without a hit.
                this.dr[6] = ((this.dr[6] & ~0xf) | hit) >>> 0;
                this.insnEip = this.eip;
                n++;
                this.raise(1, -1);
                continue;
              }
            }
            this.bpHits = 0;
            const insn = this.fetch();
            this.insnEip = this.eip;
            this.eip = (this.eip + insn.len) >>> 0;
            this.ssShadow = false;
            this.eventDelivered = false;
            insn.exec(this, insn);
            n++;
            // A load of SS (mov ss / pop ss) holds the single-step trap back until
            // after the next instruction, so that a stack switch is not split; an
            // int n / int3 / into delivered through the IDT enters its handler with
            // TF clear and no trap (iret brings TF back for the code after it).
            if (rf) this.flags &= ~0x10000; // RF lasts for one instruction
            const step = tf && !this.ssShadow && !this.eventDelivered;
            if ((step || this.bpHits !== 0) && this.pendingExit === null) {
              // Traps after the instruction: single step (BS) and data breakpoints (B0-B3).
              if (this.bpHits !== 0) this.dr[6] = ((this.dr[6] & ~0xf) | this.bpHits) >>> 0;
              if (step) this.dr[6] = (this.dr[6] | 0x4000) >>> 0;
              this.bpHits = 0;
              this.insnEip = this.eip;
              this.raise(1, -1);
            }
            continue;
          }
          blockStart = this.eip;
          prev = blk;
          prevGen = this.mapGen;
          if (blk.fn !== null) {
            inBlock = blk;
            n += blk.fn(this, this.stopAt - n);
            inBlock = null;
          } else {
            if (compile && ++blk.hits >= HOT) blk.fn = compileBlock(blk);
            const insns = blk.insns;
            const gen = this.codeGen;
            let eip = this.eip;
            for (let k = 0; k < insns.length; k++) {
              const insn = insns[k];
              this.insnEip = eip;
              eip = (eip + insn.len) >>> 0;
              this.eip = eip;
              insn.exec(this, insn);
              n++;
              if (this.eip !== eip || this.codeGen !== gen) break;
            }
          }
        }
      } catch (e) {
        if (!(e instanceof CpuFault)) {
          this.eip = this.insnEip;
          this.pendingExit = { kind: 'shutdown', reason: `internal emulator error at eip 0x${this.insnEip.toString(16)}: ${e instanceof Error ? e.message : String(e)}` };
          break;
        }
        // Instructions of a compiled block that retired before the fault.
        if (inBlock !== null) n += this.blockDone + inBlock.doneBefore(blockStart, this.insnEip);
        inBlock = null;
        prev = null;
        this.eip = this.insnEip;
        // Each exception counts against the budget so fault loops end.
        n++;
        this.raise(e.vector, e.code);
      }
    }
    this.clock.instructions += n;
    this.runDone = 0;
    const exit = this.pendingExit;
    this.pendingExit = null;
    return exit ?? { kind: 'budget' };
  }

  /** Recomputes what DR0-3 and DR7 ask for (after a write to any of them). */
  updateBreakpoints(): void {
    const d7 = this.dr[7];
    let active = false;
    const pages = new Set<number>();
    for (let k = 0; k < 4; k++) {
      if (((d7 >>> (2 * k)) & 3) === 0) continue;
      active = true;
      const rw = (d7 >>> (16 + 4 * k)) & 3;
      if (rw === 1 || rw === 3) { pages.add(this.dr[k] >>> 12); pages.add(((this.dr[k] + 7) >>> 0) >>> 12); }
    }
    this.debugActive = active;
    this.bpPages = pages.size > 0 ? pages : null;
    this.flushTlb();
  }

  /**
   * DR6 bits of the enabled breakpoints of kind `rw` (0 execute, 1 write, 3
   * read or write; a write also matches 3) that [lin, lin+size) touches.
   */
  breakpointsAt(lin: number, size: number, rw: number): number {
    const d7 = this.dr[7];
    let hit = 0;
    for (let k = 0; k < 4; k++) {
      if (((d7 >>> (2 * k)) & 3) === 0) continue;
      const kind = (d7 >>> (16 + 4 * k)) & 3;
      if (rw === 0 ? kind !== 0 : kind !== rw && kind !== 3) continue;
      const lenBits = (d7 >>> (18 + 4 * k)) & 3;
      const len = rw === 0 ? 1 : lenBits === 0 ? 1 : lenBits === 1 ? 2 : lenBits === 3 ? 4 : 8;
      const a = (this.dr[k] & ~(len - 1)) >>> 0;
      if (lin < a + len && lin + size > a) hit |= 1 << k;
    }
    return hit;
  }

  /** A data access on a page with a data breakpoint: note the hits for the trap after the instruction. */
  dataBreakpoint(lin: number, size: number, write: boolean): void {
    if (!this.debugActive) return;
    this.bpHits |= this.breakpointsAt(lin >>> 0, size, write ? 1 : 3);
  }

  /** Ends the current run after this instruction with `exit`. */
  exitWith(exit: Exit): void {
    this.pendingExit = exit;
    this.stopAt = 0;
  }

  /** Raises an exception at the current state: exit to the host or IDT delivery. */
  raise(vector: number, code: number): void {
    if (vector < 32 && this.claimedExc[vector]) {
      const exit: Exit = { kind: 'exception', vector, insnEip: this.insnEip };
      if (hasErrorCode(vector)) exit.errorCode = code < 0 ? 0 : code;
      if (vector === 14) exit.cr2 = this.cr2;
      this.exitWith(exit);
      return;
    }
    this.deliverOrEscalate(vector, hasErrorCode(vector) ? (code < 0 ? 0 : code) : -1, false, true);
  }

  /**
   * IDT delivery with double- and triple-fault escalation. `soft` marks
   * int n (DPL-checked); `ext` marks an exception or external event;
   * `code` is the error code to push, or -1 for none.
   */
  deliverOrEscalate(vector: number, code: number, soft: boolean, ext: boolean): void {
    const prev = this.delivering;
    this.delivering = vector;
    try {
      deliver(this, vector, code, soft, ext);
      this.delivering = prev;
    } catch (e) {
      this.delivering = prev;
      if (!(e instanceof CpuFault)) throw e;
      // A fault while delivering int n / int3 / into is a fault of that
      // instruction: the frame (or the host) sees EIP at it, not after it.
      if (soft) this.eip = this.insnEip;
      if (vector === 8) {
        this.exitWith({ kind: 'shutdown', reason: 'triple fault' });
        return;
      }
      const contributory = (v: number) => v === 0 || (v >= 10 && v <= 13);
      const df = (contributory(vector) && contributory(e.vector)) ||
        (vector === 14 && (contributory(e.vector) || e.vector === 14));
      if (df) this.raise(8, 0); else this.raise(e.vector, e.code);
    }
  }

  // ---------------------------------------------------------------- host API
  claimInterrupt(vector: number, claim: boolean): void { this.claimedInts[vector & 0xff] = claim ? 1 : 0; }
  claimException(vector: number, claim: boolean): void { if (vector >= 0 && vector < 32) this.claimedExc[vector] = claim ? 1 : 0; }
  claimAllIo(claim: boolean): void { this.allIo = claim; }
  attachPorts(first: number, count: number, dev: PortDevice): void {
    for (let p = first; p < first + count; p++) this.ports[p & 0xffff] = dev;
  }

  /** Delivers an external interrupt or exception through the IDT now (no DPL check). */
  deliverInterrupt(vector: number, errorCode?: number): void {
    this.insnEip = this.eip;
    this.deliverOrEscalate(vector, errorCode ?? -1, false, true);
    if (this.pendingExit) this.stopAt = 0;
  }

  /** Takes an exit a nested delivery produced outside run (e.g. triple fault). */
  takePendingExit(): Exit | null {
    const e = this.pendingExit;
    this.pendingExit = null;
    return e;
  }
}
