// The terminal report: one line per check, explanations under each failure, a total. Colour through chalk, at the
// level terminalChalk() picks: chalk alone ignores NO_COLOR, so the rule is ours (https://no-color.org).
import { Chalk, type ChalkInstance } from 'chalk';
import type { Outcome } from '../api.js';
import type { ExerciseResult } from '../grade.js';
import type { GradeReport } from './schema.js';

interface ColourEnv { [name: string]: string | undefined }

/**
 * The colour level for a stream: none when NO_COLOR is set and not empty; else FORCE_COLOR's level when it is set
 * ('0'/'false' none, ''/'true' basic, 1-3); else colour only on a terminal (256 or true colour as TERM/COLORTERM say).
 */
export function colourLevel(stream: { isTTY?: boolean }, env: ColourEnv = process.env): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '' || force === 'true') return 1;
    if (force === 'false') return 0;
    const n = Number.parseInt(force, 10);
    return Number.isNaN(n) ? 1 : (Math.max(0, Math.min(3, n)) as 0 | 1 | 2 | 3);
  }
  if (!stream.isTTY || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return /256/.test(env.TERM ?? '') ? 2 : 1;
}

/** A chalk for a stream (stdout by default) that honours NO_COLOR, FORCE_COLOR and non-terminals. */
export function terminalChalk(stream: { isTTY?: boolean } = process.stdout, env: ColourEnv = process.env): ChalkInstance {
  return new Chalk({ level: colourLevel(stream, env) });
}

function paint(c: ChalkInstance, outcome: Outcome): string {
  const label = outcome.padEnd(11);
  switch (outcome) {
    case 'PASS': return c.green(label);
    case 'FAIL': return c.red(label);
    case 'TIMEOUT': return c.yellow(label);
    case 'CRASH': return c.magenta(label);
    case 'BUILD ERROR': return c.red.bold(label);
    case 'NOT RUN': return c.gray(label);
  }
}

const points = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

export function formatExercise(r: ExerciseResult, c: ChalkInstance): string {
  const out: string[] = [];
  out.push(c.bold(`Exercise ${r.slug}: ${r.title}`) + c.gray(`  (seed ${r.seed})`));
  if (!r.build.ok) {
    out.push(`  ${paint(c, 'BUILD ERROR')} the kernel did not build`);
    for (const d of r.build.diagnostics.slice(0, 10)) {
      out.push(`      ${c.cyan(d.line ? `${d.file}:${d.line}:${d.column}` : d.file)}: ${d.message}`);
      if (d.hint) out.push(c.gray(`        hint: ${d.hint}`));
    }
    if (r.build.diagnostics.length > 10) out.push(c.gray(`      ... and ${r.build.diagnostics.length - 10} more`));
  }
  for (const ch of r.checks) {
    const tag = ch.hidden ? c.gray(' [hidden]') : '';
    out.push(`  ${paint(c, ch.outcome)} ${ch.title}${tag} ${c.gray(`${points(ch.score)}/${points(ch.weight)}`)}`);
    if (ch.outcome === 'PASS' || ch.outcome === 'BUILD ERROR') continue;
    if (ch.expected) out.push(`      expected: ${ch.expected}`);
    if (ch.actual) out.push(`      ${ch.outcome === 'NOT RUN' ? '' : 'got:      '}${ch.actual}`);
    if (ch.hint) out.push(c.cyan(`      hint: ${ch.hint}`));
  }
  const ev = r.evidence;
  if (ev) {
    if (ev.domains?.length) {
      for (const d of ev.domains) out.push(c.gray(`  ${d}`));
    } else if (r.run) {
      const end = r.run.end === 'budget' ? `was still running when the budget of ${r.run.budget.toLocaleString('en-US')} instructions (virtual time) ran out; it ran ${r.run.instructions.toLocaleString('en-US')} of them itself`
        : r.run.end === 'crashed' ? `crashed after ${r.run.instructions.toLocaleString('en-US')} instructions` : `shut down (${r.run.shutdownReason ?? '?'}) after ${r.run.instructions.toLocaleString('en-US')} instructions`;
      out.push(c.gray(`  the domain ${end}`));
    }
    if (ev.crash) {
      out.push(c.magenta(`  crash: ${ev.crash.reason}`));
      out.push(`      at ${ev.crash.eip}: ${ev.crash.instruction}`);
      if (ev.crash.source) out.push(c.cyan(`      ${ev.crash.source}`));
      out.push(c.gray(`      ${ev.crash.registers}`));
    }
    out.push(c.gray(ev.consoleTail.length ? '  last console lines:' : '  the console stayed empty'));
    for (const l of ev.consoleTail) out.push(`    | ${l}`);
    if (ev.lastHypercalls.length) {
      out.push(c.gray('  last hypercalls:'));
      for (const h of ev.lastHypercalls) out.push(`    ${h}`);
    }
  }
  const total = `${points(r.score)}/${points(r.maxScore)}`;
  out.push(`  ${r.outcome === 'PASS' ? c.green('score') : c.yellow('score')} ${total}` + (r.traceHash ? c.gray(`  trace ${r.traceHash.slice(0, 16)}`) : ''));
  return out.join('\n');
}

export function formatTerminal(report: GradeReport, colour?: ChalkInstance): string {
  const c = colour ?? terminalChalk();
  const parts = report.exercises.map((r) => formatExercise(r, c));
  const status = report.passed ? c.green.bold('PASSED') : c.red.bold('NOT PASSED');
  parts.push(`${status}  total ${points(report.score)}/${points(report.maxScore)}` +
    c.gray(`  (${report.kit}, ${report.seed === null ? 'default seeds' : `seed ${report.seed}`}, submission ${report.submissionHash.slice(0, 12)}, trace ${report.traceHash.slice(0, 12)})`));
  return parts.join('\n\n') + '\n';
}
