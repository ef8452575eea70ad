import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { shardFilePath } from '../../src/storage-node/shard-layout.js';

interface ShardMap { parts: { shards: { index: number; node: string; shardId: string }[] }[] }
interface RepairSummary { lostNodes: string[]; shardsRebuilt: number; unrecoverable: number; deferred: number }

describe('repair: damaged shards and lost nodes are rebuilt elsewhere', () => {
  let cluster: LocalCluster;
  // 10 nodes: an object's 8 shards leave two spares to rebuild onto.
  before(async () => {
    cluster = await LocalCluster.start(10);
  });
  after(() => cluster.stop());

  const shardMap = async (key: string) => ((await (await cluster.admin(`/_objects/${key}`)).json()) as ShardMap).parts[0]!.shards;
  const shardFile = (s: { node: string; shardId: string }) =>
    shardFilePath(join(cluster.state.nodes.find((n) => n.id === s.node)!.dir, 'shards'), s.shardId);
  const nodeIndex = (id: string) => cluster.state.nodes.findIndex((n) => n.id === id);
  const read = async (key: string) => Buffer.from(await (await fetch(`${cluster.url}/${key}`)).arrayBuffer());
  const repair = async () => (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as RepairSummary;

  test('a rotten shard found by a read is rebuilt, so the object then survives two dead nodes', async () => {
    const data = randomBytes(4_000_000);
    assert.equal((await fetch(`${cluster.url}/rot/one`, { method: 'POST', body: data })).status, 201);
    const before = await shardMap('rot/one');
    const fd = openSync(shardFile(before[0]!), 'r+');
    writeSync(fd, Buffer.from('BITROT-BITROT'), 0, 13, 300_000);
    closeSync(fd);
    assert.ok((await read('rot/one')).equals(data), 'the read rebuilds the rotten block from parity');
    // The damage report is written just after the read answered.
    const summary = await waitFor(async () => {
      const pass = await repair();
      return pass.shardsRebuilt > 0 ? pass : undefined;
    }, 'a repair pass to see the damage the read reported');
    assert.equal(summary.shardsRebuilt, 1);
    const after = await shardMap('rot/one');
    assert.notEqual(after[0]!.shardId, before[0]!.shardId, 'shard 0 is a new file');
    assert.deepEqual(after.slice(1), before.slice(1), 'the other shards are untouched');
    assert.equal(new Set(after.map((s) => s.node)).size, 8, 'still 8 distinct nodes');
    assert.equal((await repair()).shardsRebuilt, 0, 'nothing left to repair');

    cluster.killNode(nodeIndex(after[1]!.node));
    cluster.killNode(nodeIndex(after[2]!.node));
    assert.ok((await read('rot/one')).equals(data), 'needs the repaired shard 0');
  });

  test('shards of dead nodes and of a deleted file are rebuilt on live nodes holding no other shard', async () => {
    const data = randomBytes(3_000_000);
    assert.equal((await fetch(`${cluster.url}/lost/one`, { method: 'POST', body: data })).status, 201);
    const before = await shardMap('lost/one');
    // The first test left 8 live nodes: this object is on all of them. Lose a file, then read.
    rmSync(shardFile(before[3]!));
    assert.ok((await read('lost/one')).equals(data));
    const summary = await waitFor(async () => {
      const pass = await repair();
      return pass.shardsRebuilt > 0 ? pass : undefined;
    }, 'a repair pass to see the missing file the read reported');
    assert.ok(summary.lostNodes.length >= 2, 'the nodes killed earlier count as lost');
    assert.equal(summary.unrecoverable, 0);
    const after = await shardMap('lost/one');
    assert.notEqual(after[3]!.shardId, before[3]!.shardId, 'the missing file was rebuilt');

    // Two nodes join and two holders die; a repair moves the lost shards onto the newcomers, the only
    // live nodes without a shard of this object.
    const joined = [await cluster.addNode(), await cluster.addNode()];
    await waitUntil(async () => (await cluster.nodes()).filter((n) => joined.includes(n.id) && n.state === 'up').length === 2, 20_000, 'two new nodes');
    const victims = [after[4]!.node, after[5]!.node];
    for (const v of victims) cluster.killNode(nodeIndex(v));
    for (const v of victims) await cluster.nodeGone(nodeIndex(v));
    const second = await repair();
    assert.ok(victims.every((v) => second.lostNodes.includes(v)), 'POST /_repair treats nodes down now as lost');
    const healed = await shardMap('lost/one');
    assert.ok(healed.every((s) => !victims.includes(s.node)), 'no shard left on a dead node');
    assert.deepEqual(healed.filter((s) => joined.includes(s.node)).map((s) => s.index).sort(), [4, 5]);
    assert.equal(new Set(healed.map((s) => s.node)).size, 8);
    assert.ok((await read('lost/one')).equals(data));
  });

  test('GET /_repair tells how the last pass ended; other methods are refused after the token check', async () => {
    const status = (await (await cluster.admin('/_repair')).json()) as { job: string; running: boolean; last: { summary: RepairSummary } };
    assert.equal(status.job, 'repair');
    assert.equal(status.running, false);
    assert.ok(status.last.summary.lostNodes.length >= 4);
    assert.equal((await fetch(`${cluster.url}/_repair`, { method: 'DELETE' })).status, 401);
    const refused = await cluster.admin('/_repair', { method: 'DELETE' });
    assert.equal(refused.status, 405);
    assert.equal(refused.headers.get('allow'), 'GET, POST');
  });

  test('the scrubber finds rot that no read has touched, and the repairer fixes it', async () => {
    const data = randomBytes(2_000_000);
    assert.equal((await fetch(`${cluster.url}/scrub/one`, { method: 'POST', body: data })).status, 201);
    const before = await shardMap('scrub/one');
    const fd = openSync(shardFile(before[7]!), 'r+'); // a parity shard: reads never touch it
    writeSync(fd, Buffer.from('ROT'), 0, 3, 1000);
    closeSync(fd);
    const scrub = (await (await cluster.admin('/_scrub', { method: 'POST' })).json()) as { damaged: number; shardsChecked: number; wrapped: boolean };
    assert.equal(scrub.damaged, 1);
    assert.ok(scrub.shardsChecked >= 8);
    assert.equal(scrub.wrapped, true);
    assert.equal((await repair()).shardsRebuilt, 1);
    const after = await shardMap('scrub/one');
    assert.notEqual(after[7]!.shardId, before[7]!.shardId);
    assert.equal(((await (await cluster.admin('/_scrub', { method: 'POST' })).json()) as { damaged: number }).damaged, 0);
  });
});

describe('degraded writes: fewer than k + m live nodes', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8);
  });
  after(() => cluster.stop());

  const shardMap = async (key: string) => ((await (await cluster.admin(`/_objects/${key}`)).json()) as ShardMap).parts[0]!.shards;
  const liveNodes = async () => (await cluster.nodes()).filter((n) => n.state === 'up').length;

  test('with k + 1 live nodes an upload is stored under-replicated and the repairer completes it', async () => {
    cluster.killNode(7);
    await waitUntil(async () => (await liveNodes()) === 7, 15_000, 'the node to be seen down');
    const data = randomBytes(2_500_000);
    assert.equal((await fetch(`${cluster.url}/degraded/a`, { method: 'POST', body: data })).status, 201);
    const partial = await shardMap('degraded/a');
    assert.deepEqual(partial.map((s) => s.index), [0, 1, 2, 3, 4, 5, 6], 'all data shards and one parity shard');
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/degraded/a`)).arrayBuffer()).equals(data));

    const pass = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as RepairSummary;
    assert.equal(pass.deferred, 1, 'no eighth node yet: the repair waits');
    const joined = await cluster.addNode();
    await waitUntil(async () => (await liveNodes()) === 8, 15_000, 'a new node');
    const done = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as RepairSummary;
    assert.equal(done.shardsRebuilt, 1);
    const full = await shardMap('degraded/a');
    assert.deepEqual(full.map((s) => s.index), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(full[7]!.node, joined);
    // The rebuilt parity shard is real: with two data shards' nodes gone the object still reads.
    cluster.killNode(cluster.state.nodes.findIndex((n) => n.id === full[0]!.node));
    cluster.killNode(cluster.state.nodes.findIndex((n) => n.id === full[1]!.node));
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/degraded/a`)).arrayBuffer()).equals(data));
  });

  test('with k live nodes an upload stores its k data shards and says it survives no loss; below k it is refused with 503', async () => {
    await waitUntil(async () => (await liveNodes()) === 6, 15_000, 'three nodes down');
    const ready = await fetch(`${cluster.url}/_health/ready`);
    assert.equal(ready.status, 200);
    const health = (await ready.json()) as { status: string; redundancy: { survivesNodeLosses: number }; message: string };
    assert.equal(health.status, 'degraded');
    assert.equal(health.redundancy.survivesNodeLosses, 0);
    assert.match(health.message, /survives 0 node losses/);
    const data = randomBytes(900_000);
    assert.equal((await fetch(`${cluster.url}/degraded/k`, { method: 'POST', body: data })).status, 201);
    assert.deepEqual((await shardMap('degraded/k')).map((s) => s.index), [0, 1, 2, 3, 4, 5], 'the six data shards, no parity yet');
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/degraded/k`)).arrayBuffer()).equals(data));

    cluster.killNode(cluster.state.nodes.findIndex((n) => isAlive(n.pid)));
    await waitUntil(async () => (await liveNodes()) === 5, 15_000, 'a fourth node down');
    const unready = await fetch(`${cluster.url}/_health/ready`);
    assert.equal(unready.status, 503);
    assert.equal(((await unready.json()) as { status: string }).status, 'unavailable');
    const res = await fetch(`${cluster.url}/degraded/b`, { method: 'POST', body: randomBytes(100_000) });
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { message: string }).message, /need 6 live storage nodes/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
