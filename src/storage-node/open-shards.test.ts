import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenShards } from './open-shards.js';
import { ReadOnlyFile } from './read-only-file.js';
import { pause } from '../../test/helpers/wait.js';

/** Files named 0…n-1 in a temp directory, an opener that counts its opens, and the files it opened. */
function shardDir(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-open-'));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, String(i)), `shard ${i}`);
  const opened: ReadOnlyFile[] = [];
  const opener = async (id: string): Promise<ReadOnlyFile> => {
    const file = await ReadOnlyFile.open(join(dir, id));
    opened.push(file);
    return file;
  };
  return { dir, opened, opener, remove: () => rmSync(dir, { recursive: true }) };
}

const isClosed = (file: ReadOnlyFile) => file.closed;
const contents = async ({ file }: { file: ReadOnlyFile }) => {
  const buffer = Buffer.alloc(file.size);
  return buffer.subarray(0, await file.read(buffer, 0, file.size, 0)).toString();
};

test('open shards: reads of one shard, at once or one after another, share one open file', async () => {
  const files = shardDir(1);
  const cache = new OpenShards(files.opener);
  try {
    const [a, b] = await Promise.all([cache.acquire('0'), cache.acquire('0')]);
    assert.equal(await contents(a), 'shard 0');
    await a.release();
    await b.release();
    const c = await cache.acquire('0');
    assert.equal(await contents(c), 'shard 0');
    await c.release();
    assert.equal(files.opened.length, 1);
    assert.ok(!isClosed(files.opened[0]!));
  } finally {
    await cache.close();
    files.remove();
  }
  assert.ok(isClosed(files.opened[0]!), 'closed with the cache');
});

test('open shards: an idle file is closed; a file in use is kept however long it is used', async () => {
  const files = shardDir(2);
  const cache = new OpenShards(files.opener, 16, 40);
  try {
    const busy = await cache.acquire('0');
    await (await cache.acquire('1')).release();
    await pause(150);
    assert.deepEqual(files.opened.map(isClosed), [false, true]);
    assert.equal(await contents(busy), 'shard 0');
    await busy.release();
    await pause(150);
    assert.ok(isClosed(files.opened[0]!));
    assert.equal(cache.size, 0);
  } finally {
    await cache.close();
    files.remove();
  }
});

test('open shards: a dropped shard (deleted) is closed once its last reader is done and opened afresh after', async () => {
  const files = shardDir(1);
  const cache = new OpenShards(files.opener);
  try {
    const reader = await cache.acquire('0');
    await cache.drop('0');
    assert.ok(!isClosed(files.opened[0]!), 'the reader under way keeps its file');
    assert.equal(await contents(reader), 'shard 0');
    await reader.release();
    await reader.release(); // twice is once
    assert.ok(isClosed(files.opened[0]!));
    await (await cache.acquire('0')).release();
    assert.equal(files.opened.length, 2);
  } finally {
    await cache.close();
    files.remove();
  }
});

test('open shards: beyond the limit the longest idle files are closed, never one in use; a failed open is not kept', async () => {
  const files = shardDir(5);
  const cache = new OpenShards(files.opener, 3);
  try {
    const held = await cache.acquire('0');
    for (const id of ['1', '2', '3', '4']) await (await cache.acquire(id)).release();
    assert.equal(cache.size, 3);
    assert.deepEqual(files.opened.map(isClosed), [false, true, true, false, false]);
    await held.release();

    await assert.rejects(cache.acquire('missing'), { code: 'ENOENT' });
    await assert.rejects(cache.acquire('missing'), { code: 'ENOENT' });
    assert.equal(cache.size, 3);
  } finally {
    await cache.close();
    files.remove();
  }
});
