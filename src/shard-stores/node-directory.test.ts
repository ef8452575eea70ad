import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDirectory } from './node-directory.js';
import { HttpShardStore } from './http-shard-store.js';
import { openSqliteStore } from '../metadata/sqlite/sqlite-store.js';

const report = (id: string, used = 0, fs: { fsId: string | null; fsFree: number | null } = { fsId: null, fsFree: null }) =>
  ({ id, url: `http://127.0.0.1:1/${id}`, capacity: 1000, used, shards: 0, zone: null, machine: null, ...fs });

test('node directory: heartbeats, down after silence, failures, reservations', async () => {
  const store = openSqliteStore(':memory:');
  let now = 10_000;
  const dir = new NodeDirectory(store.nodes, (url) => new HttpShardStore(url, 'secret-secret'), 5000, () => now);
  await dir.start(60_000);
  try {
    assert.equal(dir.noteHeartbeat(report('a'), now), true, 'a new node is written to the registry');
    assert.equal(dir.noteHeartbeat(report('b'), now), true);
    now += 1000;
    assert.equal(dir.noteHeartbeat(report('a', 50), now), false, 'an unchanged node is not rewritten every second');
    now += 1000;
    assert.equal(dir.noteHeartbeat(report('a', 60), now), true, 'but at least every two seconds');
    await store.nodes.upsert(report('a', 60), now);
    assert.deepEqual(dir.placementCandidates().map((n) => [n.id, n.used]), [['a', 60], ['b', 0]]);

    dir.reserve('b', 300);
    assert.equal(dir.placementCandidates().find((n) => n.id === 'b')!.used, 300, 'placements count before the node reports them');

    dir.markFailed('a');
    assert.equal(dir.isUp('a'), false, 'a node that refused a connection is out of use');
    now += 10;
    dir.noteHeartbeat(report('a', 60), now);
    assert.equal(dir.isUp('a'), true, 'until its next heartbeat');

    now += 6000;
    dir.noteHeartbeat(report('a', 60), now);
    assert.deepEqual(dir.list().map((n) => [n.id, n.state]), [['a', 'up'], ['b', 'down']], 'b fell silent');
    await dir.refresh();
    assert.equal(dir.isUp('a'), true, 'a refresh from the registry keeps the newer heartbeat seen here');
  } finally {
    await dir.close();
    await store.close();
  }
});

test('node directory: nodes on one file system share its free space in placement and listings', async () => {
  const store = openSqliteStore(':memory:');
  const dir = new NodeDirectory(store.nodes, (url) => new HttpShardStore(url, 'secret-secret'), 5000);
  await dir.start(60_000);
  try {
    // Three nodes on one disk with 300 bytes free, one on a disk of its own.
    for (const id of ['a', 'b', 'c']) dir.noteHeartbeat(report(id, 100, { fsId: 'host:1', fsFree: 300 }), Date.now());
    dir.noteHeartbeat(report('d', 100, { fsId: 'host:2', fsFree: 300 }), Date.now());
    const capacity = (list: { id: string; capacity: number }[]) => Object.fromEntries(list.map((n) => [n.id, n.capacity]));
    assert.deepEqual(capacity(dir.list()), { a: 200, b: 200, c: 200, d: 400 });
    assert.deepEqual(capacity(dir.placementCandidates()), { a: 200, b: 200, c: 200, d: 400 });
  } finally {
    await dir.close();
    await store.close();
  }
});
