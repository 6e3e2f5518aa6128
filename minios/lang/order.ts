// Evaluation order. TypeScript evaluates a call's arguments left to right; cdecl wants them pushed right to left.
// Pushing as each is computed (the readable code) evaluates them right to left, which only shows when one argument's
// side effects reach another: a call that changes a global another argument reads, an assignment to a local another
// argument reads, or two calls that both print. These checks say when the readable form is safe.
import type { Expr, Local } from './ir.js';

/** No side effects, no fault, and a value no other expression's side effects can change. */
export function stable(e: Expr): boolean {
  switch (e.k) {
    case 'const': case 'symaddr': case 'frameaddr': return true;
    // A local whose address is never taken changes only by assignments in this function (see writesLocal).
    case 'load': return e.place.k === 'local' && !(e.place.local as Local & { addressTaken?: boolean }).addressTaken;
    case 'addr': return e.place.k !== 'mem' || stable(e.place.addr);
    case 'unary': case 'not': case 'convert': return stable(e.e);
    case 'binary':
      // division may fault (#DE): its place among the other arguments' effects matters
      if ((e.op === '/' || e.op === '%') && !(e.b.k === 'const' && e.b.value !== 0n)) return false;
      return stable(e.a) && stable(e.b);
    case 'cmp': case 'logic': return stable(e.a) && stable(e.b);
    case 'cond': return stable(e.c) && stable(e.a) && stable(e.b);
    default: return false;
  }
}

/** Does evaluating e assign to a local variable (x = .., x += .., x++)? */
function writesLocal(e: Expr): boolean {
  switch (e.k) {
    case 'assign': return e.place.k === 'local' || writesLocal(e.value) || (e.place.k === 'mem' && writesLocal(e.place.addr));
    case 'update': return e.place.k === 'local' || writesLocal(e.value) || (e.place.k === 'mem' && writesLocal(e.place.addr));
    case 'load': case 'addr': return e.place.k === 'mem' && writesLocal(e.place.addr);
    case 'unary': case 'not': case 'convert': return writesLocal(e.e);
    case 'binary': case 'cmp': case 'logic': case 'seq': return writesLocal(e.a) || writesLocal(e.b);
    case 'cond': return writesLocal(e.c) || writesLocal(e.a) || writesLocal(e.b);
    case 'call': case 'intrinsic': return e.args.some(writesLocal);
    case 'callptr': return writesLocal(e.target) || e.args.some(writesLocal);
    default: return false;
  }
}

/** Could evaluating e be seen: a call, a store, an update, an intrinsic, a volatile access, a division that may fault? */
function effects(e: Expr): boolean {
  switch (e.k) {
    case 'const': case 'symaddr': case 'frameaddr': return false;
    case 'load': case 'addr': return e.place.k === 'mem' && (e.place.volatile === true || effects(e.place.addr));
    case 'unary': case 'not': case 'convert': return effects(e.e);
    case 'binary':
      if ((e.op === '/' || e.op === '%') && !(e.b.k === 'const' && e.b.value !== 0n)) return true;
      return effects(e.a) || effects(e.b);
    case 'cmp': case 'logic': case 'seq': return effects(e.a) || effects(e.b);
    case 'cond': return effects(e.c) || effects(e.a) || effects(e.b);
    default: return true;
  }
}

/**
 * True when these expressions must be evaluated in their written order: one has effects and another is not stable
 * (its value could change, or it has effects of its own), or one assigns to a local (which a stable one may read).
 * Otherwise any order gives the same result: plain reads of globals and memory, for instance, in any order.
 */
export function orderMatters(es: Expr[]): boolean {
  if (es.some(writesLocal)) return true;
  return es.some((e, i) => effects(e) && es.some((f, j) => j !== i && !stable(f)));
}
