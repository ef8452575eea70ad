import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, readSync, writeSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { shardFilePath } from '../../src/storage-node/shard-layout.js';

describe('faults on a real cluster: corrupt shards, client aborts, dead nodes', () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await LocalCluster.start(8);
  });
  after(() => cluster.stop());

  const post = (key: string, body: Buffer) => fetch(`${cluster.url}/${key}`, { method: 'POST', body });
  const bytesOf = async (key: string) => Buffer.from(await (await fetch(`${cluster.url}/${key}`)).arrayBuffer());

  /** The node directory and shard id of each shard of an object (shard i at i), read from the metadata file. */
  const shardHomes = (key: string): { dir: string; shardId: string }[] => {
    const db = new Database(join(cluster.dir, 'meta.db'), { readonly: true });
    const rows = db
      .prepare('SELECT s.shard_index, s.node_id, s.shard_id FROM shards s JOIN objects o ON o.id = s.object_id WHERE o.key = ? ORDER BY s.shard_index')
      .all(key) as { node_id: string; shard_id: string }[];
    db.close();
    return rows.map((r) => ({ dir: cluster.state.nodes.find((n) => n.id === r.node_id)!.dir, shardId: r.shard_id }));
  };
  /** Where the shard files of a large object live (path of shard i on its node). */
  const shardPaths = (key: string): string[] => shardHomes(key).map((h) => shardFilePath(join(h.dir, 'shards'), h.shardId));

  test('a corrupted byte in a data shard is caught and rebuilt from parity', async () => {
    const data = randomBytes(5_000_000);
    assert.equal((await post('rot/a.bin', data)).status, 201);
    const paths = shardPaths('rot/a.bin');
    // Flip one byte in the middle of data shard 2 and one in data shard 4, on disk.
    for (const p of [paths[2]!, paths[4]!]) {
      const fd = openSync(p, 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, 1000);
      b[0]! ^= 0xff;
      writeSync(fd, b, 0, 1, 1000);
      closeSync(fd);
    }
    assert.ok((await bytesOf('rot/a.bin')).equals(data), 'exact bytes despite two rotten shards');
    const ranged = await fetch(`${cluster.url}/rot/a.bin`, { headers: { range: 'bytes=100-200' } });
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(100, 201)));
  });

  test('a small object (one stripe, read in one message per shard) with a rotten shard reads exact from parity, whole and by range', async () => {
    const data = randomBytes(4096);
    assert.equal((await post('rot/small.bin', data)).status, 201);
    // Small shards live in their node's volume files: find data shard 1's block there (688 bytes: 4096 / 6,
    // aligned to 8) and flip one byte of it.
    const block = data.subarray(688, 2 * 688);
    const volumes = join(shardHomes('rot/small.bin')[1]!.dir, 'volumes');
    const hits = readdirSync(volumes).flatMap((name) => {
      const file = join(volumes, name);
      const at = readFileSync(file).indexOf(block);
      return at >= 0 ? [{ file, at }] : [];
    });
    assert.equal(hits.length, 1, 'the block is in one volume file');
    const fd = openSync(hits[0]!.file, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, hits[0]!.at + 100);
    b[0]! ^= 0xff;
    writeSync(fd, b, 0, 1, hits[0]!.at + 100);
    closeSync(fd);
    const whole = await fetch(`${cluster.url}/rot/small.bin`);
    assert.equal(whole.status, 200);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(data), 'the rotten block is rebuilt, not served');
    const ranged = await fetch(`${cluster.url}/rot/small.bin`, { headers: { range: 'bytes=700-1400' } });
    assert.equal(ranged.status, 206);
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(700, 1401)));
  });

  test('a client that leaves mid-upload leaves nothing behind', async () => {
    const before = await cluster.nodes();
    await new Promise<void>((resolve) => {
      const req = request(`${cluster.url}/aborted/file.bin`, { method: 'POST', headers: { 'content-length': String(50_000_000) } });
      req.on('error', () => resolve());
      let sent = 0;
      const pump = () => {
        while (sent < 20_000_000) {
          sent += 1_000_000;
          if (!req.write(randomBytes(1_000_000))) return void req.once('drain', pump);
        }
        setTimeout(() => req.destroy(), 300);
      };
      pump();
    });
    const intents = () => {
      const db = new Database(join(cluster.dir, 'meta.db'), { readonly: true });
      const { n } = db.prepare('SELECT count(*) n FROM upload_intents').get() as { n: number };
      db.close();
      return n;
    };
    await waitUntil(
      async () => {
        const now = await cluster.nodes();
        const usageBack = now.every((n) => {
          const b = before.find((x) => x.id === n.id)!;
          return n.shards === b.shards && n.used === b.used;
        });
        return usageBack && intents() === 0;
      },
      15_000,
      'node usage back to where it was and the upload intent cleared',
    );
    assert.equal((await fetch(`${cluster.url}/aborted/file.bin`)).status, 404);
  });

  test('a body shorter than its Content-Length is not stored', async () => {
    const status = await new Promise<number | string>((resolve) => {
      const req = request(`${cluster.url}/short/file.bin`, { method: 'POST', headers: { 'content-length': '2000000' } });
      req.on('response', (res) => resolve(res.statusCode!));
      req.on('error', (e) => resolve(e.message));
      req.write(randomBytes(1_000_000));
      setTimeout(() => req.destroy(), 500);
    });
    assert.notEqual(status, 201);
    assert.equal((await fetch(`${cluster.url}/short/file.bin`)).status, 404);
  });

  test('a hung node (SIGSTOP) costs a read one shard timeout, then parity serves it', async () => {
    const data = randomBytes(6_000_000);
    assert.equal((await post('hung/a.bin', data)).status, 201);
    const map = (await (await cluster.admin('/_objects/hung/a.bin')).json()) as { parts: { shards: { index: number; node: string }[] }[] };
    const holder = cluster.state.nodes.findIndex((n) => n.id === map.parts[0]!.shards[0]!.node);
    cluster.killNode(holder, 'SIGSTOP');
    try {
      const started = Date.now();
      assert.ok((await bytesOf('hung/a.bin')).equals(data), 'exact bytes without the hung node');
      // Not a benchmark: the bound only separates "one 2 s shard timeout" from a read that hangs.
      assert.ok(Date.now() - started < 8000, `read took ${Date.now() - started} ms`);
      const again = Date.now();
      assert.ok((await bytesOf('hung/a.bin')).equals(data));
      assert.ok(Date.now() - again < 2000, 'the hung node is out of use for the next read');
    } finally {
      cluster.killNode(holder, 'SIGCONT');
    }
    await waitUntil(async () => (await cluster.nodes()).every((n) => n.state === 'up'), 15_000, 'the node to heartbeat again');
  });

  test('with m = 2 nodes dead, reads return exact bytes; writes need k live nodes (503 below)', async () => {
    const data = randomBytes(7_000_000);
    assert.equal((await post('degraded/a.bin', data)).status, 201);
    // Downloads abandoned by their client cut their shard reads: that must not take the nodes out of use.
    // (It once did, until each node's next heartbeat; `npm run bench` found it with a cold 1 GiB read cut
    // while its shard reads were pending. Here the reads are warm, so this only guards the sequence.)
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${cluster.url}/degraded/a.bin`, (res) => res.once('data', () => (res.destroy(), resolve())));
        req.on('error', reject);
        req.end();
      });
    }
    cluster.killNode(0);
    cluster.killNode(1);
    assert.ok((await bytesOf('degraded/a.bin')).equals(data), 'degraded read exact');
    const ranged = await fetch(`${cluster.url}/degraded/a.bin`, { headers: { range: 'bytes=3000000-3100000' } });
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(3_000_000, 3_100_001)));
    await waitUntil(async () => (await cluster.nodes()).filter((n) => n.state === 'down').length === 2, 15_000, 'two nodes marked down');
    assert.equal((await post('degraded/six.bin', randomBytes(1000))).status, 201, 'six live nodes still take the six data shards');
    cluster.killNode(2);
    await waitUntil(async () => (await cluster.nodes()).filter((n) => n.state === 'down').length === 3, 15_000, 'three nodes marked down');
    const res = await post('degraded/new.bin', randomBytes(1000));
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: string }).error, 'NOT_ENOUGH_NODES');
    const gone = await fetch(`${cluster.url}/degraded/a.bin`);
    assert.equal(gone.status, 503, 'three shards lost of 6+2: a clear error, not wrong bytes');
  });
});
