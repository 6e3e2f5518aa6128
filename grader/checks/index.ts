// Hidden checks by exercise id. The student hand-out replaces this file with an empty table.
import type { Check } from '../api.js';
import { hidden01 } from './01-hello.js';
import { hidden02 } from './02-gettimeofday.js';
import { hidden03 } from './03-grant-sharing.js';
import { hidden04 } from './04-console.js';
import { hidden05 } from './05-xenstore.js';
import { hidden06 } from './06-block.js';

export const hiddenChecks: Record<string, Check[]> = { '01': hidden01, '02': hidden02, '03': hidden03, '04': hidden04, '05': hidden05, '06': hidden06 };
