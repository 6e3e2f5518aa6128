// Batch grading of a class (xenlab grade --batch DIR): placeholder until the worker pool lands.
import type { Exercise } from '../api.js';

export interface BatchOptions {
  dir: string;
  out: string;
  workers?: number;
  seed?: number;
  exercises: Exercise[];
  hidden: boolean;
}

export async function runBatch(_opts: BatchOptions): Promise<number> {
  process.stderr.write('xenlab grade --batch: not available in this build of the kit yet\n');
  return 2;
}
