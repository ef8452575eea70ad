#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=65536 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=1 --expose-gc --initial-old-space-size=48
// Runs the built CLI (npm's `prepare` builds it on install). Kept in JavaScript so it works before a build.
import { existsSync } from 'node:fs';
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('shardstore is not built: run `npm run build` (npm install does it for you)');
  process.exit(2);
}
await import(entry.href);
