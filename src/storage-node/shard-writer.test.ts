import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ShardExistsError, ShardFiles, SMALL_SHARD_BYTES } from './shard-files.js';
import { newShardId } from '../core/ids.js';

const fresh = async () => {
  const root = mkdtempSync(join(tmpdir(), 'shardstore-writer-'));
  const files = new ShardFiles(root);
  await files.init();
  return { root, files };
};

/** Appends `data` in `piece`-byte chunks from ONE buffer that is overwritten after every append, as a rebuild does. */
async function appendFromOneBuffer(files: ShardFiles, id: string, data: Buffer, piece: number): Promise<number> {
  const writer = files.create(id);
  const reused = Buffer.alloc(piece);
  const tail = Buffer.alloc(4);
  for (let at = 0; at < data.length; at += piece + 4) {
    const n = Math.min(piece, data.length - at);
    data.copy(reused, 0, at, at + n);
    const t = Math.max(0, Math.min(4, data.length - at - n));
    data.copy(tail, 0, at + n, at + n + t);
    await writer.append([reused.subarray(0, n), tail.subarray(0, t)]);
    reused.fill(0xee);
    tail.fill(0xee);
  }
  return writer.commit();
}

test('a writer may refill the buffers it appended once the append resolves: small shards and files both read back exact', async () => {
  const { root, files } = await fresh();
  for (const [size, piece] of [
    [700, 100],
    [SMALL_SHARD_BYTES, 10_000],
    [SMALL_SHARD_BYTES + 1, 10_000],
    [3 * 256 * 1024 + 7, 256 * 1024],
  ] as const) {
    const id = newShardId();
    const data = randomBytes(size);
    assert.equal(await appendFromOneBuffer(files, id, data, piece), size);
    const reader = await files.openForRead(id);
    assert.ok((await reader.read(0, size)).equals(data), `${size} bytes in ${piece}-byte pieces`);
    await reader.close();
    assert.equal(files.volumes.has(id), size <= SMALL_SHARD_BYTES, 'small shards are volume records, larger ones files');
  }
  assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'no temp file left');
  await files.close();
  rmSync(root, { recursive: true });
});

test('an aborted writer leaves neither shard nor temp file, and an existing shard cannot be written again', async () => {
  const { root, files } = await fresh();
  for (const size of [1000, SMALL_SHARD_BYTES + 1000]) {
    const id = newShardId();
    const writer = files.create(id);
    await writer.append([randomBytes(size)]);
    await writer.abort();
    await assert.rejects(writer.append([Buffer.alloc(1)]), /already committed or aborted/);
    assert.equal(existsSync(files.pathOf(id)), false);
    assert.equal(files.volumes.has(id), false);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
    assert.equal(files.used, 0);
    assert.equal(files.count, 0);
  }
  const small = newShardId();
  const large = newShardId();
  await appendFromOneBuffer(files, small, randomBytes(100), 50);
  await appendFromOneBuffer(files, large, randomBytes(SMALL_SHARD_BYTES * 2), 20_000);
  assert.throws(() => files.create(small), ShardExistsError);
  // A file's existence is found once the bytes outgrow a volume record.
  const again = files.create(large);
  await assert.rejects(again.append([Buffer.alloc(SMALL_SHARD_BYTES + 1)]), ShardExistsError);
  await again.abort();
  assert.equal(files.count, 2);
  assert.ok((await readFile(files.pathOf(large))).length === SMALL_SHARD_BYTES * 2);
  await files.close();
  rmSync(root, { recursive: true });
});
