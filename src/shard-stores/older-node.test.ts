import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newShardId } from '../core/ids.js';
import { HttpShardStore } from './http-shard-store.js';
import { olderNode } from '../../test/helpers/older-node.js';

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

test('a node that refuses long framed reads is read over HTTP from then on; short reads stay framed', async () => {
  const data = randomBytes(600 * 1024);
  const node = await olderNode(data);
  const store = new HttpShardStore(node.url, 'secret');
  const id = newShardId();
  const signal = new AbortController().signal;
  try {
    const head = { start: 0, end: 256 * 1024 + 3 };
    assert.ok((await bytesOf(await store.get(id, head, signal))).equals(data.subarray(0, head.end + 1)));
    assert.deepEqual([node.seen.framed, node.seen.http], [[256 * 1024 + 4], 1], 'tried framed, refused, read over HTTP');
    assert.ok((await bytesOf(await store.get(id, { start: 1000, end: 300_000 }, signal))).equals(data.subarray(1000, 300_001)));
    assert.deepEqual([node.seen.framed.length, node.seen.http], [1, 2], 'the next long read goes straight to HTTP');
    assert.ok((await bytesOf(await store.get(id, { start: 5, end: 104 }, signal))).equals(data.subarray(5, 105)));
    assert.deepEqual([node.seen.framed, node.seen.http], [[256 * 1024 + 4, 100], 2], 'a short read is still framed');
  } finally {
    await store.close();
    await node.close();
  }
});

test('readBytes through a node that refuses long framed reads: a long range over HTTP, a short one framed', async () => {
  const data = randomBytes(600 * 1024);
  const node = await olderNode(data);
  const store = new HttpShardStore(node.url, 'secret');
  const id = newShardId();
  try {
    assert.ok(Buffer.concat(await store.readBytes(id, { start: 10, end: 200_009 })).equals(data.subarray(10, 200_010)));
    assert.deepEqual([node.seen.framed, node.seen.http], [[200_000], 1], 'tried framed, refused, read over HTTP');
    assert.ok(Buffer.concat(await store.readBytes(id, { start: 7, end: 4106 })).equals(data.subarray(7, 4107)));
    assert.deepEqual([node.seen.framed, node.seen.http], [[200_000, 4100], 1], 'a short read is framed');
  } finally {
    await store.close();
    await node.close();
  }
});
