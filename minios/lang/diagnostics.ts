// Compile errors as tsc reports them: file:line:col, message, and a hint saying what to do instead.
import ts from 'typescript';

export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
  hint?: string;
}

/** Thrown inside the compiler to abandon one declaration; collected into the diagnostics list. */
export class CompileError extends Error {
  constructor(readonly diag: Diagnostic) {
    super(diag.message);
  }
}

export function diagAt(node: ts.Node, message: string, hint?: string): Diagnostic {
  const sf = node.getSourceFile();
  const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return { file: sf.fileName, line: line + 1, column: character + 1, message, hint };
}

export function errorAt(node: ts.Node, message: string, hint?: string): CompileError {
  return new CompileError(diagAt(node, message, hint));
}

/** One diagnostic in tsc's terminal style: `file:line:col - error: message` and the hint beneath. */
export function formatDiagnostic(d: Diagnostic, opts: { source?: string } = {}): string {
  let s = `${d.file}:${d.line}:${d.column}: error: ${d.message}`;
  if (opts.source !== undefined) {
    const text = opts.source.split('\n')[d.line - 1];
    if (text !== undefined) s += `\n\n${String(d.line).padStart(5)} | ${text}\n      | ${' '.repeat(Math.max(0, d.column - 1))}^`;
  }
  if (d.hint) s += `\n  hint: ${d.hint}`;
  return s;
}
