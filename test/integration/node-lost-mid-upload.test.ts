import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';

interface ShardMap { parts: { shards: { index: number; node: string }[] }[] }

test('a node killed mid-upload costs the object one shard, not its upload; the repairer completes it', async () => {
  const cluster = await LocalCluster.start(8, ['--gc-interval', '0']);
  try {
    const data = randomBytes(48 * 1024 * 1024);
    // A client that sends its body over about two seconds, so a node can die while the shards stream.
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= data.length) return controller.close();
        const chunk = data.subarray(sent, sent + 1024 * 1024);
        sent += chunk.length;
        await new Promise((r) => setTimeout(r, 40));
        controller.enqueue(chunk);
      },
    });
    const upload = fetch(`${cluster.url}/lost/big.bin`, { method: 'POST', body, duplex: 'half', headers: { 'content-length': String(data.length) } } as RequestInit);
    // Well into the upload, with most of it still to come, a node dies.
    await waitUntil(() => sent >= 12 * 1024 * 1024, 20_000, 'the first 12 MiB of the body sent');
    const victim = 3;
    cluster.killNode(victim);
    const res = await upload;
    assert.equal(res.status, 201, await res.clone().text());

    const shards = ((await (await cluster.admin('/_objects/lost/big.bin')).json()) as ShardMap).parts[0]!.shards;
    assert.equal(shards.length, 7, 'stored without the dead node\'s shard');
    assert.ok(!shards.some((s) => s.node === cluster.state.nodes[victim]!.id));
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/lost/big.bin`)).arrayBuffer()).equals(data), 'reads exact');

    // The node comes back (empty of this part): the repairer rebuilds the missing shard onto it.
    await cluster.restartNode(victim);
    await waitUntil(async () => (await cluster.nodes()).every((n) => n.state === 'up'), 15_000, 'all nodes up');
    const pass = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as { shardsRebuilt: number };
    assert.equal(pass.shardsRebuilt, 1);
    const repaired = ((await (await cluster.admin('/_objects/lost/big.bin')).json()) as ShardMap).parts[0]!.shards;
    assert.deepEqual(repaired.map((s) => s.index), [0, 1, 2, 3, 4, 5, 6, 7]);
    // Two other nodes die: the rebuilt shard is real.
    for (const s of repaired.filter((s) => s.node !== cluster.state.nodes[victim]!.id).slice(0, 2)) {
      cluster.killNode(cluster.state.nodes.findIndex((n) => n.id === s.node));
    }
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/lost/big.bin`)).arrayBuffer()).equals(data), 'exact with two more nodes gone');
  } finally {
    await cluster.stop();
  }
});
