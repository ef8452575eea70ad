import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRangeHeader, rangeLength, stripesForRange } from './byte-range.js';
import { RangeNotSatisfiableError } from './errors.js';

test('Range header forms', () => {
  assert.equal(parseRangeHeader(undefined, 100), undefined);
  assert.deepEqual(parseRangeHeader('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRangeHeader('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRangeHeader('bytes=90-500', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRangeHeader('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRangeHeader('bytes=-500', 100), { start: 0, end: 99 });
  assert.equal(parseRangeHeader('bytes=5-2', 100), undefined, 'invalid: ignored');
  assert.equal(parseRangeHeader('bytes=0-1,5-6', 100), undefined, 'several ranges: whole object');
  assert.equal(parseRangeHeader('items=0-1', 100), undefined);
  assert.throws(() => parseRangeHeader('bytes=100-', 100), RangeNotSatisfiableError);
  assert.throws(() => parseRangeHeader('bytes=-0', 100), RangeNotSatisfiableError);
  assert.throws(() => parseRangeHeader('bytes=0-', 0), RangeNotSatisfiableError);
});

test('stripesForRange covers exactly the stripes holding the range', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.nat(),
      fc.nat(),
      (k, blockUnits, size, a, b) => {
        const scheme = { dataShards: k, parityShards: 0, blockSize: blockUnits * 8 };
        const start = a % size;
        const end = start + (b % (size - start));
        const { first, last } = stripesForRange(scheme, { start, end });
        const stripe = k * scheme.blockSize;
        assert.ok(first * stripe <= start && start < (first + 1) * stripe);
        assert.ok(last * stripe <= end && end < (last + 1) * stripe);
        assert.equal(rangeLength({ start, end }), end - start + 1);
      },
    ),
  );
});
