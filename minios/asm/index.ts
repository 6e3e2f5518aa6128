// minios/asm: an x86 (IA-32) assembler with nasm's encodings, a nasm-syntax parser, and an ELF32 writer/reader.
export * from './operands.js';
export { AsmError, type SourcePos } from './errors.js';
export { Assembler, type AssemblerOptions, type SectionFlags } from './assembler.js';
export type { Mnemonic } from './mnemonics.js';
export type { LinkedImage, LinkedSection, LineEntry } from './link.js';
export { writeElf32, defaultXenGuest, XenElfNote, type ElfOptions } from './elf.js';
export { LINES_SECTION, encodeLineTable, decodeLineTable, lineFor } from './lines.js';
export { readElf32, symbolize, describeAddress, ElfError, type Elf32, type ElfSection, type ElfSegment, type ElfSymbol, type ElfNote } from './elfread.js';
