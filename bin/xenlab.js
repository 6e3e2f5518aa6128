#!/usr/bin/env node
// Entry point for `npx xenlab`: the kit is TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
