import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  frameBytes, schemeForSize, shardByteRangeForStripes, shardFileBytes, stripeCount, stripeDataBytes, validateScheme,
} from './erasure-scheme.js';

const scheme = { dataShards: 6, parityShards: 2, blockSize: 1024 };

test('stripe counts at block and stripe boundaries', () => {
  const stripe = stripeDataBytes(scheme);
  assert.equal(stripe, 6144);
  assert.equal(stripeCount(scheme, 0), 0);
  assert.equal(stripeCount(scheme, 1), 1);
  assert.equal(stripeCount(scheme, stripe - 1), 1);
  assert.equal(stripeCount(scheme, stripe), 1);
  assert.equal(stripeCount(scheme, stripe + 1), 2);
  assert.equal(shardFileBytes(scheme, stripe + 1), 2 * (1024 + 4));
});

test('a small object gets the smallest aligned block that holds it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: stripeDataBytes(scheme) - 1 }), (size) => {
      const s = schemeForSize(scheme, size);
      assert.equal(s.blockSize % 8, 0);
      assert.ok(s.blockSize <= scheme.blockSize);
      assert.ok(s.dataShards * s.blockSize >= size, 'one stripe holds the object');
      assert.ok(s.blockSize === 8 || s.dataShards * (s.blockSize - 8) < size, 'no smaller block would do');
    }),
  );
  assert.deepEqual(schemeForSize(scheme, 10 * 6144), scheme);
});

test('shard byte range of stripes is whole frames', () => {
  assert.deepEqual(shardByteRangeForStripes(scheme, 0, 0), { start: 0, end: frameBytes(scheme) - 1 });
  assert.deepEqual(shardByteRangeForStripes(scheme, 2, 4), { start: 2 * 1028, end: 5 * 1028 - 1 });
});

test('invalid schemes are reported together', () => {
  assert.deepEqual(validateScheme(scheme), []);
  const problems = validateScheme({ dataShards: 0, parityShards: 3, blockSize: 12 });
  assert.equal(problems.length, 3);
  assert.match(validateScheme({ dataShards: 4, parityShards: 5, blockSize: 8 })[0]!, /parity shards/);
});
