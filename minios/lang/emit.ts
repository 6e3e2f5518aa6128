// Program IR -> assembler calls: functions into .text, globals into .data/.bss, strings into .rodata, runtime helpers.
import { Assembler, sym } from '../asm/index.js';
import { FunctionGen, type Line } from './backend.js';
import type { GlobalVar, ProgramIR } from './ir.js';
import { runtimeText } from './runtime.js';

export interface Emitted {
  asm: Assembler;
  /** Generated lines per function, for tests that look at code without linking. */
  functions: Map<string, Line[]>;
}

export function emitProgram(ir: ProgramIR): Emitted {
  const asm = new Assembler({ file: 'kernel' });
  const functions = new Map<string, Line[]>();
  asm.section('.text');
  for (const item of ir.items) {
    if (item.k === 'asm') {
      asm.section('.text');
      asm.loc(item.pos.file, item.pos.line, item.pos.column);
      asm.text(item.text, { file: item.pos.file, line: item.pos.line });
    } else if (item.k === 'func') {
      const lines = new FunctionGen(item.f, ir.helpers).generate();
      functions.set(item.f.name, lines);
      asm.section('.text');
      asm.loc(item.f.pos.file, item.f.pos.line, item.f.pos.column);
      asm.global(item.f.name);
      asm.label(item.f.name);
      writeLines(asm, lines);
    }
  }
  const helpers = runtimeText(ir.helpers);
  if (helpers) {
    asm.section('.text');
    asm.loc('<runtime>', 1);
    asm.text(helpers, { file: '<runtime>', line: 1 });
  }
  if (ir.strings.size) {
    asm.section('.rodata');
    for (const [text, name] of ir.strings) {
      asm.loc('<strings>', 1);
      asm.label(name);
      asm.asciz(text);
    }
  }
  for (const item of ir.items) if (item.k === 'global') emitGlobal(asm, item.g);
  return { asm, functions };
}

function writeLines(asm: Assembler, lines: Line[]): void {
  for (const l of lines) {
    switch (l.k) {
      case 'loc': asm.loc(l.pos.file, l.pos.line, l.pos.column); break;
      case 'label': asm.label(l.name); break;
      case 'ins': asm.ins(l.op, ...l.args); break;
      case 'asm':
        asm.loc(l.pos.file, l.pos.line, l.pos.column);
        asm.text(l.text, { file: l.pos.file, line: l.pos.line });
        break;
    }
  }
}

function emitGlobal(asm: Assembler, g: GlobalVar): void {
  asm.loc(g.pos.file, g.pos.line, g.pos.column);
  if (!g.init) {
    asm.section('.bss');
    if (g.align > 1) asm.align(g.align);
    asm.global(g.sym);
    asm.label(g.sym);
    asm.resb(g.size);
    return;
  }
  asm.section('.data');
  if (g.align > 1) asm.align(g.align);
  asm.global(g.sym);
  asm.label(g.sym);
  let at = 0;
  const relocs = [...g.init.relocs].sort((a, b) => a.at - b.at);
  for (const r of relocs) {
    if (r.at > at) asm.db(...g.init.bytes.slice(at, r.at));
    asm.dd(sym(r.sym, r.offset));
    at = r.at + 4;
  }
  if (at < g.size) asm.db(...g.init.bytes.slice(at));
}
