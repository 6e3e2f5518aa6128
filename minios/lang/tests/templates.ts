// The diagnostics the compiler can report, read from its own source with the TypeScript parser: the message argument
// of every errorAt/diagAt call, as a pattern (a ${...} substitution matches anything). diagnostics.test.ts checks that
// each one is produced by at least one of its cases, so a new diagnostic without a test fails there.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface Template { where: string; text: string; re: RegExp }

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Alternatives of a message expression, each a list of literal parts and holes (null). */
type Consts = (name: string, at: number) => ts.Expression | undefined;

function shapes(e: ts.Expression, consts: Consts): (string | null)[][] {
  if (ts.isParenthesizedExpression(e)) return shapes(e.expression, consts);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [[e.text]];
  if (ts.isConditionalExpression(e)) return [...shapes(e.whenTrue, consts), ...shapes(e.whenFalse, consts)];
  if (ts.isTemplateExpression(e)) {
    const parts: (string | null)[] = [e.head.text];
    for (const span of e.templateSpans) parts.push(null, span.literal.text);
    return [parts];
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const out: (string | null)[][] = [];
    for (const l of shapes(e.left, consts)) for (const r of shapes(e.right, consts)) out.push([...l, ...r]);
    return out;
  }
  const named = ts.isIdentifier(e) ? consts(e.text, e.pos) : undefined;
  if (named) return shapes(named, consts);
  return [[null]];
}

export function diagnosticTemplates(langDir: string): Template[] {
  const out: Template[] = [];
  for (const f of fs.readdirSync(langDir).filter((n) => n.endsWith('.ts') && n !== 'diagnostics.ts')) {
    const sf = ts.createSourceFile(f, fs.readFileSync(path.join(langDir, f), 'utf8'), ts.ScriptTarget.ES2022, true);
    const decls = new Map<string, { pos: number; init: ts.Expression }[]>();
    // a name used as a message: its nearest declaration before the use
    const consts: Consts = (name, at) => decls.get(name)?.filter((d) => d.pos < at).at(-1)?.init;
    const calls: ts.CallExpression[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
        decls.set(n.name.text, [...(decls.get(n.name.text) ?? []), { pos: n.pos, init: n.initializer }]);
      }
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && /^(errorAt|diagAt)$/.test(n.expression.text) && n.arguments.length >= 2) calls.push(n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
    for (const c of calls) {
      const line = sf.getLineAndCharacterOfPosition(c.getStart(sf)).line + 1;
      for (const parts of shapes(c.arguments[1], consts)) {
        if (parts.every((p) => p === null)) continue; // a message computed elsewhere
        const text = parts.map((p) => p ?? '${…}').join('');
        out.push({ where: `${f}:${line}`, text, re: new RegExp(`^${parts.map((p) => (p === null ? '[^]*?' : escape(p))).join('')}$`) });
      }
    }
  }
  return out;
}
