import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { PeerShardReader } from './rebuild.js';
import { FramedBlocks } from '../node-protocol/framed-blocks.js';
import { FrameChannel } from '../node-protocol/frame-channel.js';
import { StreamedBlocks } from '../node-protocol/streamed-blocks.js';
import { blockChecksum, type BlockSource } from '../core/block-frame.js';
import { bearer } from '../core/bearer.js';
import { newShardId } from '../core/ids.js';
import { ChecksumMismatchError, ShardMissingError, ShardUnavailableError } from '../core/errors.js';
import { SizedBufferPools } from '../streams/buffer-pool.js';
import { peerTransport } from '../platform/peer-transport.js';
import { frameNode } from '../../test/helpers/frame-node.js';
import { olderNode } from '../../test/helpers/older-node.js';

const SECRET = 'peer-secret';

/** A shard file of `stripes` random blocks of `blockSize`, each followed by its CRC32C; and the blocks. */
function shardFile(stripes: number, blockSize: number): { file: Buffer; blocks: Buffer[] } {
  const blocks = Array.from({ length: stripes }, () => randomBytes(blockSize));
  return { file: Buffer.concat(blocks.flatMap((b) => [b, blockChecksum(b)])), blocks };
}

async function readAll(source: BlockSource): Promise<Buffer[]> {
  const blocks: Buffer[] = [];
  try {
    for (let block = await source.next(); block; block = await source.next()) blocks.push(Buffer.from(block));
  } finally {
    await source.close();
  }
  return blocks;
}

test('framed blocks: every frame of a shard, in order and verified, whether a frame came in one network chunk or many', async () => {
  const node = await frameNode(SECRET);
  const channel = new FrameChannel(node.url, bearer(SECRET), 5000, peerTransport(node.url, undefined, {}));
  const buffers = new SizedBufferPools(4);
  try {
    for (const [stripes, blockSize] of [[7, 4096], [3, 256 * 1024], [1, 1024 * 1024]] as const) {
      const id = newShardId();
      const { file, blocks } = shardFile(stripes, blockSize);
      await node.shards.write(id, Readable.from([file]));
      const read = await readAll(await FramedBlocks.open({ channel, shardId: id, blockSize, stripes, where: 'test', buffers }));
      assert.equal(read.length, stripes);
      read.forEach((block, s) => assert.ok(block.equals(blocks[s]!), `block ${s} of ${stripes} × ${blockSize}`));
    }
  } finally {
    channel.close();
    await node.stop();
  }
});

test('framed blocks: a missing shard fails the open, a damaged frame fails its block, a short shard fails clearly', async () => {
  const node = await frameNode(SECRET);
  const channel = new FrameChannel(node.url, bearer(SECRET), 5000, peerTransport(node.url, undefined, {}));
  const open = (shardId: string, stripes: number) => FramedBlocks.open({ channel, shardId, blockSize: 4096, stripes, where: `shard ${shardId}` });
  try {
    await assert.rejects(open(newShardId(), 2), ShardMissingError);

    const damaged = newShardId();
    const { file, blocks } = shardFile(3, 4096);
    file.writeUInt8(file.readUInt8(4100 + 17) ^ 0xff, 4100 + 17); // a byte of the second block
    await node.shards.write(damaged, Readable.from([file]));
    const reader = await open(damaged, 3);
    assert.ok((await reader.next())!.equals(blocks[0]!));
    await assert.rejects(reader.next(), ChecksumMismatchError);
    await reader.close();

    const short = newShardId();
    await node.shards.write(short, Readable.from([shardFile(2, 4096).file]));
    const shortReader = await open(short, 3);
    await shortReader.next();
    await shortReader.next();
    await assert.rejects(shortReader.next(), (error: Error) => error instanceof ShardUnavailableError && /frame 2 refused: 416/.test(error.message));
    await shortReader.close();
  } finally {
    channel.close();
    await node.stop();
  }
});

test('peer shard reader: a one-frame source over the kept framed channel, a longer one as a streamed read, both exact', async () => {
  const node = await frameNode(SECRET);
  const reader = new PeerShardReader(SECRET, undefined, 5000);
  try {
    const one = { id: newShardId(), ...shardFile(1, 200 * 1024) };
    const three = { id: newShardId(), ...shardFile(3, 256 * 1024) };
    await node.shards.write(one.id, Readable.from([one.file]));
    await node.shards.write(three.id, Readable.from([three.file]));
    const source = (shardId: string) => ({ index: 0, url: node.url.origin, shardId });

    const framed = await reader.open(source(one.id), { blockSize: 200 * 1024, stripes: 1, where: 'one' });
    assert.ok(framed instanceof FramedBlocks);
    assert.deepEqual(await readAll(framed), one.blocks);
    const streamed = await reader.open(source(three.id), { blockSize: 256 * 1024, stripes: 3, where: 'three' });
    assert.ok(streamed instanceof StreamedBlocks);
    assert.deepEqual(await readAll(streamed), three.blocks);
    await assert.rejects(reader.open(source(newShardId()), { blockSize: 4096, stripes: 1, where: 'missing' }), ShardMissingError);
  } finally {
    reader.close();
    await node.stop();
  }
});

test('peer shard reader: a peer that refuses long framed reads and knows no streamed reads is read over HTTP, and not asked in frames again', async () => {
  const { file, blocks } = shardFile(1, 128 * 1024);
  const node = await olderNode(file);
  const reader = new PeerShardReader(SECRET, undefined, 5000);
  try {
    const open = () => reader.open({ index: 0, url: node.url, shardId: newShardId() }, { blockSize: 128 * 1024, stripes: 1, where: 'older' });
    assert.deepEqual(await readAll(await open()), blocks);
    assert.equal(node.seen.framed.length, 1, 'one framed read, refused with 413');
    assert.deepEqual(await readAll(await open()), blocks);
    assert.equal(node.seen.framed.length, 1, 'the next long read skips the framed channel');
    assert.equal(node.seen.http, 2);
  } finally {
    reader.close();
    await node.close();
  }
});
