import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { frameNode } from '../../test/helpers/frame-node.js';
import { FrameChannel } from '../node-protocol/frame-channel.js';
import { Readable, type Duplex } from 'node:stream';
import { FRAMED_READ_BYTES, FRAMES_UPGRADE, OP_GET, OP_PUT } from '../node-protocol/frames.js';
import { bearer } from '../core/bearer.js';
import { newShardId } from '../core/ids.js';
import { ShardUnavailableError } from '../core/errors.js';
import { peerTransport } from '../platform/peer-transport.js';
import { pause, within } from '../../test/helpers/wait.js';

const SECRET = 'frame-secret';
const plainTransport = (url: URL) => peerTransport(url, undefined, {});

const node = () => frameNode(SECRET);

test('framed channel: concurrent writes and reads, answered by id, with the node errors as statuses', async () => {
  const { url, shards, stop } = await node();
  const channel = new FrameChannel(url, bearer(SECRET), 5000, plainTransport(url));
  const items = Array.from({ length: 40 }, (_, i) => ({ id: newShardId(), data: randomBytes(100 + i * 37) }));
  const puts = await Promise.all(items.map(({ id, data }) => channel.call(OP_PUT, id, 0, 0, [data])));
  assert.deepEqual(puts.map((r) => [r.status, r.value]), items.map(({ data }) => [201, data.length]));
  assert.equal(shards.volumes.count, 40);
  const gets = await Promise.all(items.map(({ id, data }) => channel.call(OP_GET, id, 10, data.length - 10)));
  gets.forEach((r, i) => assert.ok(r.status === 200 && Buffer.concat(r.payload).equals(items[i]!.data.subarray(10))));
  assert.equal((await channel.call(OP_PUT, items[0]!.id, 0, 0, [Buffer.alloc(1)])).status, 409);
  assert.equal((await channel.call(OP_GET, newShardId(), 0, 1)).status, 404);
  assert.equal((await channel.call(OP_GET, items[0]!.id, 0, 10_000)).status, 416);
  channel.close();
  await stop();
});

test('framed channel: a long read (a first stripe of 256 KiB and its checksum) comes whole; beyond the limit is 413', async () => {
  const { url, shards, stop } = await node();
  const channel = new FrameChannel(url, bearer(SECRET), 5000, plainTransport(url));
  const id = newShardId();
  const data = randomBytes(FRAMED_READ_BYTES + 1000);
  await shards.write(id, Readable.from([data]));
  const head = await channel.call(OP_GET, id, 0, 256 * 1024 + 4);
  assert.ok(head.status === 200 && Buffer.concat(head.payload).equals(data.subarray(0, 256 * 1024 + 4)));
  const most = await channel.call(OP_GET, id, 1000, FRAMED_READ_BYTES);
  assert.ok(most.status === 200 && Buffer.concat(most.payload).equals(data.subarray(1000)));
  assert.equal((await channel.call(OP_GET, id, 0, FRAMED_READ_BYTES + 1)).status, 413);
  channel.close();
  await stop();
});

test('framed channel: a wrong secret is refused, a node without the channel is marked unsupported, a lost node fails the call', async () => {
  const { url, stop } = await node();
  const wrong = new FrameChannel(url, bearer('not-the-secret'), 5000, plainTransport(url));
  await assert.rejects(wrong.call(OP_GET, newShardId(), 0, 1), ShardUnavailableError);
  assert.equal(wrong.unsupported, false);

  const plain = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const oldUrl = new URL(`http://127.0.0.1:${(plain.address() as AddressInfo).port}`);
  const old = new FrameChannel(oldUrl, bearer(SECRET), 5000, plainTransport(oldUrl));
  await assert.rejects(old.call(OP_GET, newShardId(), 0, 1), ShardUnavailableError);
  assert.equal(old.unsupported, true, 'a node without the upgrade answers 404: use HTTP for it');
  await new Promise((resolve) => plain.close(resolve));

  const channel = new FrameChannel(url, bearer(SECRET), 5000, plainTransport(url));
  assert.equal((await channel.call(OP_GET, newShardId(), 0, 1)).status, 404);
  await stop();
  await assert.rejects(channel.call(OP_GET, newShardId(), 0, 1), ShardUnavailableError);
});

test('framed channel: a node that takes the channel and never answers fails each call after its own timeout, not before', async () => {
  const sockets: Duplex[] = [];
  const silent = createServer((_req, res) => res.writeHead(404).end());
  silent.on('upgrade', (_req, socket: Duplex) => {
    sockets.push(socket);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${FRAMES_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
  const timeoutMs = 400;
  const channel = new FrameChannel(url, bearer(SECRET), timeoutMs, plainTransport(url));
  try {
    const started = Date.now();
    const first = channel.call(OP_GET, newShardId(), 0, 1);
    await pause(200);
    let secondSettled = false;
    const second = channel.call(OP_GET, newShardId(), 0, 1).finally(() => (secondSettled = true));
    second.catch(() => undefined);
    await assert.rejects(within(first, 5_000, 'the first call to fail'), (error: Error) => error instanceof ShardUnavailableError && /no answer within 400 ms/.test(error.message));
    assert.ok(Date.now() - started >= timeoutMs, 'not failed before its timeout');
    assert.equal(secondSettled, false, 'a later call keeps its own deadline');
    await assert.rejects(within(second, 5_000, 'the second call to fail'), ShardUnavailableError);
  } finally {
    channel.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
