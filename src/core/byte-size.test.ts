import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, parseByteSize } from './byte-size.js';

test('byte sizes', () => {
  assert.equal(parseByteSize('1048576'), 1048576);
  assert.equal(parseByteSize('1MiB'), 1048576);
  assert.equal(parseByteSize('256 KiB'), 262144);
  assert.equal(parseByteSize('10GB'), 10e9);
  assert.equal(parseByteSize('1.5k'), 1500);
  assert.equal(parseByteSize('ten'), undefined);
  assert.equal(parseByteSize('5 parsecs'), undefined);
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(12), '12 B');
});
