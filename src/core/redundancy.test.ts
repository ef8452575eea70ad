import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeRedundancy, redundancyWith } from './redundancy.js';

const scheme = { dataShards: 6, parityShards: 2, blockSize: 1024 };

test('six nodes for 6+2: the six data shards, no parity, survives no loss', () => {
  const r = redundancyWith(scheme, 6);
  assert.deepEqual(r, { liveNodes: 6, shardsPerObject: 6, parityShards: 0, survivesNodeLosses: 0, machines: 6, zones: 1, survivesMachineLosses: 0, survivesZoneLosses: 0, writable: true, full: false });
  assert.match(describeRedundancy(scheme, r), /^redundancy: survives 0 node losses \(6 live nodes for 6\+2/);
});

test('fewer than k nodes: nothing can be stored', () => {
  const r = redundancyWith(scheme, 5);
  assert.equal(r.writable, false);
  assert.equal(r.shardsPerObject, 0);
  assert.match(describeRedundancy(scheme, r), /uploads need at least 6/);
});

test('k + m nodes or more: the full scheme', () => {
  assert.match(describeRedundancy(scheme, redundancyWith(scheme, 8)), /^redundancy: survives 2 node losses \(6\+2 on 8 live nodes\)$/);
  assert.equal(redundancyWith(scheme, 30).shardsPerObject, 8);
});

test('property: shards per object never exceed the nodes or k + m, and parity is what lies beyond k', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 40 }), (k, mRaw, nodes) => {
      const m = Math.min(mRaw, k);
      const r = redundancyWith({ dataShards: k, parityShards: m, blockSize: 8 }, nodes);
      assert.ok(r.shardsPerObject <= Math.min(nodes, k + m));
      assert.equal(r.writable, nodes >= k);
      if (r.writable) assert.equal(r.parityShards, r.shardsPerObject - k);
      assert.equal(r.full, nodes >= k + m);
    }),
  );
});

test('machines and zones: what a new object survives as placement spreads it over them', () => {
  const nodes = (machines: number, perMachine: number, zones = 1) =>
    Array.from({ length: machines * perMachine }, (_, i) => ({ id: `n${i}`, capacity: 100, used: 0, host: `m${Math.floor(i / perMachine)}`, zone: `z${Math.floor(i / perMachine) % zones}` }));
  const four = redundancyWith(scheme, nodes(4, 2));
  assert.deepEqual([four.machines, four.survivesNodeLosses, four.survivesMachineLosses], [4, 2, 1]);
  assert.match(describeRedundancy(scheme, four), /^redundancy: survives 2 node losses, 1 machine loss \(8 nodes on 4 machines\)/);
  const three = redundancyWith(scheme, nodes(3, 4));
  assert.equal(three.survivesMachineLosses, 0, 'on three machines one holds 3 shards of every object');
  assert.match(describeRedundancy(scheme, three), /0 machine losses \(12 nodes on 3 machines\)/);
  const one = redundancyWith(scheme, nodes(1, 8));
  assert.equal(one.survivesMachineLosses, 0);
  assert.equal(describeRedundancy(scheme, one), 'redundancy: survives 2 node losses (6+2 on 8 live nodes)', 'one machine: the node count says it');
  const zoned = redundancyWith(scheme, nodes(8, 1, 4));
  assert.deepEqual([zoned.zones, zoned.survivesZoneLosses], [4, 1]);
  assert.match(describeRedundancy(scheme, zoned), /1 zone loss \(4 zones\)/);
});
