import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeRedundancy, redundancyWith } from './redundancy.js';

const scheme = { dataShards: 6, parityShards: 2, blockSize: 1024 };

test('six nodes for 6+2: the six data shards, no parity, survives no loss', () => {
  const r = redundancyWith(scheme, 6);
  assert.deepEqual(r, { liveNodes: 6, shardsPerObject: 6, parityShards: 0, survivesNodeLosses: 0, writable: true, full: false });
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
