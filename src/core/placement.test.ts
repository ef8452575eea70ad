import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { choosePlacement, fillSpread, joiningNodes, type NodeLoad } from './placement.js';
import { NotEnoughNodesError } from './errors.js';

const GiB = 2 ** 30;

/** A deterministic generator, so a failing simulation can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimNode { id: string; capacity: number; used: number; shards: number }

function place(nodes: SimNode[], objects: number, random: () => number, k = 6, m = 2): Map<string, number> {
  const got = new Map<string, number>();
  for (let o = 0; o < objects; o++) {
    const size = 1000 + Math.floor(random() * 4_000_000);
    const shardBytes = Math.ceil(size / k);
    for (const id of choosePlacement(nodes, k + m, shardBytes, random)) {
      const n = nodes.find((x) => x.id === id)!;
      n.used += shardBytes;
      n.shards += 1;
      got.set(id, (got.get(id) ?? 0) + 1);
    }
  }
  return got;
}

test('simulated growth: fill stays even and new nodes catch up', (t) => {
  const random = seeded(42);
  const nodes: SimNode[] = Array.from({ length: 8 }, (_, i) => ({ id: `n${i}`, capacity: GiB, used: 0, shards: 0 }));
  place(nodes, 1000, random);
  const before = fillSpread(nodes);
  t.diagnostic(`8 nodes, 1000 objects: spread ${(before * 100).toFixed(2)} %`);
  assert.ok(before <= 0.1, `spread ${before}`);

  for (let i = 8; i < 12; i++) nodes.push({ id: `n${i}`, capacity: GiB, used: 0, shards: 0 });
  const got = place(nodes, 1000, random);
  const newShare = ['n8', 'n9', 'n10', 'n11'].map((id) => got.get(id) ?? 0);
  const uniform = (1000 * 8) / 12;
  t.diagnostic(`4 nodes joined; shards each took of the next 1000 objects: ${newShare.join(', ')} (uniform: ${uniform.toFixed(0)})`);
  assert.ok(newShare.every((n) => n > uniform * 1.3), 'new nodes take clearly more than a uniform share');

  place(nodes, 1000, random);
  const after = fillSpread(nodes);
  t.diagnostic(`after 1000 more objects on 12 nodes: spread ${(after * 100).toFixed(2)} %`);
  assert.ok(after <= 0.1, `spread ${after}`);
});

// With k + m = 8 shards per object, a node takes at most one shard of each object, so fill can only
// follow capacity when there are enough nodes: 8 of 2 GiB and 8 of 1 GiB can; 5 and 5 cannot.
test('simulated mixed capacities fill in proportion', (t) => {
  const random = seeded(7);
  const nodes: SimNode[] = Array.from({ length: 16 }, (_, i) => ({ id: `n${i}`, capacity: (i % 2 ? 2 : 1) * GiB, used: 0, shards: 0 }));
  place(nodes, 3000, random);
  const spread = fillSpread(nodes);
  t.diagnostic(`16 nodes of 1 and 2 GiB, 3000 objects: spread ${(spread * 100).toFixed(2)} %`);
  assert.ok(spread <= 0.1);
});

test('placement picks distinct nodes with room, or says how many it has', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ capacity: fc.integer({ min: 0, max: 1000 }), used: fc.integer({ min: 0, max: 1000 }) }), { maxLength: 20 }),
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 0, max: 200 }),
      (raw, count, shardBytes) => {
        const nodes: NodeLoad[] = raw.map((n, i) => ({ id: `n${i}`, capacity: n.capacity, used: Math.min(n.used, n.capacity) }));
        const roomy = nodes.filter((n) => n.capacity - n.used >= shardBytes);
        if (roomy.length < count) {
          assert.throws(() => choosePlacement(nodes, count, shardBytes), NotEnoughNodesError);
          return;
        }
        const chosen = choosePlacement(nodes, count, shardBytes);
        assert.equal(new Set(chosen).size, count);
        for (const id of chosen) assert.ok(roomy.some((n) => n.id === id));
      },
    ),
  );
});

test('joining nodes: those below the mean fill by more than the threshold of it', () => {
  const node = (id: string, used: number, capacity = 100): NodeLoad => ({ id, used, capacity });
  assert.deepEqual([...joiningNodes([node('a', 50), node('b', 50), node('c', 0), node('d', 44)], 0.1)], ['c']);
  assert.deepEqual([...joiningNodes([node('a', 50), node('b', 46), node('c', 48)], 0.1)], [], 'within 10 % of the mean');
  assert.deepEqual([...joiningNodes([node('a', 0), node('b', 0)], 0.1)], [], 'an empty cluster has nobody to join');
  assert.deepEqual([...joiningNodes([node('a', 0)], 0.1)], []);
  assert.deepEqual([...joiningNodes([node('big', 100, 1000), node('small', 20, 100)], 0.1)], ['big'], 'by fill ratio, not bytes');
});

test('property: a joining node is never the fullest, and equal fills mean nobody joins', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ used: fc.nat(1000), capacity: fc.integer({ min: 1000, max: 2000 }) }), { minLength: 2, maxLength: 20 }), (loads) => {
      const nodes = loads.map((l, i) => ({ id: `n${i}`, ...l }));
      const joining = joiningNodes(nodes, 0.1);
      const fullest = nodes.reduce((a, b) => (b.used / b.capacity > a.used / a.capacity ? b : a));
      assert.ok(!joining.has(fullest.id));
      const even = nodes.map((n) => ({ ...n, used: n.capacity / 2 }));
      assert.equal(joiningNodes(even, 0.1).size, 0);
    }),
  );
});
