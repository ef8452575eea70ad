import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster } from '../helpers/local-cluster.js';

/**
 * Small shards are group-committed into volume files (decision 0007). Every node is killed with SIGKILL the
 * moment the last upload is acknowledged; after a restart each object must still be readable with any two
 * nodes down — that is, every one of its shards, on every node, outlived the kill.
 */
describe('small shards in volumes: durable once acknowledged', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8, ['--gc-interval', '0']);
  });
  after(() => cluster.stop());

  test('kill -9 of every node right after the acknowledgements loses nothing', async () => {
    // 4 KiB objects and a few up to 300 KB (shards up to ~50 KiB, still volume records), uploaded together so
    // their shards share group commits.
    const sizes = [...Array.from({ length: 48 }, () => 4096), 1, 1000, 100_000, 300_000];
    const objects = sizes.map((size, i) => ({ key: `durable/${i}`, data: randomBytes(size) }));
    const statuses = await Promise.all(
      objects.map(async ({ key, data }) => (await fetch(`${cluster.url}/${key}`, { method: 'POST', body: data })).status),
    );
    assert.deepEqual(new Set(statuses), new Set([201]));
    for (let i = 0; i < 8; i++) cluster.killNode(i);

    for (const node of cluster.state.nodes) {
      assert.ok(readdirSync(join(node.dir, 'volumes')).some((name) => name.endsWith('.vol')), `${node.dir} has volume files`);
      assert.deepEqual(readdirSync(join(node.dir, 'shards')), [], 'no small shard became a file of its own');
    }
    for (let i = 0; i < 8; i++) await cluster.restartNode(i);

    // With two nodes down every read needs all six others; two different pairs cover all eight nodes.
    for (const pair of [[0, 1], [6, 7]] as const) {
      for (const i of pair) cluster.killNode(i);
      for (const { key, data } of objects) {
        const res = await fetch(`${cluster.url}/${key}`);
        assert.equal(res.status, 200, `${key} with nodes ${pair.join(' and ')} down`);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(data), `${key} exact with nodes ${pair.join(' and ')} down`);
      }
      for (const i of pair) await cluster.restartNode(i);
    }
  });
});
