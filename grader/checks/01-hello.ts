// Hidden checks for exercise 01: graded by the instructor's kit, shown to students after the due date.
import { fail, pass, quote, type Check } from '../api.js';

export const exactOutput: Check = {
  id: 'exact-output',
  title: 'prints nothing but the hello line',
  weight: 1,
  hidden: true,
  dependsOn: ['prints-hello'],
  run(ctx) {
    if (ctx.run.console === 'Hello world\n') return pass();
    const nul = ctx.run.console.includes('\0');
    return fail(quote('Hello world\n') + ' and nothing else', `printed ${quote(ctx.run.console)}`,
      nul ? 'a NUL byte reached the console: the count passed to console_io includes the string\'s terminator; pass exactly the number of characters' : 'remove the other output');
  },
};

export const consoleWritesSucceed: Check = {
  id: 'console-writes-succeed',
  title: 'every console_io write succeeds',
  weight: 1,
  hidden: true,
  dependsOn: ['prints-hello'],
  run(ctx) {
    const bad = ctx.calls('console_io').find((c) => c.result < 0);
    if (!bad) return pass();
    return fail('console_io to return 0', `console_io returned ${bad.result}`, 'check the count and the text pointer');
  },
};

export const hidden01: Check[] = [exactOutput, consoleWritesSucceed];
