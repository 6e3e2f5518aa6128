// Hypercall entry: `int $0x82` from ring 1 with the number in EAX and the
// arguments in EBX, ECX, EDX, ESI, EDI; the result goes back in EAX. Each
// call is recorded (for the grader) and traced (for `--trace hypercalls`).
import { Reg } from '../machine/index.js';
import type { Domain } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { HYPERCALL_NAMES, XEN_ERRNO } from './public/xen.js';
import { formatCall } from './trace.js';
import { hex8 } from './crash.js';

/** A handler's result, or NO_RESULT when it set the guest's registers itself (iret). */
export const NO_RESULT = Symbol('no result');

/**
 * Xen's hypercall_create_continuation: the call did part of its work and is
 * to be re-executed with these arguments (the guest re-runs the same
 * `int $0x82`), so one exit never does unbounded work.
 */
export class Continuation {
  constructor(readonly args: number[]) {}
}
export type HypercallResult = number | typeof NO_RESULT | Continuation;
export type HypercallHandler = (hv: Hypervisor, dom: Domain, a: number[]) => HypercallResult;

export interface HypercallEntry { arity: number; fn: HypercallHandler }

const TABLE: (HypercallEntry | undefined)[] = [];
export function registerHypercalls(entries: Record<number, HypercallEntry>): void {
  for (const [nr, e] of Object.entries(entries)) TABLE[Number(nr)] = e;
}


/** Runs one step of a hypercall for `dom`; never throws (an internal error crashes the domain, not the host). */
export function invokeHypercallStep(hv: Hypervisor, dom: Domain, nr: number, args: number[]): HypercallResult {
  const entry = nr < TABLE.length ? TABLE[nr] : undefined;
  if (!entry) return -XEN_ERRNO.ENOSYS;
  try {
    return entry.fn(hv, dom, args);
  } catch (e) {
    hv.crashDomain(dom, `hypervisor internal error in ${HYPERCALL_NAMES[nr] ?? nr}: ${e instanceof Error ? e.message : String(e)}`);
    return -XEN_ERRNO.EFAULT;
  }
}

/** Runs a hypercall to completion (following continuations), as multicall and host-side callers need. */
export function invokeHypercall(hv: Hypervisor, dom: Domain, nr: number, args: number[]): number | typeof NO_RESULT {
  let r = invokeHypercallStep(hv, dom, nr, args);
  while (r instanceof Continuation && dom.alive) r = invokeHypercallStep(hv, dom, nr, r.args);
  return r instanceof Continuation ? 0 : r;
}

export function hypercallArity(nr: number): number { return TABLE[nr]?.arity ?? 5; }

/** The guest executed `int $0x82` at `insnEip` (EIP already points after it). */
export function dispatchHypercall(hv: Hypervisor, dom: Domain, insnEip: number): void {
  const r = dom.ctx.regs;
  const nr = r[Reg.EAX] >>> 0;
  const args = [r[Reg.EBX], r[Reg.ECX], r[Reg.EDX], r[Reg.ESI], r[Reg.EDI]].map((x) => x >>> 0);
  const at = hv.clock.instructions;
  const result = invokeHypercallStep(hv, dom, nr, args);
  if (result instanceof Continuation) {
    // Re-execute the same int $0x82 with the updated arguments.
    const regs = [Reg.EBX, Reg.ECX, Reg.EDX, Reg.ESI, Reg.EDI];
    result.args.forEach((a, i) => { r[regs[i]] = a >>> 0; });
    dom.ctx.eip = insnEip >>> 0;
  } else if (result !== NO_RESULT && dom.alive) {
    r[Reg.EAX] = result >>> 0;
  }
  const hp = dom.hypercallPageVa;
  const viaPage = hp !== undefined && insnEip >= hp && insnEip < hp + 4096;
  const name = HYPERCALL_NAMES[nr] ?? `hypercall_${nr}`;
  const shown = args.slice(0, hypercallArity(nr));
  const res = typeof result === 'number' ? result : 0;
  dom.record({ nr, name, args: shown, result: res, callerEip: insnEip >>> 0, viaHypercallPage: viaPage, instructions: at });
  if (hv.onTrace) {
    const shownResult = result instanceof Continuation ? 'continuation' : res < 0 ? errnoName(res) : String(res);
    hv.trace(`d${dom.domid}v0 ${name}(${formatCall(nr, shown, dom.guest, res)}) = ${shownResult} ` +
      `[eip ${hex8(insnEip)}${viaPage ? '' : ', raw int $0x82'}]`);
  }
}

const ERRNO_BY_VALUE = new Map<number, string>(Object.entries(XEN_ERRNO).map(([k, v]) => [v, k]));
export function errnoName(result: number): string {
  const n = ERRNO_BY_VALUE.get(-result);
  return n ? `-${n}` : String(result);
}
