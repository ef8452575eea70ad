import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ShardExistsError, ShardFiles } from './shard-files.js';
import { RebuildBuffers, RebuildSourcesError, rebuildShard, type RebuildDeps } from './rebuild.js';
import { blockChecksum, type BlockSource } from '../core/block-frame.js';
import { erasureCoderCache } from '../core/erasure-coder.js';
import { newShardId } from '../core/ids.js';
import type { RebuildRequest } from '../node-protocol/protocol.js';

const scheme = { dataShards: 4, parityShards: 2, blockSize: 4096 };
const coder = erasureCoderCache();

/** The k + m shard files (frames of block + CRC32C) of a part of `stripes` random stripes. */
async function encodePart(stripes: number): Promise<Buffer[]> {
  const { dataShards: k, parityShards: m, blockSize: bs } = scheme;
  const files: Buffer[][] = Array.from({ length: k + m }, () => []);
  for (let s = 0; s < stripes; s++) {
    const data = randomBytes(k * bs);
    const parity = Buffer.alloc(m * bs);
    await coder(scheme).encode(data, parity);
    for (let i = 0; i < k + m; i++) {
      const block = Buffer.from(i < k ? data.subarray(i * bs, (i + 1) * bs) : parity.subarray((i - k) * bs, (i - k + 1) * bs));
      files[i]!.push(block, blockChecksum(block));
    }
  }
  return files.map((f) => Buffer.concat(f));
}

/** A source's verified blocks from its shard file in memory, handed out as views the next call may not outlive. */
function blocksOf(file: Buffer, cutAfter = Infinity): BlockSource {
  const frame = scheme.blockSize + 4;
  let at = 0;
  let served = 0;
  const held = Buffer.alloc(scheme.blockSize);
  return {
    async next() {
      if (at >= file.length || served >= cutAfter) return undefined;
      file.copy(held, 0, at, at + scheme.blockSize);
      at += frame;
      served += 1;
      return held;
    },
    async close() {},
  };
}

const request = (index: number, stripes: number, sourceIndexes: number[]): RebuildRequest => ({
  shardId: newShardId(),
  index,
  scheme,
  stripes,
  sources: sourceIndexes.map((i) => ({ index: i, url: `http://127.0.0.1:1/${i}`, shardId: newShardId() })),
  bytesPerSecond: 0,
});

/** Runs `body` against a fresh node directory's shards, removed afterwards. */
async function withShardFiles(body: (files: ShardFiles, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'shardstore-rebuild-'));
  const files = new ShardFiles(root);
  await files.init();
  try {
    await body(files, root);
  } finally {
    await files.close();
    rmSync(root, { recursive: true });
  }
}

test('rebuilds a data and a parity shard byte for byte from k sources, one after another on the same recycled buffers', async () => {
  const buffers = new RebuildBuffers();
  await withShardFiles(async (files) => {
    for (const [lost, sources, stripes] of [
      [1, [0, 2, 3, 4, 5], 40],
      [5, [3, 0, 1, 2], 40],
      [0, [1, 2, 3, 5], 3],
    ] as const) {
      const part = await encodePart(stripes);
      const plan = request(lost, stripes, [...sources]);
      const deps: RebuildDeps = {
        create: (id) => files.create(id),
        coder,
        open: async (source) => blocksOf(part[source.index]!),
        buffers,
      };
      assert.equal(await rebuildShard(plan, deps), part[lost]!.length);
      const rebuilt = files.volumes.has(plan.shardId) ? await (await files.openForRead(plan.shardId)).read(0, part[lost]!.length) : await readFile(files.pathOf(plan.shardId));
      assert.ok(rebuilt.equals(part[lost]!), `shard ${lost} of ${stripes} stripes rebuilt exact`);
    }
  });
});

test('a source that ends early fails the rebuild and leaves nothing behind', async () => {
  await withShardFiles(async (files, root) => {
    const part = await encodePart(40);
    const plan = request(2, 40, [0, 1, 3, 4]);
    const deps: RebuildDeps = {
      create: (id) => files.create(id),
      coder,
      open: async (source) => blocksOf(part[source.index]!, source.index === 3 ? 30 : Infinity),
      buffers: new RebuildBuffers(),
    };
    await assert.rejects(rebuildShard(plan, deps), (error: Error) => error instanceof RebuildSourcesError && /ended after 30 of 40 stripes/.test(error.message));
    assert.equal(files.count, 0);
    assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'no temp file left');
  });
});

test('a shard that exists already is refused before any source is opened', async () => {
  await withShardFiles(async (files) => {
    const plan = request(2, 3, [0, 1, 3, 4]);
    await files.write(plan.shardId, Readable.from([Buffer.from('already here')]));
    let opened = 0;
    const deps: RebuildDeps = {
      create: (id) => files.create(id),
      coder,
      open: async () => {
        opened += 1;
        return blocksOf(Buffer.alloc(0));
      },
      buffers: new RebuildBuffers(),
    };
    await assert.rejects(rebuildShard(plan, deps), ShardExistsError);
    assert.equal(opened, 0);
  });
});

test('rebuild buffers are recycled while rebuilds run and let go once they have been idle', async () => {
  const buffers = new RebuildBuffers(50);
  buffers.begin();
  const first = buffers.acquire(1000);
  buffers.release(first);
  assert.equal(buffers.acquire(1000), first, 'recycled during a rebuild');
  buffers.release(first);
  buffers.end();
  buffers.begin();
  assert.equal(buffers.acquire(1000), first, 'kept for the next rebuild of a pass');
  buffers.release(first);
  buffers.end();
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.notEqual(buffers.acquire(1000), first, 'dropped after the idle time');
});
