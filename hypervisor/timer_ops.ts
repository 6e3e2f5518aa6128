// Timer hypercalls: set_timer_op and vcpu_op's timers.
import type { HypercallEntry } from './hypercall.js';
export const HYPERCALLS_TIME: Record<number, HypercallEntry> = {};
