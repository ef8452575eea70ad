import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGcPacer } from './gc-pacer.js';

test('a minor GC every N bytes of traffic, and nothing without --expose-gc', () => {
  const calls: unknown[] = [];
  const pace = createGcPacer(100, (options) => calls.push(options));
  for (let i = 0; i < 10; i++) pace(30);
  assert.deepEqual(calls, [{ type: 'minor' }, { type: 'minor' }], 'after 120 and after 240 bytes');
  createGcPacer(1, undefined)(1000); // no gc exposed: nothing to call, nothing thrown
});
