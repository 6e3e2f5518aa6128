// JUnit XML, as CI tools and GitHub Classroom read it: one <testsuite> per exercise, one <testcase> per check.
// FAIL is a <failure>; TIMEOUT, CRASH and BUILD ERROR are <error>s (with the outcome as type); NOT RUN is <skipped>.
import type { GradeReport } from './schema.js';

export function xmlEscape(s: string): string {
  // Characters XML 1.0 cannot carry at all are replaced, not escaped.
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function junitXml(report: GradeReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const count = (o: (x: string) => boolean) => report.exercises.reduce((n, e) => n + e.checks.filter((c) => o(c.outcome)).length, 0);
  const total = report.exercises.reduce((n, e) => n + e.checks.length, 0);
  out.push(`<testsuites name="xenlab" tests="${total}" failures="${count((o) => o === 'FAIL')}" errors="${count((o) => o === 'TIMEOUT' || o === 'CRASH' || o === 'BUILD ERROR')}" skipped="${count((o) => o === 'NOT RUN')}">`);
  for (const ex of report.exercises) {
    const n = (o: string) => ex.checks.filter((c) => c.outcome === o).length;
    out.push(`  <testsuite name="${xmlEscape(ex.slug)}" tests="${ex.checks.length}" failures="${n('FAIL')}" errors="${n('TIMEOUT') + n('CRASH') + n('BUILD ERROR')}" skipped="${n('NOT RUN')}">`);
    out.push('    <properties>');
    const props: [string, string][] = [['kit', report.kit], ['seed', String(ex.seed)], ['submission-hash', ex.submissionHash], ['trace-hash', ex.traceHash ?? ''], ['score', `${ex.score}/${ex.maxScore}`]];
    for (const [k, v] of props) out.push(`      <property name="${k}" value="${xmlEscape(v)}"/>`);
    out.push('    </properties>');
    for (const ch of ex.checks) {
      out.push(`    <testcase classname="${xmlEscape(`xenlab.${ex.slug}`)}" name="${xmlEscape(ch.title)}">`);
      const body = [ch.expected && `expected: ${ch.expected}`, ch.actual && `got: ${ch.actual}`, ch.hint && `hint: ${ch.hint}`,
        ...(ex.evidence && ch.outcome !== 'NOT RUN' && ch.outcome !== 'PASS' ? ex.evidence.consoleTail.map((l) => `console | ${l}`) : []),
        ...(ex.evidence?.crash && ch.outcome === 'CRASH' ? [`crash at ${ex.evidence.crash.eip}: ${ex.evidence.crash.instruction}${ex.evidence.crash.source ? ` (${ex.evidence.crash.source})` : ''}`] : [])].filter(Boolean).join('\n');
      const message = xmlEscape(ch.actual ?? ch.outcome);
      if (ch.outcome === 'FAIL') out.push(`      <failure type="FAIL" message="${message}">${xmlEscape(body)}</failure>`);
      else if (ch.outcome === 'TIMEOUT' || ch.outcome === 'CRASH' || ch.outcome === 'BUILD ERROR') out.push(`      <error type="${ch.outcome}" message="${message}">${xmlEscape(body)}</error>`);
      else if (ch.outcome === 'NOT RUN') out.push(`      <skipped message="${message}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
