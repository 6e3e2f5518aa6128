// The typed intermediate form between the checker (TypeScript syntax -> IR) and the x86 back end (IR -> instructions).
// Every expression carries its kernel type; every statement its source position.
import type { KType } from './types.js';

export interface Pos {
  file: string;
  line: number;
  column: number;
}

export interface Local {
  name: string;
  type: KType;
  /** Offset from EBP: positive for parameters, negative for locals (assigned by the back end when 0). */
  offset: number;
  /** Bytes of frame storage (struct/array locals from stack_struct/stack_buffer). */
  storage?: number;
  param: boolean;
  /** Declared with const: assignments are errors. */
  isConst?: boolean;
  /** A const bound to a compile-time value: no storage; uses see the value. */
  value?: Expr;
  /** Declared without a type from a bare number (so it became i32): hints suggest writing the type. */
  fromLiteral?: boolean;
}

/** Where a value lives, for loads, stores and addr_of. */
export type Place =
  | { k: 'local'; local: Local; type: KType }
  | { k: 'global'; sym: string; type: KType }
  /** Memory at addr + offset. */
  | { k: 'mem'; addr: Expr; offset: number; type: KType; volatile?: boolean };

export type BinOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>' | '>>>';
export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { k: 'const'; type: KType; value: bigint }
  /** The address of a symbol (string literal, static storage, function) plus an offset. */
  | { k: 'symaddr'; type: KType; sym: string; offset: number }
  /** The address of a stack-frame storage block. */
  | { k: 'frameaddr'; type: KType; local: Local }
  | { k: 'load'; type: KType; place: Place }
  /** The address of a place (addr_of). */
  | { k: 'addr'; type: KType; place: Place }
  | { k: 'assign'; type: KType; place: Place; value: Expr }
  /** place op= value, or ++/-- (pre returns the new value, post the old one). */
  | { k: 'update'; type: KType; place: Place; op: BinOp; value: Expr; post: boolean }
  | { k: 'unary'; type: KType; op: '-' | '~'; e: Expr }
  | { k: 'not'; type: KType; e: Expr }
  | { k: 'binary'; type: KType; op: BinOp; a: Expr; b: Expr }
  /** Comparison of operands of type `opType`; the result is bool. */
  | { k: 'cmp'; type: KType; op: CmpOp; opType: KType; a: Expr; b: Expr }
  | { k: 'logic'; type: KType; op: '&&' | '||'; a: Expr; b: Expr }
  | { k: 'cond'; type: KType; c: Expr; a: Expr; b: Expr }
  /** Conversion of e (typed `from`) to `type`. */
  | { k: 'convert'; type: KType; from: KType; e: Expr }
  | { k: 'call'; type: KType; fn: string; args: Expr[] }
  | { k: 'callptr'; type: KType; target: Expr; args: Expr[] }
  | { k: 'intrinsic'; type: KType; name: string; args: Expr[]; nr?: number }
  /** Evaluates both, yields the second (comma operator). */
  | { k: 'seq'; type: KType; a: Expr; b: Expr };

export type Stmt =
  | { k: 'expr'; pos: Pos; e: Expr }
  | { k: 'block'; pos: Pos; body: Stmt[] }
  | { k: 'if'; pos: Pos; cond: Expr; then: Stmt; else?: Stmt }
  | { k: 'while'; pos: Pos; cond: Expr; body: Stmt }
  | { k: 'do'; pos: Pos; body: Stmt; cond: Expr }
  | { k: 'for'; pos: Pos; init?: Stmt; cond?: Expr; step?: Expr; stepPos?: Pos; body: Stmt }
  | { k: 'switch'; pos: Pos; value: Expr; cases: { values: bigint[]; isDefault: boolean; pos: Pos; body: Stmt[] }[] }
  | { k: 'break'; pos: Pos }
  | { k: 'continue'; pos: Pos }
  | { k: 'return'; pos: Pos; value?: Expr }
  | { k: 'asm'; pos: Pos; text: string };

export interface Func {
  name: string;
  pos: Pos;
  params: Local[];
  locals: Local[];
  ret: KType;
  body: Stmt[];
  naked: boolean;
  exported: boolean;
}

export interface GlobalVar {
  sym: string;
  pos: Pos;
  type: KType;
  /** Bytes of storage and alignment. */
  size: number;
  align: number;
  /** Initial bytes (little-endian, length = size) or undefined for zeroed (.bss). */
  init?: { bytes: number[]; relocs: { at: number; sym: string; offset: number }[] };
  readonly: boolean;
}

/** Everything the back end needs for one kernel: functions, data and raw assembly in emission order. */
export interface ProgramIR {
  items: ({ k: 'func'; f: Func } | { k: 'asm'; pos: Pos; text: string } | { k: 'global'; g: GlobalVar })[];
  strings: Map<string, string>;
  /** Runtime helpers the code calls (64-bit multiply, divide, shifts). */
  helpers: Set<string>;
}
