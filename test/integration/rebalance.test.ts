import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';

interface Status { running: boolean; progress: unknown; last: { summary?: { moves: number; spreadAfter: number; stopped: string } } | null }

describe('rebalancing after nodes join', () => {
  let cluster: LocalCluster;
  const GiB = 1024 ** 3;
  before(async () => {
    cluster = await LocalCluster.start(8, ['--node-capacity', String(GiB), '--gc-interval', '0']);
  });
  after(() => cluster.stop());

  const spread = async () => {
    const fills = (await cluster.nodes()).filter((n) => n.state === 'up').map((n) => n.used / n.capacity);
    const mean = fills.reduce((a, b) => a + b, 0) / fills.length;
    return (Math.max(...fills) - Math.min(...fills)) / mean;
  };

  test('moves shards onto new nodes until the fill spread is small, while reads go on', async () => {
    const objects = new Map<string, Buffer>();
    for (let i = 0; i < 24; i++) {
      const data = randomBytes(200_000 + i * 150_000);
      objects.set(`bal/${i}`, data);
      assert.equal((await fetch(`${cluster.url}/bal/${i}`, { method: 'POST', body: data })).status, 201);
    }
    const big = randomBytes(30_000_000);
    assert.equal((await fetch(`${cluster.url}/bal/big`, { method: 'POST', body: big })).status, 201);
    for (let i = 0; i < 4; i++) await cluster.addNode(GiB);
    await waitUntil(async () => (await cluster.nodes()).filter((n) => n.state === 'up').length === 12, 20_000, '12 nodes');
    assert.ok((await spread()) > 0.5, 'four empty nodes');
    const activity = async () => {
      const res = await cluster.admin('/_nodes');
      return ((await res.json()) as { nodes: { id: string; activity: string | null }[] }).nodes;
    };
    const oldIds = new Set(cluster.state.nodes.map((n) => n.id));
    const before = await activity();
    assert.deepEqual(
      before.filter((n) => n.activity === 'joining').map((n) => n.id).sort(),
      before.filter((n) => !oldIds.has(n.id)).map((n) => n.id).sort(),
      'the four new nodes, and only they, are joining',
    );

    // A download that started before the moves: it holds its streams open and takes them slowly.
    const response = await new Promise<IncomingMessage>((resolve, reject) => request(`${cluster.url}/bal/big`, resolve).on('error', reject).end());
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) =>
      response.once('data', (chunk: Buffer) => {
        response.pause();
        chunks.push(chunk);
        resolve();
      }),
    );

    const shardIds = async () =>
      ((await (await cluster.admin('/_objects/bal/big')).json()) as { parts: { shards: { shardId: string }[] }[] }).parts[0]!.shards.map((s) => s.shardId);
    const bigBefore = await shardIds();
    const started = await cluster.admin('/_rebalance', { method: 'POST' });
    assert.equal(started.status, 202);
    let sawRebalancing = false;
    await waitUntil(async () => {
      sawRebalancing ||= (await activity()).some((n) => n.activity === 'rebalancing');
      return !((await (await cluster.admin('/_rebalance')).json()) as Status).running;
    }, 120_000, 'the rebalance pass');
    assert.ok(sawRebalancing, 'nodes showed as rebalancing during the pass');
    assert.ok((await activity()).every((n) => n.activity === null), 'balanced: nobody joining or rebalancing');
    const status = (await (await cluster.admin('/_rebalance')).json()) as Status;
    assert.equal(status.last!.summary!.stopped, 'balanced', JSON.stringify(status));
    assert.ok(status.last!.summary!.moves > 0);
    const after = await spread();
    assert.ok(after <= 0.1, `spread ${after}`);

    const moved = (await shardIds()).filter((id) => !bigBefore.includes(id)).length;
    assert.ok(moved > 0, 'the largest shards (those of the object being downloaded) moved');
    response.on('data', (c: Buffer) => chunks.push(c));
    response.resume();
    await new Promise((r) => response.once('end', r));
    assert.ok(Buffer.concat(chunks).equals(big), 'the download that spanned the moves is exact');
    for (const [key, data] of objects) {
      assert.ok(Buffer.from(await (await fetch(`${cluster.url}/${key}`)).arrayBuffer()).equals(data), key);
    }
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/bal/big`)).arrayBuffer()).equals(big));
  });
});

describe('a spread that placement cannot lower', () => {
  let cluster: LocalCluster;
  const GiB = 1024 ** 3;
  before(async () => {
    cluster = await LocalCluster.start(8, ['--node-capacity', String(GiB), '--gc-interval', '0']);
  });
  after(() => cluster.stop());

  interface Listing { balance: { spread: number; limitedBy: string | null }; nodes: { id: string; activity: string | null }[] }
  const listing = async () => (await (await cluster.admin('/_nodes')).json()) as Listing;

  test('one large object and a new node: the rebalancer says why it stops, and the node stops "joining"', async () => {
    assert.equal((await fetch(`${cluster.url}/few/one`, { method: 'POST', body: randomBytes(12_000_000) })).status, 201);
    const added = await cluster.addNode(GiB);
    await waitUntil(async () => (await listing()).nodes.some((n) => n.id === added && n.activity === 'joining'), 20_000, 'the new node joining');
    const before = await listing();
    assert.ok(before.balance.spread > 1, `one empty node of nine: spread ${before.balance.spread}`);
    assert.equal(before.balance.limitedBy, null);

    assert.equal((await cluster.admin('/_rebalance', { method: 'POST' })).status, 202);
    await waitUntil(async () => !((await (await cluster.admin('/_rebalance')).json()) as Status).running, 60_000, 'the rebalance pass');
    const { last } = (await (await cluster.admin('/_rebalance')).json()) as { last: { summary: { stopped: string; moves: number; reason?: string } } };
    assert.equal(last.summary.stopped, 'no-move');
    assert.equal(last.summary.moves, 0, 'each 2 MB shard would overshoot: the empty node would only trade places');
    assert.match(last.summary.reason!, /already hold a shard of every part/);

    const after = await listing();
    assert.match(after.balance.limitedBy!, /already hold a shard of every part/);
    assert.ok(after.nodes.every((n) => n.activity === null), 'nobody is "joining" forever');
  });
});
