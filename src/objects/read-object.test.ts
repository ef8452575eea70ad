import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ShardUnavailableError } from '../core/errors.js';
import { memoryCluster, type MemoryCluster } from '../../test/helpers/memory-cluster.js';
import { within } from '../../test/helpers/wait.js';

const BLOCK = 4096;
const STRIPE = 6 * BLOCK;

const readsAsked = (c: MemoryCluster) => c.pool.stores().reduce((sum, s) => sum + s.reads, 0);
const resetReads = (c: MemoryCluster) => c.pool.stores().forEach((s) => (s.reads = 0));

/** A store's reads wait until the returned function is called. */
function stallNode(c: MemoryCluster, nodeId: string): () => void {
  let release!: () => void;
  c.pool.node(nodeId).stall = new Promise<void>((resolve) => (release = resolve));
  return () => {
    c.pool.node(nodeId).stall = undefined;
    release();
  };
}

test('reads: a range inside one block asks one node; a range over some blocks of a stripe asks only their nodes', async () => {
  const c = await memoryCluster();
  try {
    const body = randomBytes(3 * STRIPE);
    await c.put('r.bin', body);
    resetReads(c);
    assert.deepEqual(await c.read('_paths', 'r.bin', { start: 10, end: 100 }), body.subarray(10, 101));
    assert.equal(readsAsked(c), 1, 'bytes of block 0 come from shard 0 alone');
    resetReads(c);
    assert.deepEqual(await c.read('_paths', 'r.bin', { start: STRIPE + 2 * BLOCK + 5, end: STRIPE + 3 * BLOCK + 7 }), body.subarray(STRIPE + 2 * BLOCK + 5, STRIPE + 3 * BLOCK + 8));
    assert.equal(readsAsked(c), 2, 'blocks 2 and 3 of a stripe come from shards 2 and 3');
  } finally {
    await c.close();
  }
});

test('reads: a small range whose shard is lost is rebuilt from k others; one with its bytes corrupt too', async () => {
  const c = await memoryCluster();
  try {
    const body = randomBytes(2 * STRIPE);
    const object = await c.put('lost.bin', body);
    const shards = object.parts[0]!.shards;
    c.pool.stop(shards[0]!.nodeId);
    assert.deepEqual(await c.read('_paths', 'lost.bin', { start: 100, end: 200 }), body.subarray(100, 201));
    c.pool.start(shards[0]!.nodeId);
    c.pool.node(shards[1]!.nodeId).corrupt(shards[1]!.shardId, 10);
    assert.deepEqual(await c.read('_paths', 'lost.bin', { start: BLOCK + 1, end: BLOCK + 50 }), body.subarray(BLOCK + 1, BLOCK + 51), 'a corrupt block is rebuilt, not served');
  } finally {
    await c.close();
  }
});

test('reads: any range of any object reads exact, with up to m nodes down (property)', async () => {
  const c = await memoryCluster();
  try {
    const body = randomBytes(3 * STRIPE + 777);
    const object = await c.put('any.bin', body);
    const holders = object.parts[0]!.shards.map((s) => s.nodeId);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: body.length - 1 }),
        fc.integer({ min: 1, max: body.length }),
        fc.subarray(holders, { maxLength: 2 }),
        async (start, length, down) => {
          const end = Math.min(body.length - 1, start + length - 1);
          for (const id of down) c.pool.stop(id);
          try {
            assert.deepEqual(await c.read('_paths', 'any.bin', { start, end }), body.subarray(start, end + 1));
          } finally {
            for (const id of down) c.pool.start(id);
          }
        },
      ),
      { numRuns: 60 },
    );
  } finally {
    await c.close();
  }
});

// A stalled shard is waited for, not timed out: a read that waits for the whole stripe would hang here.
const patient = { readTimeoutMs: 600_000 };

test('reads: the first block is handed on while the other shards of its stripe are still on their way', { timeout: 20_000 }, async () => {
  const c = await memoryCluster(patient);
  try {
    const body = randomBytes(STRIPE + 1000);
    const object = await c.put('first.bin', body);
    const release = stallNode(c, object.parts[0]!.shards[3]!.nodeId);
    const reading = c.useCases.objects.read(object, undefined, new AbortController().signal)[Symbol.asyncIterator]();
    let first: Buffer;
    try {
      // Copied at once: a read's blocks are reused buffers.
      first = Buffer.from((await within(reading.next(), 10_000, 'block 0 while shard 3 stalls')).value as Buffer);
    } finally {
      release();
    }
    assert.ok(first.equals(body.subarray(0, BLOCK)));
    const chunks = [first];
    for (let r = await reading.next(); !r.done; r = await reading.next()) chunks.push(Buffer.from(r.value));
    assert.ok(Buffer.concat(chunks).equals(body));
  } finally {
    await c.close();
  }
});

test('reads: a long read asks for its first block alone, and for the rest of the stripe once it is in', { timeout: 20_000 }, async () => {
  const c = await memoryCluster(patient);
  try {
    const body = randomBytes(4 * STRIPE);
    const object = await c.put('lead.bin', body);
    resetReads(c);
    const release = stallNode(c, object.parts[0]!.shards[0]!.nodeId);
    const reading = c.useCases.objects.read(object, undefined, new AbortController().signal)[Symbol.asyncIterator]();
    const first = reading.next();
    let askedMeanwhile: number;
    try {
      await new Promise((resolve) => setImmediate(resolve));
      askedMeanwhile = readsAsked(c);
    } finally {
      release();
    }
    assert.equal(askedMeanwhile, 1, 'only shard 0 is asked while its block is awaited');
    const chunks = [Buffer.from(((await first).value as Buffer))];
    for (let r = await reading.next(); !r.done; r = await reading.next()) chunks.push(Buffer.from(r.value));
    assert.ok(Buffer.concat(chunks).equals(body));
    assert.ok(readsAsked(c) >= 6, 'the other shards are read once the first block is in');
  } finally {
    await c.close();
  }
});

test('reads: an object whose shards are mostly on nodes known to be down is refused before any byte', async () => {
  const c = await memoryCluster();
  try {
    const object = await c.put('gone.bin', randomBytes(2 * STRIPE));
    const holders = object.parts[0]!.shards.map((s) => s.nodeId);
    // The first block's node is up: without the check up front, its bytes would go out before the failure.
    for (const id of holders.slice(1, 4)) c.pool.stop(id);
    resetReads(c);
    const reading = c.useCases.objects.read(object, undefined, new AbortController().signal)[Symbol.asyncIterator]();
    await assert.rejects(reading.next(), ShardUnavailableError);
    assert.equal(readsAsked(c), 0, 'no shard was read');
  } finally {
    await c.close();
  }
});

test('reads: a node that stalls past the read timeout is read around, from parity', { timeout: 20_000 }, async () => {
  const c = await memoryCluster({ readTimeoutMs: 200 });
  try {
    const body = randomBytes(2 * STRIPE + 99);
    const object = await c.put('slow.bin', body);
    const release = stallNode(c, object.parts[0]!.shards[2]!.nodeId);
    try {
      assert.ok((await c.read('_paths', 'slow.bin')).equals(body));
    } finally {
      release();
    }
  } finally {
    await c.close();
  }
});

/** Bytes `range` of an object by the small-object read, or undefined where it gives way to the streamed read. */
async function readSmall(c: MemoryCluster, key: string, range?: { start: number; end: number }): Promise<Buffer | undefined> {
  const object = await c.useCases.objects.findLive('_paths', key);
  const pieces = await c.useCases.objects.readSmall(object!, range);
  return pieces && Buffer.concat(pieces);
}

test('small reads: an object of one stripe reads exact, whole and by any range, one message per data shard that holds wanted bytes (property)', async () => {
  const c = await memoryCluster();
  try {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: STRIPE }), fc.nat(), fc.nat(), async (size, a, b) => {
        const key = `small-${size}-${a}-${b}.bin`;
        const body = randomBytes(size);
        const object = await c.put(key, body);
        const block = object.parts[0]!.scheme.blockSize;
        const start = a % size;
        const end = start + (b % (size - start));
        resetReads(c);
        assert.deepEqual(await readSmall(c, key), body);
        assert.equal(readsAsked(c), Math.ceil(size / block), 'whole: every data shard that holds bytes, nothing else');
        resetReads(c);
        assert.deepEqual(await readSmall(c, key, { start, end }), body.subarray(start, end + 1));
        assert.equal(readsAsked(c), Math.floor(end / block) - Math.floor(start / block) + 1, 'ranged: the blocks of the range');
      }),
      { numRuns: 40 },
    );
  } finally {
    await c.close();
  }
});

test('small reads: a range of a larger object that lies in one stripe is read in one round, exact; one that crosses a stripe is left to the streamed read (property)', async () => {
  const c = await memoryCluster();
  try {
    const body = randomBytes(3 * STRIPE + 777);
    await c.put('large.bin', body);
    await fc.assert(
      fc.asyncProperty(fc.nat(body.length - 1), fc.nat(2 * STRIPE), async (start, span) => {
        const end = Math.min(body.length - 1, start + span);
        const oneStripe = Math.floor(start / STRIPE) === Math.floor(end / STRIPE);
        resetReads(c);
        const got = await readSmall(c, 'large.bin', { start, end });
        if (!oneStripe) {
          assert.equal(got, undefined);
          assert.equal(readsAsked(c), 0, 'nothing asked before giving way');
          return;
        }
        assert.deepEqual(got, body.subarray(start, end + 1));
        assert.equal(readsAsked(c), Math.floor((end % STRIPE) / BLOCK) - Math.floor((start % STRIPE) / BLOCK) + 1, 'the blocks of the range, each from its node');
      }),
      { numRuns: 60 },
    );
    assert.equal(await readSmall(c, 'large.bin'), undefined, 'the whole object spans stripes');
  } finally {
    await c.close();
  }
});

test('small reads: blocks larger than 64 KiB are streamed, also for a range inside one of them', async () => {
  const c = await memoryCluster({ scheme: { dataShards: 6, parityShards: 2, blockSize: 128 * 1024 } });
  try {
    await c.put('wide.bin', randomBytes(2 * 6 * 128 * 1024));
    resetReads(c);
    assert.equal(await readSmall(c, 'wide.bin', { start: 10, end: 1000 }), undefined);
    assert.equal(readsAsked(c), 0);
    const small = randomBytes(6 * 8 * 1024);
    await c.put('wide-but-small.bin', small);
    assert.deepEqual(await readSmall(c, 'wide-but-small.bin'), small, 'a small object gets blocks of its size, and a small read');
  } finally {
    await c.close();
  }
});

test('small reads: a corrupt, lost or unreachable shard gives way to the streamed read, which serves exact bytes from parity', async () => {
  const c = await memoryCluster();
  try {
    const body = randomBytes(STRIPE - 100);
    const object = await c.put('small-faults.bin', body);
    const shards = object.parts[0]!.shards;
    c.pool.node(shards[1]!.nodeId).corrupt(shards[1]!.shardId, 3);
    assert.equal(await readSmall(c, 'small-faults.bin'), undefined, 'a block that fails its checksum is never served');
    assert.deepEqual(await c.read('_paths', 'small-faults.bin'), body);
    const fresh = await c.put('small-lost.bin', body);
    const lost = fresh.parts[0]!.shards[4]!;
    await c.pool.node(lost.nodeId).delete(lost.shardId);
    assert.equal(await readSmall(c, 'small-lost.bin'), undefined);
    assert.deepEqual(await c.read('_paths', 'small-lost.bin'), body);
    const third = await c.put('small-down.bin', body);
    c.pool.stop(third.parts[0]!.shards[0]!.nodeId);
    assert.equal(await readSmall(c, 'small-down.bin'), undefined, 'a node known to be down is not asked');
    assert.deepEqual(await c.read('_paths', 'small-down.bin'), body);
  } finally {
    await c.close();
  }
});

test('small reads: a node that stalls past the read timeout is marked failed, so the streamed read goes around it at once', { timeout: 20_000 }, async () => {
  const c = await memoryCluster({ readTimeoutMs: 300 });
  try {
    const body = randomBytes(STRIPE - 7);
    const object = await c.put('small-slow.bin', body);
    const slow = object.parts[0]!.shards[3]!.nodeId;
    const release = stallNode(c, slow);
    try {
      assert.equal(await readSmall(c, 'small-slow.bin'), undefined);
      assert.equal(c.pool.isUp(slow), false, 'out of use until its next heartbeat');
      c.pool.node(slow).reads = 0;
      assert.deepEqual(await c.read('_paths', 'small-slow.bin'), body);
      assert.equal(c.pool.node(slow).reads, 0, 'the streamed read did not ask the stalled node again');
    } finally {
      release();
    }
  } finally {
    await c.close();
  }
});
