import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';

interface ShardMap {
  parts: { shards: { index: number; node: string }[] }[];
}
interface Ready {
  status: string;
  redundancy: { liveNodes: number; shardsPerObject: number; survivesNodeLosses: number };
  message: string;
}

test('a cluster of six nodes (k of 6+2) stores files on six distinct nodes, says it survives no loss, and gets its parity when nodes join', async () => {
  const cluster = await LocalCluster.start(6);
  try {
    assert.match(cluster.startOutput, /redundancy: survives 0 node losses \(6 live nodes for 6\+2/);
    const ready = (await (await fetch(`${cluster.url}/_health/ready`)).json()) as Ready;
    assert.equal(ready.status, 'degraded');
    assert.deepEqual([ready.redundancy.liveNodes, ready.redundancy.shardsPerObject, ready.redundancy.survivesNodeLosses], [6, 6, 0]);

    const data = randomBytes(3_000_000);
    assert.equal((await fetch(`${cluster.url}/six/a.bin`, { method: 'POST', body: data })).status, 201);
    const before = ((await (await cluster.admin('/_objects/six/a.bin')).json()) as ShardMap).parts[0]!.shards;
    assert.deepEqual(before.map((s) => s.index), [0, 1, 2, 3, 4, 5]);
    assert.equal(new Set(before.map((s) => s.node)).size, 6, 'six distinct nodes');
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/six/a.bin`)).arrayBuffer()).equals(data));

    // Two nodes join: the repairer adds the two parity shards, and the cluster now survives two losses.
    await cluster.addNode();
    await cluster.addNode();
    await waitUntil(async () => (await cluster.nodes()).filter((n) => n.state === 'up').length === 8, 15_000, 'eight nodes up');
    const pass = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as { shardsRebuilt: number };
    assert.equal(pass.shardsRebuilt, 2);
    const after = ((await (await cluster.admin('/_objects/six/a.bin')).json()) as ShardMap).parts[0]!.shards;
    assert.deepEqual(after.map((s) => s.index), [0, 1, 2, 3, 4, 5, 6, 7]);
    const full = (await (await fetch(`${cluster.url}/_health/ready`)).json()) as Ready;
    assert.equal(full.status, 'ready');
    assert.equal(full.redundancy.survivesNodeLosses, 2);

    // The parity is real: two of the original data shards' nodes die and the file still reads exact.
    for (const shard of after.slice(0, 2)) cluster.killNode(cluster.state.nodes.findIndex((n) => n.id === shard.node));
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/six/a.bin`)).arrayBuffer()).equals(data));
  } finally {
    await cluster.stop();
  }
});
