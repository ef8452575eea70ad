import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startStorageNode } from '../processes/storage-node.js';
import { nodeConfigSchema } from '../config/node-config.js';
import { bearer, nodeRoutes } from './protocol.js';
import { newShardId } from '../core/ids.js';
import { blockChecksum } from '../core/block-frame.js';
import { ChecksumMismatchError, ShardMissingError, ShardUnavailableError } from '../core/errors.js';
import { SizedBufferPools } from '../streams/buffer-pool.js';
import { StreamedBlocks, StreamReadsUnsupportedError, type StreamedBlocksOptions } from './streamed-blocks.js';
import { HttpShardStore } from '../shard-stores/http-shard-store.js';
import { shardFilePath } from '../storage-node/shard-layout.js';

const SECRET = 'streamed-blocks-secret';
const BS = 64 * 1024;
const FRAME = BS + 4;
const BLOCKS = 40;

const dir = mkdtempSync(join(tmpdir(), 'shardstore-streamed-'));
const node = await startStorageNode(
  nodeConfigSchema.parse({ dir, port: 0, gateway: 'http://127.0.0.1:9', secret: SECRET, capacity: 1024 ** 3, heartbeatMs: 60_000 }),
  pino({ level: 'silent' }),
);
after(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});
const { hostname, port } = new URL(node.url);

/** A shard of BLOCKS frames stored on the node; its blocks. */
async function storeShard(): Promise<{ id: string; blocks: Buffer[] }> {
  const id = newShardId();
  const blocks = Array.from({ length: BLOCKS }, () => randomBytes(BS));
  const body = Buffer.concat(blocks.flatMap((b) => [b, blockChecksum(b)]));
  const res = await fetch(`${node.url}${nodeRoutes.shard(id)}`, { method: 'PUT', headers: { authorization: bearer(SECRET) }, body });
  assert.equal(res.status, 201);
  return { id, blocks };
}

const options = (id: string, first: number, last: number, extra: Partial<StreamedBlocksOptions> = {}): StreamedBlocksOptions => ({
  host: hostname,
  port: Number(port),
  path: nodeRoutes.shard(id),
  authorization: bearer(SECRET),
  range: { start: first * FRAME, end: (last + 1) * FRAME - 1 },
  blockSize: BS,
  where: `shard ${id}`,
  timeoutMs: 5_000,
  signal: new AbortController().signal,
  ...extra,
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a streamed read returns every block of its range, exact, whether the reader keeps up or lags behind', async () => {
  const { id, blocks } = await storeShard();
  const buffers = new SizedBufferPools(4);
  for (const [first, last, lag] of [[0, BLOCKS - 1, false], [3, 17, true], [BLOCKS - 1, BLOCKS - 1, false]] as const) {
    let counted = 0;
    const reader = await StreamedBlocks.open(options(id, first, last, { buffers, onBytes: (n) => (counted += n) }));
    for (let i = first; i <= last; i++) {
      // A lagging reader: the socket fills both frames and pauses until the next block is asked for.
      if (lag && i % 4 === 0) await pause(20);
      const block = await reader.next();
      assert.ok(block?.equals(blocks[i]!), `block ${i} of [${first}, ${last}] exact`);
    }
    assert.equal(await reader.next(), undefined);
    assert.equal(counted, (last - first + 1) * FRAME);
    await reader.close();
  }
});

test('a corrupt block is never returned: the read fails with a checksum mismatch at that block', async () => {
  const { id, blocks } = await storeShard();
  const fd = openSync(shardFilePath(join(dir, 'shards'), id), 'r+');
  writeSync(fd, Buffer.from([blocks[5]![100]! ^ 0xff]), 0, 1, 5 * FRAME + 100);
  closeSync(fd);
  const reader = await StreamedBlocks.open(options(id, 0, BLOCKS - 1));
  for (let i = 0; i < 5; i++) assert.ok((await reader.next())?.equals(blocks[i]!));
  await assert.rejects(reader.next(), ChecksumMismatchError);
  await reader.close();
});

test('refusals: a missing shard, a wrong secret, a range outside the shard', async () => {
  await assert.rejects(StreamedBlocks.open(options(newShardId(), 0, 1)), (e) => e instanceof ShardMissingError && /404/.test(e.message));
  const { id } = await storeShard();
  await assert.rejects(StreamedBlocks.open(options(id, 0, 1, { authorization: bearer('wrong') })), (e) => e instanceof ShardUnavailableError && /401/.test(e.message));
  await assert.rejects(StreamedBlocks.open(options(id, BLOCKS + 1, BLOCKS + 2)), (e) => e instanceof ShardUnavailableError && /416/.test(e.message));
});

test('closed or aborted midway: a waiting next() fails at once, and the node serves the next read', async () => {
  const { id, blocks } = await storeShard();
  const abort = new AbortController();
  const reader = await StreamedBlocks.open(options(id, 0, BLOCKS - 1, { signal: abort.signal }));
  assert.ok((await reader.next())?.equals(blocks[0]!));
  abort.abort();
  await assert.rejects(reader.next(), /closed/);
  await reader.close();
  const again = await StreamedBlocks.open(options(id, 0, 0));
  assert.ok((await again.next())?.equals(blocks[0]!));
  await again.close();
});

/** A server that answers the streamed read's upgrade as `answer` says and records what it was asked. */
async function fakeNode(answer: (socket: Socket) => void, shard = Buffer.alloc(0)): Promise<{ server: Server; url: string; http: number }> {
  const seen = { http: 0 };
  const server = createServer((req, res) => {
    seen.http++;
    const [, start, end] = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '') ?? [];
    const body = shard.subarray(Number(start), Number(end) + 1);
    res.writeHead(206, { 'content-length': body.length }).end(body);
  });
  server.on('upgrade', (_req, socket: Socket) => {
    socket.on('error', () => undefined);
    answer(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(seen, { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

test('a node cut off midway fails the read with how far it got; a node of an earlier version is told apart', async () => {
  const cut = await fakeNode((socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: shardstore-stream/1\r\n\r\n');
    socket.end(Buffer.alloc(FRAME + 10));
  });
  const older = await fakeNode((socket) => socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
  try {
    const at = (url: string) => ({ host: '127.0.0.1', port: Number(new URL(url).port) });
    const reader = await StreamedBlocks.open({ ...options(newShardId(), 0, 3), ...at(cut.url) });
    await assert.rejects(reader.next(), ChecksumMismatchError, 'the zero block fails its check');
    await reader.close();
    const second = await StreamedBlocks.open({ ...options(newShardId(), 1, 3), ...at(cut.url) });
    await assert.rejects(second.next().then(() => second.next()), /ended the read after 65550 of 196620 bytes|checksum/);
    await second.close();
    await assert.rejects(StreamedBlocks.open({ ...options(newShardId(), 0, 3), ...at(older.url) }), StreamReadsUnsupportedError);
  } finally {
    cut.server.close();
    older.server.close();
  }
});

test('after the 101, a node that goes silent while a frame is wanted fails the read within the idle time', async () => {
  const stalled = await fakeNode((socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: shardstore-stream/1\r\n\r\n');
    socket.write(Buffer.alloc(1000));
  });
  try {
    const reader = await StreamedBlocks.open({ ...options(newShardId(), 0, 3), host: '127.0.0.1', port: Number(new URL(stalled.url).port), idleMs: 200 });
    await assert.rejects(reader.next(), /no bytes within 200 ms/);
    await reader.close();
  } finally {
    stalled.server.close();
    stalled.server.closeAllConnections();
  }
});

test('the store reads long ranges streamed from a node of this version, and over HTTP from one that refuses the upgrade', async () => {
  const { id, blocks } = await storeShard();
  const store = new HttpShardStore(node.url, SECRET);
  try {
    const source = await store.openBlocks(id, { start: 2 * FRAME, end: 9 * FRAME - 1 }, { blockSize: BS, where: 'test', signal: new AbortController().signal });
    assert.ok(source instanceof StreamedBlocks);
    for (let i = 2; i < 9; i++) assert.ok((await source.next())?.equals(blocks[i]!));
    assert.equal(await source.next(), undefined);
    await source.close();
  } finally {
    await store.close();
  }
  const older = await fakeNode(
    (socket) => socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
    Buffer.concat(blocks.flatMap((b) => [b, blockChecksum(b)])),
  );
  const olderStore = new HttpShardStore(older.url, SECRET);
  try {
    for (let round = 0; round < 2; round++) {
      // Longer than a framed read, which this fake node does not serve either.
      const source = await olderStore.openBlocks(id, { start: 2 * FRAME, end: BLOCKS * FRAME - 1 }, { blockSize: BS, where: 'test', signal: new AbortController().signal });
      assert.ok(!(source instanceof StreamedBlocks));
      for (let i = 2; i < BLOCKS; i++) assert.ok((await source.next())?.equals(blocks[i]!), `block ${i} over HTTP`);
      assert.equal(await source.next(), undefined);
      await source.close();
    }
    assert.equal(older.http, 2, 'each read over HTTP once the upgrade was refused');
  } finally {
    await olderStore.close();
    older.server.close();
  }
});
