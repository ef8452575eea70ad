import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createErasureCoder } from './erasure-coder.js';

test('any k of k + m shards rebuild the data (Reed-Solomon)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 10 }).chain((k) =>
        fc.record({
          k: fc.constant(k),
          m: fc.integer({ min: 1, max: Math.min(k, 4) }),
          blockUnits: fc.integer({ min: 1, max: 64 }),
          seed: fc.integer(),
        }),
      ),
      fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      async ({ k, m, blockUnits }, picks) => {
        const bs = blockUnits * 8;
        const coder = createErasureCoder({ dataShards: k, parityShards: m });
        const data = randomBytes(k * bs);
        const parity = Buffer.alloc(m * bs);
        await coder.encode(data, parity);
        // Lose up to m distinct shards, chosen by the generated picks.
        const lost = new Set<number>();
        for (const p of picks.slice(0, m)) lost.add(p % (k + m));
        const damagedData = Buffer.from(data);
        const damagedParity = Buffer.from(parity);
        const present: boolean[] = [];
        for (let i = 0; i < k + m; i++) {
          present.push(!lost.has(i));
          if (lost.has(i)) (i < k ? damagedData : damagedParity).fill(0xee, (i < k ? i : i - k) * bs, (i < k ? i + 1 : i - k + 1) * bs);
        }
        await coder.reconstruct(damagedData, damagedParity, present);
        assert.ok(damagedData.equals(data), 'data rebuilt');
        assert.ok(damagedParity.equals(parity), 'parity rebuilt');
      },
    ),
    { numRuns: 60 },
  );
});

test('more than m lost shards cannot be rebuilt', async () => {
  const coder = createErasureCoder({ dataShards: 4, parityShards: 2 });
  const data = randomBytes(4 * 64);
  const parity = Buffer.alloc(2 * 64);
  await coder.encode(data, parity);
  await assert.rejects(coder.reconstruct(data, parity, [false, false, false, true, true, true]), /cannot rebuild/);
});

test('no parity: encode leaves the data as it is, and a lost shard cannot be rebuilt', async () => {
  const coder = createErasureCoder({ dataShards: 3, parityShards: 0 });
  const data = randomBytes(24);
  const copy = Buffer.from(data);
  await coder.encode(data, Buffer.alloc(0));
  assert.ok(data.equals(copy), 'encode changed no data byte');
  await coder.reconstruct(data, Buffer.alloc(0), [true, true, true]);
  assert.ok(data.equals(copy), 'with every shard present, reconstruct changes nothing');
  await assert.rejects(coder.reconstruct(data, Buffer.alloc(0), [true, false, true]), /cannot rebuild/);
});
