import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { BlockReader } from './block-reader.js';
import { SizedBufferPools } from './buffer-pool.js';
import { blockChecksum } from '../core/block-frame.js';
import { ChecksumMismatchError } from '../core/errors.js';

function shard(blocks: Buffer[]): Buffer {
  return Buffer.concat(blocks.flatMap((b) => [b, blockChecksum(b)]));
}

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

test('blocks come back verified, whatever the network chunking', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 300 }), async (count, units, chunk) => {
      const bs = units * 8;
      const blocks = Array.from({ length: count }, () => randomBytes(bs));
      const reader = new BlockReader(chunks(shard(blocks), chunk), bs, 'test');
      for (const block of blocks) assert.ok((await reader.next())!.equals(block));
      assert.equal(await reader.next(), undefined);
    }),
  );
});

test('a flipped bit is caught, never returned', async () => {
  const blocks = [randomBytes(64), randomBytes(64)];
  const data = shard(blocks);
  data[64 + 4 + 10]! ^= 0x01;
  const reader = new BlockReader(chunks(data, 7), 64, 'test');
  assert.ok((await reader.next())!.equals(blocks[0]!));
  await assert.rejects(reader.next(), ChecksumMismatchError);
});

test('a stream cut inside a frame is an error', async () => {
  const data = shard([randomBytes(64)]).subarray(0, 50);
  await assert.rejects(new BlockReader(chunks(data, 16), 64, 'test').next(), /ended inside a frame/);
});

test('a pooled block buffer goes back on close, and not while a read still fills it', async () => {
  const pools = new SizedBufferPools(4);
  const blocks = [randomBytes(64), randomBytes(64)];
  const done = new BlockReader(chunks(shard(blocks), 20), 64, 'test', undefined, pools);
  assert.ok((await done.next())!.equals(blocks[0]!));
  await done.close();
  const reused = pools.acquire(64);
  await assert.rejects(done.next(), /read after close/);

  // A read waiting for bytes when the reader is closed: the buffer comes back only once that read has stopped.
  let deliver!: () => void;
  const arrived = new Promise<void>((resolve) => (deliver = resolve));
  async function* slow(): AsyncGenerator<Buffer> {
    yield shard(blocks).subarray(0, 30);
    await arrived;
    yield shard(blocks).subarray(30);
  }
  pools.release(reused);
  const waiting = new BlockReader(slow(), 64, 'test', undefined, pools);
  const pending = waiting.next();
  await new Promise((r) => setImmediate(r));
  const closing = waiting.close();
  assert.notEqual(pools.acquire(64), reused, 'the waiting read still holds its buffer');
  deliver();
  await assert.rejects(pending, /closed while reading/);
  await closing;
  assert.equal(pools.acquire(64), reused, 'given back once the read stopped');
});
