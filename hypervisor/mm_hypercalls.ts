// Memory-management hypercalls (filled in by mm.ts).
import type { HypercallEntry } from './hypercall.js';
export const HYPERCALLS_MM: Record<number, HypercallEntry> = {};
