import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LocalCluster } from '../helpers/local-cluster.js';

test('a cluster started again on the same directory keeps its data, node ids and secrets', async () => {
  const first = await LocalCluster.start(8);
  const data = randomBytes(2_000_000);
  assert.equal((await fetch(`${first.url}/kept/a.bin`, { method: 'POST', body: data })).status, 201);
  const ids = first.state.nodes.map((n) => n.id);
  await first.stop(true);
  for (const n of first.state.nodes) assert.throws(() => process.kill(n.pid, 0), 'every child stopped with the cluster');

  const second = await LocalCluster.start(8, [], first.dir);
  try {
    assert.deepEqual(second.state.nodes.map((n) => n.id), ids);
    assert.equal(second.state.adminToken, first.state.adminToken);
    assert.equal(second.state.nodeSecret, first.state.nodeSecret);
    const nodes = await second.nodes();
    assert.equal(nodes.length, 8, 'the same 8 nodes, not 16');
    assert.ok(Buffer.from(await (await fetch(`${second.url}/kept/a.bin`)).arrayBuffer()).equals(data));
  } finally {
    await second.stop();
  }
});
