import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { choosePlacement, domainExcesses, domainLimits, domainLossesSurvived, fillSpread, joiningNodes, moveKeepsDomains, type NodeLoad } from './placement.js';
import { NotEnoughNodesError } from './errors.js';
import { seeded } from '../../test/helpers/seeded.js';

const GiB = 2 ** 30;


interface SimNode { id: string; capacity: number; used: number; shards: number }

function place(nodes: SimNode[], objects: number, random: () => number, k = 6, m = 2): Map<string, number> {
  const got = new Map<string, number>();
  for (let o = 0; o < objects; o++) {
    const size = 1000 + Math.floor(random() * 4_000_000);
    const shardBytes = Math.ceil(size / k);
    for (const id of choosePlacement(nodes, k + m, shardBytes, { random })) {
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

const count = <T>(items: readonly T[]): number[] => [...items.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<T, number>()).values()];

test('failure domains: a part is spread over hosts and zones as evenly as they allow', () => {
  const fleet = (zones: number, hostsPerZone: number, nodesPerHost: number): NodeLoad[] =>
    Array.from({ length: zones * hostsPerZone * nodesPerHost }, (_, i) => {
      const host = Math.floor(i / nodesPerHost);
      return { id: `n${i}`, capacity: GiB, used: 0, host: `h${host}`, zone: `z${Math.floor(host / hostsPerZone)}` };
    });
  const byId = (nodes: NodeLoad[]) => new Map(nodes.map((n) => [n.id, n]));
  for (let round = 0; round < 50; round++) {
    const random = seeded(round);
    // 8 nodes on 4 hosts: two shards per host, so any one host may die.
    const four = fleet(1, 4, 2);
    const onFour = choosePlacement(four, 8, 1000, { random }).map((id) => byId(four).get(id)!.host!);
    assert.deepEqual(count(onFour), [2, 2, 2, 2]);
    assert.equal(domainLossesSurvived(onFour, 6), 1);
    // 12 nodes on 3 hosts: at most 3 per host (⌈8/3⌉); no host loss is survivable, and that is the best there is.
    const three = fleet(1, 3, 4);
    const onThree = choosePlacement(three, 8, 1000, { random }).map((id) => byId(three).get(id)!.host!);
    assert.ok(Math.max(...count(onThree)) <= 3);
    // 5 zones of 4 hosts of 2 nodes: at most 2 per zone and 1 per host.
    const wide = fleet(5, 4, 2);
    const chosen = choosePlacement(wide, 8, 1000, { random }).map((id) => byId(wide).get(id)!);
    assert.ok(Math.max(...count(chosen.map((n) => n.zone))) <= 2);
    assert.ok(Math.max(...count(chosen.map((n) => n.host))) <= 1);
    assert.equal(domainLossesSurvived(chosen.map((n) => n.zone!), 6), 1, 'any one zone may die');
  }
});

test('failure domains: a repair counts the shards the part keeps', () => {
  const nodes: NodeLoad[] = ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd', 'e'].map((host, i) => ({ id: `n${i}`, capacity: GiB, used: i === 8 ? GiB / 2 : 0, host }));
  // The part keeps 7 shards: two on each of a, b and c, one on d. The emptiest free nodes are on a, b, c.
  const keep = [nodes[0]!, nodes[2]!, nodes[4]!, nodes[6]!, { id: 'x1', host: 'a' }, { id: 'x2', host: 'b' }, { id: 'x3', host: 'c' }];
  const free = nodes.filter((n) => !keep.some((k) => k.id === n.id));
  for (let seed = 0; seed < 20; seed++) {
    const [to] = choosePlacement(free, 1, 1000, { random: seeded(seed), keep });
    assert.ok(['n7', 'n8'].includes(to!), `the new shard goes to host d or e, not ${to}`);
  }
});

test('property: with only host labels, no host gets more than ⌈n / hosts⌉ when the hosts can take the part that way', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 10 }), fc.integer(), (hostOfNode, n, seed) => {
      const nodes: NodeLoad[] = hostOfNode.map((h, i) => ({ id: `n${i}`, capacity: 1000, used: (i * 37) % 500, host: `h${h}` }));
      if (nodes.length < n) return;
      const limits = domainLimits(nodes, n);
      const chosen = choosePlacement(nodes, n, 10, { random: seeded(seed) });
      assert.equal(new Set(chosen).size, n);
      const perHost = count(chosen.map((id) => nodes.find((x) => x.id === id)!.host));
      const room = count(nodes.map((x) => x.host)).reduce((sum, c) => sum + Math.min(c, limits.perHost), 0);
      if (room >= n) assert.ok(Math.max(...perHost) <= limits.perHost, `${perHost} over ${limits.perHost}`);
    }),
    { numRuns: 300 },
  );
});

test('domain losses survived: the largest domains go first, while k shards remain', () => {
  assert.equal(domainLossesSurvived(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 6), 2);
  assert.equal(domainLossesSurvived(['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd'], 6), 1);
  assert.equal(domainLossesSurvived(['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c'], 6), 0);
  assert.equal(domainLossesSurvived(Array(8).fill('one'), 6), 0);
  assert.equal(domainLossesSurvived(['a', 'b', 'c', 'd', 'e', 'f'], 6), 0, 'k shards alone survive nothing');
});

test('domain excesses: the zones and machines holding more of a part than the limits allow', () => {
  const on = (host: string, zone = 'z') => ({ id: `${host}-${Math.random()}`, host, zone });
  const holders = [on('a'), on('a'), on('a'), on('b'), on('b'), on('c'), on('c'), on('d')];
  assert.deepEqual(domainExcesses(holders, { perZone: 8, perHost: 2 }), [{ level: 'machine', domain: 'a', shards: 3, limit: 2 }]);
  assert.deepEqual(domainExcesses(holders, { perZone: 4, perHost: 3 }), [{ level: 'zone', domain: 'z', shards: 8, limit: 4 }]);
  assert.deepEqual(domainExcesses(holders, { perZone: 8, perHost: 3 }), []);
});

test('a move keeps a part within the limits, or stays in its own domain', () => {
  const n = (id: string, host: string, zone = 'z') => ({ id, host, zone });
  const limits = { perZone: 8, perHost: 2 };
  const others = [n('1', 'a'), n('2', 'a'), n('3', 'b')];
  assert.equal(moveKeepsDomains(n('t', 'a'), n('f', 'c'), others, limits), false, 'a third shard onto machine a');
  assert.equal(moveKeepsDomains(n('t', 'b'), n('f', 'c'), others, limits), true, 'a second onto machine b');
  assert.equal(moveKeepsDomains(n('t', 'a'), n('f', 'a'), others, limits), true, 'within machine a: no change in its count');
  assert.equal(moveKeepsDomains(n('t', 'd', 'y'), n('f', 'c'), others, { perZone: 3, perHost: 2 }), true);
  assert.equal(moveKeepsDomains(n('t', 'd'), n('f', 'c', 'x'), others, { perZone: 3, perHost: 2 }), false, 'a fourth shard into zone z');
});
