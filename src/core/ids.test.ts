import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isUuid, newObjectId, newShardId } from './ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('ids: object and shard ids are UUIDv7 carrying their millisecond, and sort by it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 48 - 2 }), fc.integer({ min: 1, max: 10 ** 6 }), (ms, later) => {
      const a = newObjectId(ms);
      const b = newShardId(Math.min(2 ** 48 - 1, ms + later));
      assert.match(a, V7);
      assert.match(b, V7);
      assert.ok(isUuid(a));
      assert.equal(Number.parseInt(a.slice(0, 8) + a.slice(9, 13), 16), ms);
      assert.ok(a < b, `${a} sorts before the later ${b}`);
    }),
  );
});

test('ids: ids of the same millisecond differ (74 random bits), also across the random pool refills', () => {
  const seen = new Set<string>();
  // 4096 / 16 = 256 ids per refill of the pool: 20,000 cross it many times.
  for (let i = 0; i < 20_000; i++) seen.add(newObjectId(1_700_000_000_000));
  assert.equal(seen.size, 20_000);
  const random = [...seen].map((id) => id.replaceAll('-', '').slice(13));
  assert.equal(new Set(random).size, 20_000, 'the random part itself never repeats');
});
