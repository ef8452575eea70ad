import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { pause, waitFor } from '../helpers/wait.js';
import { newShardId } from '../../src/core/ids.js';

const GRACE_S = 2;
interface Summary { purged: number; purgesPending: number; intentsCleared: number; orphanShards: number; tempFiles: number; nodesSkipped: string[] }

describe('the cleaner removes exactly what is abandoned (grace 2 s)', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8, ['--gc-grace', String(GRACE_S), '--gc-interval', '0']);
  });
  after(() => cluster.stop());

  const gc = async () => (await (await cluster.admin('/_gc', { method: 'POST' })).json()) as Summary;
  const nodeAuth = () => ({ authorization: `Bearer ${cluster.state.nodeSecret}` });
  const shardOnNode = async (nodeUrl: string, id: string) => (await fetch(`${nodeUrl}/v1/shards/${id}`, { method: 'HEAD', headers: nodeAuth() })).status;
  const db = () => new Database(join(cluster.dir, 'meta.db'), { readonly: true });

  test('a shard no metadata references is removed after the grace, not before', async () => {
    const node = cluster.state.nodes[3]!;
    const id = newShardId();
    const put = await fetch(`${node.url}/v1/shards/${id}`, { method: 'PUT', body: randomBytes(5000), headers: nodeAuth() });
    assert.equal(put.status, 201);
    const kept = randomBytes(300_000);
    assert.equal((await fetch(`${cluster.url}/kept/object.bin`, { method: 'POST', body: kept })).status, 201);

    assert.equal((await gc()).orphanShards, 0);
    assert.equal(await shardOnNode(node.url, id), 200, 'younger than the grace: kept');
    // Passes until one finds the shard older than the grace (the node measures age in whole seconds).
    const started = Date.now();
    await waitFor(async () => (await gc()).orphanShards >= 1 || undefined, 'a pass to remove the orphan');
    assert.ok(Date.now() - started >= (GRACE_S - 1) * 1000, 'not before the grace');
    assert.equal(await shardOnNode(node.url, id), 404, 'older than the grace: removed');
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/kept/object.bin`)).arrayBuffer()).equals(kept), 'committed objects untouched');
  });

  test('a temp file left on a node is removed after the grace', async () => {
    const node = cluster.state.nodes[5]!;
    const tmp = join(node.dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const stale = join(tmp, 'left-by-a-crash');
    const fresh = join(tmp, 'still-being-written');
    writeFileSync(stale, randomBytes(1000));
    writeFileSync(fresh, randomBytes(1000));
    const old = new Date(Date.now() - 60_000);
    utimesSync(stale, old, old);
    const summary = await gc();
    assert.ok(summary.tempFiles >= 1);
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(fresh), true);
  });

  test('an upload intent left by a killed gateway is cleared after the grace, with its shards', async () => {
    // An upload in progress when the gateway dies: its intent stays in the metadata.
    const { hostname, port } = new URL(cluster.url);
    const req = request({ hostname, port, path: '/crashed/upload.bin', method: 'POST', headers: { 'content-length': '40000000' } });
    req.on('error', () => undefined);
    req.write(randomBytes(4_000_000));
    const intents = () => {
      const d = db();
      const rows = d.prepare('SELECT id, shards FROM upload_intents').all() as { id: string; shards: string }[];
      d.close();
      return rows.map((r) => ({ id: r.id, shards: JSON.parse(r.shards) as { nodeId: string; shardId: string }[] }));
    };
    await waitUntil(async () => intents().length === 1, 10_000, 'the upload intent');
    await cluster.restartGateway();
    req.destroy();
    const [intent] = intents();
    assert.ok(intent, 'the killed gateway left its intent behind');
    // Make it the worst case: one shard had already reached its final place on a node.
    const first = intent.shards[0]!;
    const node = cluster.state.nodes.find((n) => n.id === first.nodeId)!;
    assert.equal((await fetch(`${node.url}/v1/shards/${first.shardId}`, { method: 'PUT', body: randomBytes(1000), headers: nodeAuth() })).status, 201);

    assert.equal((await gc()).intentsCleared, 0, 'younger than the grace: kept');
    assert.equal(intents().length, 1);
    const summary = await waitFor(async () => {
      const pass = await gc();
      return pass.intentsCleared > 0 ? pass : undefined;
    }, 'a pass past the grace to clear the abandoned intent');
    assert.equal(summary.intentsCleared, 1);
    assert.equal(intents().length, 0);
    assert.equal(await shardOnNode(node.url, first.shardId), 404);
    assert.equal((await fetch(`${cluster.url}/crashed/upload.bin`)).status, 404);
  });

  test('passes running during uploads delete nothing that is committed or in progress', async () => {
    const uploads = new Map<string, Buffer>();
    let stop = false;
    const passes = (async () => {
      let n = 0;
      while (!stop) {
        await gc();
        n++;
        await pause(100);
      }
      return n;
    })();
    // Slow uploads that last longer than the grace, and many quick ones, at once.
    const slow = Array.from({ length: 3 }, async (_, i) => {
      const data = randomBytes(3_000_000);
      const key = `race/slow-${i}`;
      uploads.set(key, data);
      const body = new ReadableStream({
        async pull(controller) {
          const sent = (this as unknown as { sent?: number }).sent ?? 0;
          if (sent >= data.length) return controller.close();
          await pause(200);
          controller.enqueue(data.subarray(sent, sent + 300_000));
          (this as unknown as { sent?: number }).sent = sent + 300_000;
        },
      });
      const res = await fetch(`${cluster.url}/${key}`, { method: 'POST', body, duplex: 'half' } as RequestInit);
      assert.equal(res.status, 201, `${key}: ${await res.text()}`);
    });
    const quick = (async () => {
      for (let i = 0; i < 30; i++) {
        const data = randomBytes(10_000 + i * 5000);
        uploads.set(`race/quick-${i}`, data);
        assert.equal((await fetch(`${cluster.url}/race/quick-${i}`, { method: 'POST', body: data })).status, 201);
      }
    })();
    await Promise.all([...slow, quick]);
    stop = true;
    assert.ok((await passes) > 3, 'passes ran during the uploads');

    for (const [key, data] of uploads) {
      assert.ok(Buffer.from(await (await fetch(`${cluster.url}/${key}`)).arrayBuffer()).equals(data), `${key} reads back exact`);
    }
    // Once the grace has passed, cleaner passes leave exactly the referenced shards on the nodes.
    const d = db();
    const referenced = new Set((d.prepare('SELECT shard_id FROM shards s JOIN objects o ON o.id = s.object_id WHERE o.deleted_at IS NULL').all() as { shard_id: string }[]).map((r) => r.shard_id));
    d.close();
    const shardsOnNodes = async () => {
      const ids: string[] = [];
      for (const node of cluster.state.nodes) {
        const text = await (await fetch(`${node.url}/v1/shards`, { headers: nodeAuth() })).text();
        for (const line of text.split('\n').filter(Boolean)) ids.push((JSON.parse(line) as { id: string }).id);
      }
      return ids;
    };
    const onNodes = await waitFor(async () => {
      await gc();
      const ids = await shardsOnNodes();
      return ids.length === referenced.size ? ids : undefined;
    }, 'passes past the grace to leave only the referenced shards');
    assert.deepEqual(onNodes.filter((id) => !referenced.has(id)), [], 'no unreferenced shard remains');
    assert.equal(onNodes.length, referenced.size, 'and no referenced shard is missing');
  });

  test('a purge waits while a node holding a shard is down, and completes when it is back', async () => {
    const res = await fetch(`${cluster.url}/filestore`, { method: 'POST', body: randomBytes(400_000) });
    const file = (await res.json()) as { id: string; owner_key: string; shards: { node: string }[] };
    const index = cluster.state.nodes.findIndex((n) => n.id === file.shards[0]!.node);
    cluster.killNode(index);
    await waitUntil(async () => (await cluster.nodes()).some((n) => n.id === file.shards[0]!.node && n.state === 'down'), 15_000, 'the node marked down');
    assert.equal((await fetch(`${cluster.url}/filestore/${file.id}?owner_key=${file.owner_key}`, { method: 'DELETE' })).status, 200);
    const first = await gc();
    assert.equal(first.purgesPending, 1);
    assert.ok(first.nodesSkipped.includes(file.shards[0]!.node));
    const info = async () => (await (await fetch(`${cluster.url}/fileinfo/${file.id}`)).json()) as { date_delete: string | null };
    assert.equal((await info()).date_delete, null, 'not purged while a shard cannot be deleted');
    await cluster.restartNode(index);
    const second = await gc();
    assert.equal(second.purged, 1);
    assert.ok((await info()).date_delete);
  });
});
