// Errors for users of the assembler: what went wrong, in which instruction, and where it came from.

export interface SourcePos {
  file: string;
  line: number;
  column?: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  if (!pos) return '';
  return `${pos.file}:${pos.line}${pos.column !== undefined ? ':' + pos.column : ''}: `;
}

export class AsmError extends Error {
  override name = 'AsmError';
  constructor(
    /** The bare problem, e.g. "immediate 300 does not fit in 8 bits". */
    readonly problem: string,
    readonly pos?: SourcePos,
    /** The instruction or directive text, e.g. "mov byte [eax], 300". */
    readonly source?: string,
  ) {
    super(`${formatPos(pos)}${source ? `'${source}': ` : ''}${problem}`);
  }
}
