import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** What a fresh process has loaded after importing `modules` (dist paths, as the processes run them). */
function loadedAfter(modules: string[]): string[] {
  const urls = modules.map((m) => new URL(m, import.meta.url).href);
  const script = `for (const m of ${JSON.stringify(urls)}) await import(m); console.log(JSON.stringify(process.moduleLoadList));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as string[];
}

test('neither a storage node nor the gateway loads undici', () => {
  const loaded = loadedAfter(['../processes/storage-node.js', '../processes/gateway.js']);
  assert.ok(loaded.some((m) => /\bhttp\b/.test(m)), 'node:http is loaded');
  // (TLS itself is loaded by Fastify and prom-client, whose CommonJS requires of node:https are harmless.)
  assert.deepEqual(loaded.filter((m) => /undici/.test(m)), [], 'an ES import of node:http would load undici');
});
