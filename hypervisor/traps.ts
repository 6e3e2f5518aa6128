// Guest traps and callbacks, as Xen x86_32 does them for PV guests: the
// virtual IDT (set_trap_table), bounce frames built on the guest kernel
// stack (create_bounce_frame), stack_switch, event/failsafe callbacks, the
// iret hypercall, fpu_taskswitch and multicall. A fault with no handler,
// or a frame that cannot be written, crashes the domain with a report.
import { Reg, Seg, type SegmentCache } from '../machine/index.js';
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { Continuation, NO_RESULT, invokeHypercall, type HypercallEntry, type HypercallResult } from './hypercall.js';
import { CALLBACKOP, CALLBACKTYPE, CALLBACKF, HYPERVISOR as H, XEN_ERRNO, X86_32 } from './public/xen.js';
import { callback_register, multicall_entry, trap_info } from './public/structs.js';
import { SI } from './shared_info.js';
import { guestWalk } from './guest_access.js';
import { GDT_VIRT_START } from './layout.js';

const { EFAULT, EINVAL, ENOSYS, EPERM } = XEN_ERRNO;


const NAMES = ['divide error (#DE)', 'debug (#DB)', 'NMI', 'breakpoint (#BP)', 'overflow (#OF)', 'bound range (#BR)',
  'invalid opcode (#UD)', 'device not available (#NM)', 'double fault (#DF)', 'coprocessor overrun', 'invalid TSS (#TS)',
  'segment not present (#NP)', 'stack fault (#SS)', 'general protection fault (#GP)', 'page fault (#PF)', 'reserved',
  'x87 floating-point error (#MF)', 'alignment check (#AC)', 'machine check (#MC)', 'SIMD floating-point (#XM)'];

export function exceptionName(v: number): string { return NAMES[v] ?? `exception ${v}`; }

/** A ring-0 selector from the guest means its kernel ring (Xen's fixup_guest_code_selector). */
const fixupSelector = (sel: number) => ((sel & 3) === 0 ? sel | 1 : sel) & 0xffff;

/**
 * Reads the descriptor for `sel` from the domain's GDT area (through its page
 * tables) and returns a segment cache, or null when the selector is unusable.
 */
export function loadGuestSelector(hv: Hypervisor, dom: Domain, sel: number, code: boolean): SegmentCache | null {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0 || (sel & 4)) return null; // null selector, or LDT (not supported)
  const lin = GDT_VIRT_START + (sel & 0xfff8);
  const pa = guestWalk(hv.mem, dom.ctx.cr3, lin, false, false);
  if (pa < 0) return null;
  const lo = hv.mem.read32(pa), hi = hv.mem.read32(pa + 4);
  const access = (hi >>> 8) & 0xff;
  if ((access & 0x80) === 0 || (access & 0x10) === 0) return null; // not present, or a system descriptor
  const isCode = (access & 0x08) !== 0;
  if (isCode !== code) return null;
  const dpl = (access >> 5) & 3;
  if (dpl !== (sel & 3)) return null;
  if (!isCode && (access & 2) === 0) return null;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  if (hi & 0x800000) limit = ((limit << 12) | 0xfff) >>> 0;
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  return { selector: sel, base, limit, access, big: (hi & 0x400000) !== 0 };
}

/**
 * create_bounce_frame: pushes [ss, esp] (when coming from ring 3), eflags
 * (IF = !upcall_mask), cs (saved upcall mask in bits 16-23), eip and an
 * optional error code on the guest kernel stack, then enters cs:eip.
 */
function bounce(hv: Hypervisor, dom: Domain, cs: number, eip: number, errorCode: number | undefined, maskEvents: boolean, what: string): boolean {
  const ctx = dom.ctx;
  const si = dom.sharedInfoMfn << 12;
  const mask = hv.mem.read8(si + SI.upcallMask(0));
  const fromUser = (ctx.segs[Seg.CS].selector & 3) === 3;
  let ss = ctx.segs[Seg.SS];
  let esp = ctx.regs[Reg.ESP];
  const frame: number[] = [];
  if (fromUser) {
    const kss = loadGuestSelector(hv, dom, dom.traps.kernelSs, false);
    if (!kss || (dom.traps.kernelSs & 3) !== 1) {
      hv.crashDomain(dom, `${what} from ring 3, but the guest never set a valid kernel stack (stack_switch)`);
      return false;
    }
    frame.push(ctx.segs[Seg.SS].selector, esp);
    ss = kss;
    esp = dom.traps.kernelSp;
  }
  const eflags = (ctx.eflags & ~0x200) | (mask ? 0 : 0x200);
  frame.push(eflags, (ctx.segs[Seg.CS].selector | (mask << 16)) >>> 0, ctx.eip >>> 0);
  if (errorCode !== undefined) frame.push(errorCode >>> 0);
  const bytes = new Uint8Array(frame.length * 4);
  const dv = new DataView(bytes.buffer);
  // frame[0] is pushed first, so it sits highest.
  frame.forEach((v, i) => dv.setUint32((frame.length - 1 - i) * 4, v >>> 0, true));
  const newEsp = (ss.base + esp - bytes.length) >>> 0;
  if (!dom.guest.write(newEsp, bytes)) {
    hv.crashDomain(dom, `${what}: cannot write the exception frame to the guest kernel stack at 0x${newEsp.toString(16)}`);
    return false;
  }
  const target = loadGuestSelector(hv, dom, cs, true);
  if (!target || (target.selector & 3) === 0 || (target.selector & 3) === 2) {
    hv.crashDomain(dom, `${what}: handler code selector 0x${cs.toString(16)} is not a usable ring-1 or ring-3 code segment`);
    return false;
  }
  if (fromUser) ctx.segs[Seg.SS] = ss;
  ctx.regs[Reg.ESP] = (esp - bytes.length) >>> 0;
  ctx.segs[Seg.CS] = target;
  ctx.eip = eip >>> 0;
  ctx.eflags = ctx.eflags & ~(0x100 | 0x4000 | 0x20000 | 0x10000); // clear TF, NT, VM, RF
  if (maskEvents) hv.mem.write8(si + SI.upcallMask(0), 1);
  return true;
}

/** Bounces exception `vector` to the guest's handler, or crashes the domain if there is none. */
export function deliverException(hv: Hypervisor, dom: Domain, vector: number, errorCode: number | undefined, cr2: number | undefined, insnEip: number): void {
  const ctx = dom.ctx;
  // Faults restart the instruction; the CPU left EIP on it. Traps (#DB, #BP, #OF) continue after it.
  if (vector !== 1 && vector !== 3 && vector !== 4) ctx.eip = insnEip;
  if (vector === 14 && cr2 !== undefined) {
    ctx.cr2 = cr2;
    hv.mem.write32((dom.sharedInfoMfn << 12) + SI.cr2(0), cr2);
  }
  if (vector === 7) dom.traps.fpuTs = false; // Xen clears the virtual CR0.TS as it delivers #NM
  const t = dom.traps.table[vector];
  if (!t || t.address === 0) {
    hv.crashDomain(dom, `${exceptionName(vector)} with no handler in the guest's trap table`, {
      ...(vector === 14 && cr2 !== undefined ? { faultAddress: cr2 } : {}),
      ...(errorCode !== undefined ? { errorCode } : {}),
    });
    return;
  }
  bounce(hv, dom, t.cs, t.address, errorCode, (t.flags & 4) !== 0, exceptionName(vector));
}

/** `int $n` from the guest: its handler when the trap table's DPL allows the caller, otherwise #GP. */
export function deliverSoftwareInterrupt(hv: Hypervisor, dom: Domain, vector: number, insnEip: number, insnLength: number): void {
  const t = dom.traps.table[vector];
  const cpl = dom.ctx.segs[Seg.CS].selector & 3;
  const isInt3 = vector === 3 && insnLength === 1;
  if (t && t.address !== 0 && ((t.flags & 3) >= cpl || isInt3)) {
    dom.ctx.eip = (insnEip + insnLength) >>> 0;
    bounce(hv, dom, t.cs, t.address, undefined, (t.flags & 4) !== 0, `int $0x${vector.toString(16)}`);
    return;
  }
  const gp = dom.traps.table[13];
  dom.ctx.eip = insnEip;
  if (!gp || gp.address === 0) {
    hv.crashDomain(dom, `software interrupt int $0x${vector.toString(16)} with no handler in the guest's trap table`);
    return;
  }
  bounce(hv, dom, gp.cs, gp.address, (vector << 3) | 2, (gp.flags & 4) !== 0, 'general protection fault (#GP)');
}

/** Delivers the event upcall when one is pending and not masked (on every return to the guest). */
export function deliverPendingUpcall(hv: Hypervisor, dom: Domain): void {
  const si = dom.sharedInfoMfn << 12;
  if (!hv.mem.read8(si + SI.upcallPending(0)) || hv.mem.read8(si + SI.upcallMask(0))) return;
  const t = dom.traps;
  if (t.eventEip === 0) return; // no callback registered: events stay pending
  bounce(hv, dom, t.eventCs, t.eventEip, undefined, true, 'event upcall');
}

// ---------------------------------------------------------------- hypercalls
/** Entries handled per exit before the call continues itself (Xen preempts here too). */
const TRAP_BATCH = 256;
const MULTICALL_BATCH = 64;

function doSetTrapTable(hv: Hypervisor, dom: Domain, ptr: number): HypercallResult {
  void hv;
  if (ptr === 0) { dom.traps.table = new Array(256); return 0; }
  for (let i = 0; i < TRAP_BATCH; i++) {
    const b = dom.guest.read((ptr + i * trap_info.size) >>> 0, trap_info.size);
    if (!b) return -EFAULT;
    const v = new DataView(b.buffer);
    const address = v.getUint32(4, true);
    if (address === 0) return 0;
    dom.traps.table[b[0]] = { flags: b[1], cs: fixupSelector(v.getUint16(2, true)), address };
  }
  return new Continuation([(ptr + TRAP_BATCH * trap_info.size) >>> 0]);
}

function doStackSwitch(dom: Domain, ss: number, esp: number): number {
  const sel = fixupSelector(ss);
  if ((sel & 3) !== 1) return -EPERM;
  dom.traps.kernelSs = sel;
  dom.traps.kernelSp = esp >>> 0;
  return 0;
}

function registerCallback(dom: Domain, type: number, flags: number, cs: number, eip: number): number {
  const t = dom.traps;
  switch (type) {
    case CALLBACKTYPE.event: t.eventCs = fixupSelector(cs); t.eventEip = eip >>> 0; return 0;
    case CALLBACKTYPE.failsafe: t.failsafeCs = fixupSelector(cs); t.failsafeEip = eip >>> 0; t.failsafeMasksEvents = flags !== 0; return 0;
    case CALLBACKTYPE.nmi: t.nmiEip = eip >>> 0; return 0;
    default: void flags; return -EINVAL;
  }
}

function doCallbackOp(dom: Domain, cmd: number, arg: number): number {
  if (cmd === CALLBACKOP.register) {
    const b = dom.guest.read(arg, callback_register.size);
    if (!b) return -EFAULT;
    const v = new DataView(b.buffer);
    return registerCallback(dom, v.getUint16(0, true), v.getUint16(2, true) & CALLBACKF.mask_events, v.getUint32(4, true), v.getUint32(8, true));
  }
  if (cmd === CALLBACKOP.unregister) {
    const b = dom.guest.read(arg, 4);
    if (!b) return -EFAULT;
    const type = b[0] | (b[1] << 8);
    if (type === CALLBACKTYPE.nmi) { dom.traps.nmiEip = 0; return 0; }
    return -EINVAL;
  }
  return -ENOSYS;
}

/**
 * Returning to the guest failed on a bad selector (Xen's exit path faults and runs the failsafe
 * callback): with a failsafe callback, the frame that could not be used goes on the ring-1
 * stack below `top` with the data selectors under it, [DS, ES, FS, GS, EIP, CS, EFLAGS
 * (, ESP, SS)] from the lowest address (what Linux's xen_failsafe_callback pops), and the guest
 * continues at the callback; without one the domain is crashed, as Xen does.
 */
function failsafe(hv: Hypervisor, dom: Domain, what: string, top: number, back: { eip: number; cs: number; eflags: number; esp?: number; ss?: number }): typeof NO_RESULT {
  const t = dom.traps;
  const ctx = dom.ctx;
  const target = t.failsafeEip ? loadGuestSelector(hv, dom, t.failsafeCs, true) : null;
  if (!target || (target.selector & 3) !== 1) {
    hv.crashDomain(dom, `${what}${t.failsafeEip ? ', and the failsafe callback has an unusable code selector' : ' (no failsafe callback registered)'}`);
    return NO_RESULT;
  }
  const si = (dom.sharedInfoMfn << 12) + SI.upcallMask(0);
  const mask = hv.mem.read8(si);
  const words = [Seg.DS, Seg.ES, Seg.FS, Seg.GS].map((s) => ctx.segs[s].selector);
  words.push(back.eip >>> 0, (back.cs & 0xffff) | (mask << 16), back.eflags >>> 0);
  if (back.esp !== undefined) words.push(back.esp >>> 0, (back.ss ?? 0) & 0xffff);
  const bytes = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(bytes.buffer).setUint32(i * 4, w >>> 0, true));
  const esp = (top - bytes.length) >>> 0;
  if (!dom.guest.write((ctx.segs[Seg.SS].base + esp) >>> 0, bytes)) {
    hv.crashDomain(dom, `${what}: cannot write the failsafe frame at 0x${esp.toString(16)}`);
    return NO_RESULT;
  }
  ctx.regs[Reg.ESP] = esp;
  ctx.segs[Seg.CS] = target;
  ctx.eip = t.failsafeEip;
  if (t.failsafeMasksEvents) hv.mem.write8(si, 1);
  hv.trace(`d${dom.domid} failsafe callback: ${what}`);
  return NO_RESULT;
}

/** The iret hypercall: pops eax, eip, cs, eflags [, esp, ss] from the guest stack (after the stub's push). */
function doIret(hv: Hypervisor, dom: Domain): number | typeof NO_RESULT {
  const ctx = dom.ctx;
  const sp = ctx.regs[Reg.ESP];
  const b = dom.guest.read(sp, 16);
  if (!b) { hv.crashDomain(dom, `iret hypercall: the frame at 0x${sp.toString(16)} is not readable`); return NO_RESULT; }
  const v = new DataView(b.buffer);
  const eax = v.getUint32(0, true), eip = v.getUint32(4, true), cs = fixupSelector(v.getUint32(8, true)), eflags = v.getUint32(12, true);
  const code = loadGuestSelector(hv, dom, cs, true);
  let esp = (sp + 16) >>> 0;
  let ss = ctx.segs[Seg.SS];
  let userSs: number | undefined;
  if ((cs & 3) === 3) {
    const u = dom.guest.read(sp + 16, 8);
    if (!u) { hv.crashDomain(dom, 'iret hypercall: the ring-3 part of the frame is not readable'); return NO_RESULT; }
    const uv = new DataView(u.buffer);
    esp = uv.getUint32(0, true);
    userSs = uv.getUint32(4, true);
  }
  ctx.regs[Reg.EAX] = eax;
  const back = { eip, cs, eflags, ...(userSs !== undefined ? { esp, ss: userSs } : {}) };
  const top = (sp + (userSs !== undefined ? 24 : 16)) >>> 0;
  if (!code || (cs & 3) === 2) return failsafe(hv, dom, `iret hypercall: bad code selector 0x${cs.toString(16)}`, top, back);
  if (userSs !== undefined) {
    const s = loadGuestSelector(hv, dom, userSs, false);
    if (!s || (s.selector & 3) !== 3) return failsafe(hv, dom, `iret hypercall: bad ring-3 stack selector 0x${userSs.toString(16)}`, top, back);
    ss = s;
  }
  if ((cs & 3) === 3) {
    // As a hardware iret to an outer ring does: data segments the new ring may not use become null.
    for (const s of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
      const c = ctx.segs[s];
      const conformingCode = (c.access & 0x1c) === 0x1c;
      if (((c.access >> 5) & 3) < 3 && !conformingCode) ctx.segs[s] = { selector: 0, base: 0, limit: 0, access: 0, big: false };
    }
  }
  ctx.eip = eip;
  ctx.segs[Seg.CS] = code!;
  ctx.segs[Seg.SS] = ss;
  ctx.regs[Reg.ESP] = esp;
  ctx.eflags = ((eflags & ~0x3000) | 0x200 | 2) >>> 0; // no IOPL; real IF always on
  hv.mem.write8((dom.sharedInfoMfn << 12) + SI.upcallMask(0), eflags & 0x200 ? 0 : 1);
  return NO_RESULT;
}

function doMulticall(hv: Hypervisor, dom: Domain, list: number, nr: number): HypercallResult {
  const stop = Math.min(nr, MULTICALL_BATCH);
  for (let i = 0; i < stop; i++) {
    const at = (list + i * multicall_entry.size) >>> 0;
    const b = dom.guest.read(at, multicall_entry.size);
    if (!b) return -EFAULT;
    const v = new DataView(b.buffer);
    const op = v.getUint32(0, true);
    const args = [0, 1, 2, 3, 4].map((k) => v.getUint32(8 + k * 4, true));
    const result = op === H.multicall || op === H.iret ? -EINVAL : invokeHypercall(hv, dom, op, args);
    if (!dom.alive) return 0;
    if (!dom.guest.write32(at + 4, result === NO_RESULT ? 0 : result >>> 0)) return -EFAULT;
  }
  return nr > stop ? new Continuation([(list + stop * multicall_entry.size) >>> 0, nr - stop]) : 0;
}

export const HYPERCALLS_TRAPS: Record<number, HypercallEntry> = {
  [H.set_trap_table]: { arity: 1, fn: (hv, d, a) => doSetTrapTable(hv, d, a[0]) },
  [H.stack_switch]: { arity: 2, fn: (_hv, d, a) => doStackSwitch(d, a[0], a[1]) },
  [H.set_callbacks]: {
    arity: 4,
    fn: (_hv, d, a) => {
      registerCallback(d, CALLBACKTYPE.event, 0, a[0], a[1]);
      registerCallback(d, CALLBACKTYPE.failsafe, 0, a[2], a[3]);
      return 0;
    },
  },
  [H.callback_op]: { arity: 2, fn: (_hv, d, a) => doCallbackOp(d, a[0], a[1]) },
  [H.iret]: { arity: 0, fn: (hv, d) => doIret(hv, d) },
  [H.fpu_taskswitch]: { arity: 1, fn: (_hv, d, a) => { d.traps.fpuTs = a[0] !== 0; return 0; } },
  [H.multicall]: { arity: 2, fn: (hv, d, a) => doMulticall(hv, d, a[0], a[1]) },
};

/** Guest-visible flat selectors, for tests and the builder. */
export const FLAT = { kernelCs: X86_32.FLAT_RING1_CS, kernelDs: X86_32.FLAT_RING1_DS, userCs: X86_32.FLAT_RING3_CS, userDs: X86_32.FLAT_RING3_DS };
