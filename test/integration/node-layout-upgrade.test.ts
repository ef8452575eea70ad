import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalCluster } from '../helpers/local-cluster.js';
import { listShardFiles, shardFilePath } from '../../src/storage-node/shard-layout.js';

interface ShardMap { parts: { shards: { index: number; node: string; shardId: string }[] }[] }

describe('a node upgraded from the split shard layout', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8);
  });
  after(() => cluster.stop());

  test('moves its shard files at start and serves them: an object reads exact with two other holders dead', async () => {
    const data = randomBytes(5_000_000);
    assert.equal((await fetch(`${cluster.url}/upgrade/one`, { method: 'POST', body: data })).status, 201);
    const shards = ((await (await cluster.admin('/_objects/upgrade/one')).json()) as ShardMap).parts[0]!.shards;
    const nodeIndex = (id: string) => cluster.state.nodes.findIndex((n) => n.id === id);
    const upgraded = nodeIndex(shards[0]!.node);
    const dir = join(cluster.state.nodes[upgraded]!.dir, 'shards');

    // Stopped, its files put where a node of the earlier version kept them: the id split at the dashes.
    cluster.killNode(upgraded);
    await cluster.nodeGone(upgraded);
    const legacy = [];
    for await (const { id, path } of listShardFiles(dir)) legacy.push({ id, path });
    assert.ok(legacy.some((s) => s.id === shards[0]!.shardId));
    for (const { id, path } of legacy) {
      const old = join(dir, ...id.split('-'));
      mkdirSync(dirname(old), { recursive: true });
      renameSync(path, old);
    }
    await cluster.restartNode(upgraded);
    for (const { id } of legacy) {
      assert.equal(existsSync(join(dir, ...id.split('-'))), false, `shard ${id} left the split layout`);
      assert.equal(existsSync(shardFilePath(dir, id)), true, `shard ${id} is in its fan-out directory`);
    }

    // With two other holders gone, six shards are left and the upgraded node's is one of them.
    const others = shards.filter((s) => s.node !== shards[0]!.node).slice(0, 2);
    for (const s of others) {
      cluster.killNode(nodeIndex(s.node));
      await cluster.nodeGone(nodeIndex(s.node));
    }
    const res = await fetch(`${cluster.url}/upgrade/one`);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data));
  });
});
