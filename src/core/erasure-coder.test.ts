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

test('reconstruct with a wanted block rebuilds it exactly while another absent block is not asked for', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 7 }), async (target, offset) => {
      const k = 6;
      const m = 2;
      const bs = 64;
      const other = (target + offset) % (k + m);
      const coder = createErasureCoder({ dataShards: k, parityShards: m });
      const data = randomBytes(k * bs);
      const parity = Buffer.alloc(m * bs);
      await coder.encode(data, parity);
      const blockOf = (buf: { data: Buffer; parity: Buffer }, i: number) => (i < k ? buf.data.subarray(i * bs, (i + 1) * bs) : buf.parity.subarray((i - k) * bs, (i - k + 1) * bs));
      const damaged = { data: Buffer.from(data), parity: Buffer.from(parity) };
      for (const i of [target, other]) blockOf(damaged, i).fill(0xee);
      const present = Array.from({ length: k + m }, (_, i) => i !== target && i !== other);
      await coder.reconstruct(damaged.data, damaged.parity, present, [target]);
      assert.ok(blockOf(damaged, target).equals(blockOf({ data, parity }, target)), `block ${target} rebuilt with block ${other} absent too`);
    }),
    { numRuns: 40 },
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
