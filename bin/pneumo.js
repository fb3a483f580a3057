#!/usr/bin/env node
// Thin launcher: the CLI is compiled from TypeScript into dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('pneumo: not built yet; run `bash scripts/setup.sh` (or `npm run build`) first');
  process.exit(1);
}
await import(main.href);
