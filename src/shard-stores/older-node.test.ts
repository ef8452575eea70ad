import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { decodeRequest, encodeReply, FRAMED_SHARD_BYTES, FRAMES_UPGRADE, FrameDecoder, MAX_REQUEST_FRAME_BYTES } from '../node-protocol/frames.js';
import { newShardId } from '../core/ids.js';
import { HttpShardStore } from './http-shard-store.js';

/**
 * A node of the version before longer framed reads: it answers a framed read beyond a small shard's length
 * with 413, and serves ranges over HTTP. The gateway of this version must read through it all the same.
 */
async function olderNode(data: Buffer) {
  const seen = { framed: [] as number[], http: 0 };
  const server = createServer((req, res) => {
    seen.http++;
    const [, start, end] = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '') ?? [];
    const body = data.subarray(Number(start), Number(end) + 1);
    res.writeHead(206, { 'content-length': body.length }).end(body);
  });
  const upgraded = new Set<Socket>();
  server.on('upgrade', (_req, socket: Socket) => {
    upgraded.add(socket);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${FRAMES_UPGRADE}\r\n\r\n`);
    const decoder = new FrameDecoder(MAX_REQUEST_FRAME_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const { id, a: start, b: length } = decodeRequest(frame);
        seen.framed.push(length);
        const reply = length > FRAMED_SHARD_BYTES ? encodeReply(id, 413, 0, Buffer.from('too long')) : encodeReply(id, 200, data.length, data.subarray(start, start + length));
        for (const part of reply) socket.write(part);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    for (const socket of upgraded) socket.destroy();
    return new Promise((resolve) => server.close(resolve).closeAllConnections());
  };
  return { url, seen, close };
}

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
