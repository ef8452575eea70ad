import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, readSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster } from '../helpers/local-cluster.js';
import { shardFilePath } from '../../src/storage-node/shard-layout.js';

interface ShardMap { parts: { shards: { index: number; node: string; shardId: string }[] }[] }
interface RepairSummary { lostNodes: string[]; shardsRebuilt: number; bytesRebuilt: number; shardsRebuiltOnNodes: number; unrecoverable: number; deferred: number }

/** The gateway's own count of shard bytes it read from and wrote to nodes, from its /metrics. */
async function shardTraffic(cluster: LocalCluster): Promise<number> {
  const text = await (await cluster.admin('/_metrics')).text();
  const values = [...text.matchAll(/^shardstore_shard_traffic_bytes_total\{[^}]*direction="(read|written)"[^}]*\} (\d+)/gm)].map((m) => Number(m[2]));
  assert.equal(values.length, 2, 'both directions are exported');
  return values[0]! + values[1]!;
}

test('a lost node is rebuilt by the nodes: the gateway moves almost none of the bytes, and every object reads exact', async () => {
  const cluster = await LocalCluster.start(10);
  try {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const body = randomBytes(i % 4 === 0 ? 20_000 : 2_000_000 + i * 77_777);
      bodies.set(`rn/${i}.bin`, body);
      assert.equal((await fetch(`${cluster.url}/rn/${i}.bin`, { method: 'POST', body })).status, 201);
    }
    const before = await shardTraffic(cluster);
    const dead = cluster.state.nodes[3]!;
    // Placement decides how many shards the lost node holds (about 12 × 8 / 10): count them.
    let held = 0;
    for (const key of bodies.keys()) {
      const map = (await (await cluster.admin(`/_objects/${key}`)).json()) as ShardMap;
      held += map.parts[0]!.shards.filter((s) => s.node === dead.id).length;
    }
    assert.ok(held > 0, 'the lost node holds shards');
    cluster.killNode(3);
    await cluster.nodeGone(3);
    const summary = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as RepairSummary;
    assert.deepEqual(summary.lostNodes, [dead.id]);
    assert.deepEqual([summary.unrecoverable, summary.deferred], [0, 0], JSON.stringify(summary));
    assert.equal(summary.shardsRebuilt, held, 'every shard the lost node held was rebuilt');
    assert.equal(summary.shardsRebuiltOnNodes, summary.shardsRebuilt, 'every shard was rebuilt by its new node');
    const moved = (await shardTraffic(cluster)) - before;
    assert.ok(moved < summary.bytesRebuilt / 10, `the gateway moved ${moved} bytes for ${summary.bytesRebuilt} rebuilt`);
    for (const [key, body] of bodies) {
      const map = (await (await cluster.admin(`/_objects/${key}`)).json()) as ShardMap;
      assert.ok(!map.parts.some((p) => p.shards.some((s) => s.node === dead.id)), `${key} keeps no shard on the lost node`);
      assert.equal(map.parts[0]!.shards.length, 8);
      const res = await fetch(`${cluster.url}/${key}`);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(body), `${key} exact after the repair`);
    }

    // A corrupt source shard fails the node's rebuild (its checksum does not match): the gateway then rebuilds
    // the shard itself from the other shards, and the object is still whole.
    const key = 'rn/1.bin';
    const map = (await (await cluster.admin(`/_objects/${key}`)).json()) as ShardMap;
    const byIndex = new Map(map.parts[0]!.shards.map((s) => [s.index, s]));
    const nodeDir = (id: string) => cluster.state.nodes.find((n) => n.id === id)!.dir;
    // Data shard 0 is the first source every rebuild of this part tries; its first block gets one flipped byte.
    const source = byIndex.get(0)!;
    const file = openSync(shardFilePath(join(nodeDir(source.node), 'shards'), source.shardId), 'r+');
    const byte = Buffer.alloc(1);
    readSync(file, byte, 0, 1, 1000);
    byte[0] = byte[0]! ^ 0xff;
    writeSync(file, byte, 0, 1, 1000);
    closeSync(file);
    const victimIndex = [...byIndex.keys()].find((i) => i !== 0 && cluster.state.nodes.findIndex((n) => n.id === byIndex.get(i)!.node) >= 0)!;
    const victimNode = cluster.state.nodes.findIndex((n) => n.id === byIndex.get(victimIndex)!.node);
    cluster.killNode(victimNode);
    await cluster.nodeGone(victimNode);
    const second = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as RepairSummary;
    assert.equal(second.unrecoverable, 0, JSON.stringify(second));
    assert.ok(second.shardsRebuilt > second.shardsRebuiltOnNodes, `the corrupt part went through the gateway: ${JSON.stringify(second)}`);
    const res = await fetch(`${cluster.url}/${key}`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bodies.get(key)!), `${key} exact after a repair around a corrupt source`);
  } finally {
    await cluster.stop();
  }
});
