import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { ShardExistsError, ShardFiles, ShardMissingError, SMALL_SHARD_BYTES } from './shard-files.js';
import { newShardId } from '../core/ids.js';
import { shardFilePath } from './shard-layout.js';

const fresh = async () => {
  const root = mkdtempSync(join(tmpdir(), 'shardstore-node-'));
  const files = new ShardFiles(root);
  await files.init();
  return { root, files };
};

test('a shard is stored in the fan-out directory of its last two hex digits, and counted', async () => {
  const { root, files } = await fresh();
  const id = newShardId();
  const data = randomBytes(100_000);
  assert.equal(await files.write(id, Readable.from([data.subarray(0, 3), data.subarray(3)])), data.length);
  const path = shardFilePath(join(root, 'shards'), id);
  assert.equal(path, join(root, 'shards', id.slice(-2), id));
  assert.ok((await readFile(path)).equals(data));
  assert.equal(files.used, data.length);
  assert.equal(files.count, 1);
  assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'no temp file left');
  await assert.rejects(files.write(id, Readable.from([data])), ShardExistsError);
  // Read and closed: the file stays open in the node's cache, which the delete below must empty.
  const earlier = await files.openForRead(id);
  assert.ok((await earlier.read(0, 5)).equals(data.subarray(0, 5)));
  await earlier.close();
  const reader = await files.openForRead(id);
  assert.equal(reader.size, data.length);
  // An open shard keeps its bytes even if it is deleted meanwhile (a move by the rebalancer).
  assert.equal(await files.delete(id), true);
  const part = await reader.read(10, 10);
  await reader.close();
  assert.ok(part.equals(data.subarray(10, 20)));
  await assert.rejects(files.openForRead(id), ShardMissingError);
  await files.close();
  rmSync(root, { recursive: true });
});

test('a shard larger than the write-behind step is flushed as it streams and reads back whole', async () => {
  const { root, files } = await fresh();
  const id = newShardId();
  const data = randomBytes(40 * 1024 * 1024 + 12_345);
  // Many uneven chunks, as a socket delivers them: several write-behind flushes run while the rest streams in.
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 61_000) chunks.push(data.subarray(at, Math.min(at + 61_000, data.length)));
  assert.equal(await files.write(id, Readable.from(chunks)), data.length);
  assert.ok((await readFile(shardFilePath(join(root, 'shards'), id))).equals(data));
  assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'no temp file left');
  await files.close();
  rmSync(root, { recursive: true });
});

test('a body that fails midway leaves neither shard nor temp file, small or large', async () => {
  const { root, files } = await fresh();
  for (const first of [1000, SMALL_SHARD_BYTES + 1000]) {
    const id = newShardId();
    async function* broken() {
      yield randomBytes(first);
      throw new Error('sender went away');
    }
    await assert.rejects(files.write(id, Readable.from(broken())), /sender went away/);
    assert.equal(existsSync(files.pathOf(id)), false);
    assert.equal(files.volumes.has(id), false);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.equal(files.used, 0);
  }
  await files.close();
  rmSync(root, { recursive: true });
});

/** Bigger than a volume record: these tests are about shard files. */
const LARGE = SMALL_SHARD_BYTES;

test('delete removes the file and nothing else; list and init agree', async () => {
  const { root, files } = await fresh();
  const a = newShardId();
  const b = newShardId();
  await files.write(a, Readable.from([Buffer.alloc(LARGE + 10)]));
  await files.write(b, Readable.from([Buffer.alloc(LARGE + 20)]));
  const listed = [];
  for await (const s of files.list()) listed.push(s);
  assert.deepEqual(listed.map((s) => s.id).sort(), [a, b].sort());
  assert.ok(listed.every((s) => s.age >= 0));
  assert.equal(await files.delete(a), true);
  assert.equal(await files.delete(a), false);
  assert.equal(files.used, LARGE + 20);
  await files.delete(b);
  // The fan-out directories stay for the next shards; no file is left in them.
  const dirs = readdirSync(join(root, 'shards'));
  assert.deepEqual(dirs.sort(), [...new Set([a.slice(-2), b.slice(-2)])].sort());
  for (const dir of dirs) assert.deepEqual(readdirSync(join(root, 'shards', dir)), []);

  // A restart counts what is on disk and drops temp files a crash left.
  await files.write(a, Readable.from([Buffer.alloc(LARGE + 5)]));
  mkdirSync(join(root, 'tmp'), { recursive: true });
  writeFileSync(join(root, 'tmp', 'leftover'), 'x');
  const again = new ShardFiles(root);
  await again.init();
  assert.equal(again.used, LARGE + 5);
  assert.equal(again.count, 1);
  assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  await files.close();
  await again.close();
  rmSync(root, { recursive: true });
});

test('small shards become volume records: no file, readable, listed, deleted, counted after a restart', async () => {
  const { root, files } = await fresh();
  const small = newShardId();
  const large = newShardId();
  const smallData = randomBytes(700);
  // One byte over the limit is a file, whatever the chunking.
  const largeData = randomBytes(SMALL_SHARD_BYTES + 1);
  assert.equal(await files.write(small, Readable.from([smallData.subarray(0, 7), smallData.subarray(7)])), 700);
  assert.equal(await files.write(large, Readable.from([largeData.subarray(0, 1000), largeData.subarray(1000)])), largeData.length);
  assert.equal(existsSync(files.pathOf(small)), false, 'a small shard has no file of its own');
  assert.ok((await readFile(files.pathOf(large))).equals(largeData));
  assert.equal(files.volumes.count, 1);
  assert.equal(files.used, 700 + largeData.length);
  assert.equal(files.count, 2);
  await assert.rejects(files.write(small, Readable.from([smallData])), ShardExistsError);

  const reader = await files.openForRead(small);
  assert.equal(reader.size, 700);
  assert.ok((await reader.read(100, 50)).equals(smallData.subarray(100, 150)));
  // Read into the caller's buffer, as large reads are sent (from a volume as from a file of its own).
  const into = Buffer.alloc(1024, 0xee);
  const got = await reader.read(0, 700, into);
  assert.ok(got.equals(smallData) && got.buffer === into.buffer && into.subarray(0, 700).equals(smallData), 'a volume shard read into the given buffer');
  const largeReader = await files.openForRead(large);
  const largeGot = await largeReader.read(10, 1000, into);
  assert.ok(largeGot.buffer === into.buffer && into.subarray(0, 1000).equals(largeData.subarray(10, 1010)), 'a file shard read into the given buffer');
  await largeReader.close();
  assert.equal(await files.delete(small), true);
  assert.ok((await reader.read(0, 700)).equals(smallData), 'an open small shard outlives its delete too');
  await reader.close();
  await assert.rejects(files.openForRead(small), ShardMissingError);
  assert.equal(await files.delete(small), false);

  const kept = newShardId();
  await files.write(kept, Readable.from([Buffer.alloc(0)]));
  const listed = [];
  for await (const s of files.list()) listed.push(s);
  assert.deepEqual(listed.map((s) => s.id).sort(), [kept, large].sort());
  await files.close();
  const again = new ShardFiles(root);
  await again.init();
  assert.equal(again.count, 2);
  assert.equal(again.used, largeData.length);
  assert.equal((await again.openForRead(kept)).size, 0);
  await again.close();
  rmSync(root, { recursive: true });
});
