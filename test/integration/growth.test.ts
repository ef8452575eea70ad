import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';

describe('a node joins a running cluster', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8, ['--node-capacity', String(2 ** 30)]);
  });
  after(() => cluster.stop());

  test('it registers without a restart and takes more than a uniform share of new shards', async () => {
    for (let i = 0; i < 20; i++) {
      assert.equal((await fetch(`${cluster.url}/first/${i}`, { method: 'POST', body: randomBytes(100_000 + i * 10_000) })).status, 201);
    }
    const joined = await cluster.addNode(2 ** 30);
    await waitUntil(async () => (await cluster.nodes()).some((n) => n.id === joined && n.state === 'up'), 20_000, 'the new node to be up');
    for (let i = 0; i < 20; i++) {
      assert.equal((await fetch(`${cluster.url}/second/${i}`, { method: 'POST', body: randomBytes(100_000 + i * 10_000) })).status, 201);
    }
    const nodes = await cluster.nodes();
    assert.equal(nodes.length, 9);
    const fresh = nodes.find((n) => n.id === joined)!;
    // Uniform placement of 8 shards over 9 nodes would give it ~18 of the 20 objects; it should get them all.
    assert.equal(fresh.shards, 20);
    for (let i = 0; i < 20; i += 5) assert.equal((await fetch(`${cluster.url}/first/${i}`)).status, 200);
  });
});
