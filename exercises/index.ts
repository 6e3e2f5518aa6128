// The course: every exercise, in order. The grader reads this list; a new exercise adds one line here.
import type { Exercise } from '../grader/api.js';
import { exercise as hello } from './01-hello/exercise.js';
import { exercise as gettimeofday } from './02-gettimeofday/exercise.js';
import { exercise as grantSharing } from './03-grant-sharing/exercise.js';
import { exercise as consoleRing } from './04-console/exercise.js';
import { exercise as xenstore } from './05-xenstore/exercise.js';
import { exercise as blockDevice } from './06-block/exercise.js';

export const exercises: Exercise[] = [hello, gettimeofday, grantSharing, consoleRing, xenstore, blockDevice];
