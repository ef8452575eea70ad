import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { ShardExistsError, ShardFiles, ShardMissingError } from './shard-files.js';
import { newShardId } from '../core/ids.js';

const fresh = async () => {
  const root = mkdtempSync(join(tmpdir(), 'shardstore-node-'));
  const files = new ShardFiles(root);
  await files.init();
  return { root, files };
};

test('a shard is stored at its GUID split at the dashes, and counted', async () => {
  const { root, files } = await fresh();
  const id = newShardId();
  const data = randomBytes(100_000);
  assert.equal(await files.write(id, Readable.from([data.subarray(0, 3), data.subarray(3)])), data.length);
  const path = join(root, 'shards', ...id.split('-'));
  assert.ok((await readFile(path)).equals(data));
  assert.equal(files.used, data.length);
  assert.equal(files.count, 1);
  assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'no temp file left');
  await assert.rejects(files.write(id, Readable.from([data])), ShardExistsError);
  const { handle, size } = await files.openForRead(id);
  assert.equal(size, data.length);
  // An open shard keeps its bytes even if it is deleted meanwhile (a move by the rebalancer).
  assert.equal(await files.delete(id), true);
  const part = Buffer.alloc(10);
  await handle.read(part, 0, 10, 10);
  await handle.close();
  assert.ok(part.equals(data.subarray(10, 20)));
  await assert.rejects(files.openForRead(id), ShardMissingError);
  rmSync(root, { recursive: true });
});

test('a body that fails midway leaves neither shard nor temp file', async () => {
  const { root, files } = await fresh();
  const id = newShardId();
  async function* broken() {
    yield randomBytes(1000);
    throw new Error('sender went away');
  }
  await assert.rejects(files.write(id, Readable.from(broken())), /sender went away/);
  assert.equal(existsSync(files.pathOf(id)), false);
  assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  assert.equal(files.used, 0);
  rmSync(root, { recursive: true });
});

test('delete removes the file and the directories it emptied; list and init agree', async () => {
  const { root, files } = await fresh();
  const a = newShardId();
  const b = newShardId();
  await files.write(a, Readable.from([Buffer.alloc(10)]));
  await files.write(b, Readable.from([Buffer.alloc(20)]));
  const listed = [];
  for await (const s of files.list()) listed.push(s);
  assert.deepEqual(listed.map((s) => s.id).sort(), [a, b].sort());
  assert.ok(listed.every((s) => s.age >= 0));
  assert.equal(await files.delete(a), true);
  assert.equal(await files.delete(a), false);
  assert.equal(files.used, 20);
  await files.delete(b);
  assert.deepEqual(readdirSync(join(root, 'shards')), [], 'no empty directory tree left behind');

  // A restart counts what is on disk and drops temp files a crash left.
  await files.write(a, Readable.from([Buffer.alloc(5)]));
  mkdirSync(join(root, 'tmp'), { recursive: true });
  writeFileSync(join(root, 'tmp', 'leftover'), 'x');
  const again = new ShardFiles(root);
  await again.init();
  assert.equal(again.used, 5);
  assert.equal(again.count, 1);
  assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  rmSync(root, { recursive: true });
});
