// The kernel language's built-in types and intrinsics, declared so that tsc and
// editors type-check kernel files. Our compiler (minios/lang) gives them their
// machine meaning; nothing here runs on the host.

declare global {
  // ---- integer types: numbers of a fixed width with C semantics ----
  /** Unsigned 8-bit integer (C uint8_t). */
  type u8 = number;
  /** Unsigned 16-bit integer (C uint16_t). */
  type u16 = number;
  /** Unsigned 32-bit integer (C uint32_t). */
  type u32 = number;
  /** Signed 8-bit integer (C int8_t). */
  type i8 = number;
  /** Signed 16-bit integer (C int16_t). */
  type i16 = number;
  /** Signed 32-bit integer (C int32_t). */
  type i32 = number;
  /** Unsigned 64-bit integer (C uint64_t), written with bigint literals: 5n. */
  type u64 = bigint;
  /** Signed 64-bit integer (C int64_t), written with bigint literals: -5n. */
  type i64 = bigint;
  /** Truth value, 0 or 1 in memory (one byte in structs). */
  type bool = boolean;
  /** A NUL-terminated string constant (a string literal); its address is a Ptr<u8>. */
  type cstr = string;

  /** Explicit conversions, as C casts: truncate to the width, then sign- or zero-extend. */
  function u8(x: Integral): u8;
  function u16(x: Integral): u16;
  function u32(x: Integral | Address): u32;
  function i8(x: Integral): i8;
  function i16(x: Integral): i16;
  function i32(x: Integral | Address): i32;
  function u64(x: Integral): u64;
  function i64(x: Integral): i64;

  type Integral = number | bigint | boolean;
  /** An argument of a C-style variadic function: function f(fmt: cstr, ...args: VarArg[]). Integers narrower than
   *  32 bits are passed widened; u64/i64 take two words; addresses one. */
  type VarArg = number | bigint | boolean | object | string;
  /** The variable arguments as words: va_start(args)[0] is the first extra argument (C's va_list). */
  function va_start(args: VarArg[]): Ptr<u32>;
  type Address = PtrBase<any> | cstr | object;

  // ---- pointers ----
  interface PtrBase<T> {
    /** Element i (p[i] as in C); a store when assigned to. */
    [index: number]: T;
    /** The pointer advanced by n elements (p + n in C). */
    add(n: number): Ptr<T>;
    /** The pointer moved back by n elements (p - n in C). */
    sub(n: number): Ptr<T>;
    /** Number of elements from q to this pointer (p - q in C). */
    diff(q: Ptr<T>): i32;
    readonly __pointee?: T;
  }
  /** A typed pointer; a pointer to a struct also reaches its fields directly (p.field is p->field). */
  type Ptr<T> = PtrBase<T> & (T extends object ? T : unknown);
  /** A fixed-size array inside a struct; it reads as a pointer to its first element. */
  type CArray<T, N extends number> = Ptr<T> & { readonly __length?: N };
  /** A pointer to anything (C void *): every pointer and struct converts to it; convert back with ptr<T>(p) or ref<T>(p). */
  type VoidPtr = object;
  /** Bytes (C char *): a Ptr<u8>, and string literals convert to it. */
  type CharPtr = Ptr<u8> | cstr;

  /** The pointer with address `addr` (a C cast from an integer). */
  function ptr<T>(addr: u32 | Address): Ptr<T>;
  /** The struct at address `addr`. */
  function ref<T extends object>(addr: u32 | Address): T;
  /** The null pointer. */
  const NULL: Ptr<any>;
  /** &x: the address of a variable, a field, an element or a struct. */
  function addr_of<T>(x: T): Ptr<T>;
  /** Size of a type in bytes. */
  function sizeof<T>(): u32;
  /** Byte offset of a field ("a.b.c" for nested fields). */
  function offsetof<T>(field: string): u32;

  // ---- storage ----
  /** Zeroed static storage for `count` elements, aligned to `align` bytes (module level only). */
  function static_buffer<T>(count: number, align?: number): Ptr<T>;
  /** Zeroed static storage for one struct (module level only). */
  function static_struct<T extends object>(align?: number): Ptr<T>;
  /** Zeroed storage in the current function's stack frame. */
  function stack_struct<T extends object>(): Ptr<T>;
  /** Zeroed array in the current function's stack frame. */
  function stack_buffer<T>(count: number): Ptr<T>;

  // ---- volatile access, barriers, atomics ----
  function volatile_read<T>(p: Ptr<T>): T;
  function volatile_write<T>(p: Ptr<T>, value: T): void;
  /** Compiler barrier: no access is moved across it. */
  function barrier(): void;
  /** Full memory barrier (lock add [esp], 0). */
  function mb(): void;
  function rmb(): void;
  function wmb(): void;
  /** Atomically stores value and returns the old one (xchg). */
  function xchg<T extends number>(p: Ptr<T>, value: T): T;
  /** Atomically replaces *p with `value` if it equals `expected`; returns the old value (lock cmpxchg). */
  function cmpxchg<T extends number>(p: Ptr<T>, expected: T, value: T): T;
  /** Atomically adds and returns the old value (lock xadd). */
  function atomic_add<T extends number>(p: Ptr<T>, n: T): T;
  /** Bit operations on a bitmap at p (lock bts / btr / btc / bt). */
  function synch_set_bit(nr: u32, p: Ptr<any>): void;
  function synch_clear_bit(nr: u32, p: Ptr<any>): void;
  function synch_test_and_set_bit(nr: u32, p: Ptr<any>): bool;
  function synch_test_and_clear_bit(nr: u32, p: Ptr<any>): bool;
  function synch_test_bit(nr: u32, p: Ptr<any>): bool;

  // ---- machine level ----
  /** Calls hypercall `nr` through the hypercall page (call hypercall_page + nr*32); arguments go in EBX, ECX, EDX, ESI, EDI. */
  function hypercall(nr: number, ...args: (Integral | Address)[]): i32;
  /** Raw instructions (nasm syntax). At module level: placed in the code as written. In a "naked" function: its whole body. */
  function asm(text: TemplateStringsArray, ...values: (number | bigint | string | Function | object)[]): void;
  /** The byte value of a one-character string literal: char('%') is 37. */
  function char(c: string): u8;
  /** Reads the time-stamp counter. */
  function rdtsc(): u64;
  /** Stops in the debugger's way: int3. */
  function breakpoint(): void;
  /** Count of trailing zero bits (bsf); undefined for 0. */
  function ffs32(x: u32): u32;
}

export {};
