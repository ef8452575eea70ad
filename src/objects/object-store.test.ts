import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { KeyExistsError, ShardUnavailableError } from '../core/errors.js';
import { memoryCluster } from '../../test/helpers/memory-cluster.js';

const shardsHeld = (c: Awaited<ReturnType<typeof memoryCluster>>) => c.pool.stores().reduce((sum, s) => sum + s.ids().length, 0);

test('objects: what is stored reads back byte for byte, for any size around the stripe boundaries', async () => {
  const c = await memoryCluster();
  try {
    const stripe = 6 * 4096;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ min: 0, max: 3 * stripe + 7 }), fc.constantFrom(1, stripe - 1, stripe, stripe + 1)), async (size) => {
        const body = randomBytes(size);
        const key = `p/${size}-${randomBytes(4).toString('hex')}`;
        const object = await c.put(key, body);
        assert.equal(object.size, size);
        assert.deepEqual(await c.read('_paths', key), body);
      }),
      { numRuns: 40 },
    );
  } finally {
    await c.close();
  }
});

test('objects: a read survives m lost nodes and a corrupt shard, and fails cleanly beyond that', async () => {
  const c = await memoryCluster();
  try {
    const body = randomBytes(100_000);
    const object = await c.put('photos/a.jpg', body);
    const holders = object.parts[0]!.shards.map((s) => s.nodeId);
    assert.equal(new Set(holders).size, 8, 'the 8 shards of a part go to 8 distinct nodes');

    c.pool.stop(holders[0]!);
    c.pool.stop(holders[1]!);
    assert.deepEqual(await c.read('_paths', 'photos/a.jpg'), body, 'two nodes down: rebuilt from parity');

    c.pool.start(holders[1]!);
    const shard = object.parts[0]!.shards[1]!;
    c.pool.node(shard.nodeId).corrupt(shard.shardId, 10);
    assert.deepEqual(await c.read('_paths', 'photos/a.jpg'), body, 'one node down and one shard corrupt: still exact');

    c.pool.stop(holders[2]!);
    c.pool.stop(holders[3]!);
    await assert.rejects(c.read('_paths', 'photos/a.jpg'), ShardUnavailableError, 'beyond m losses the read fails, it never returns wrong bytes');
  } finally {
    await c.close();
  }
});

test('objects: the path namespace is write-once; an S3 overwrite replaces and logs the replaced object', async () => {
  const c = await memoryCluster();
  try {
    await c.put('once.txt', Buffer.from('first'));
    await assert.rejects(c.put('once.txt', Buffer.from('second')), KeyExistsError);
    assert.deepEqual(await c.read('_paths', 'once.txt'), Buffer.from('first'));

    assert.equal(await c.useCases.buckets.create('photos'), true);
    assert.equal(await c.useCases.buckets.create('photos'), false, 'a second create reports the bucket exists');
    const first = await c.put('k', Buffer.from('v1'), 'photos');
    await c.put('k', Buffer.from('v2'), 'photos');
    assert.deepEqual(await c.read('photos', 'k'), Buffer.from('v2'));
    await c.audit.flush();
    const log = await c.metadata.audit.query({ limit: 100 });
    assert.ok(log.some((e) => e.action === 'expire' && e.objectId === first.id && e.result === 'replaced'), 'the replaced object is logged as expired');
    assert.equal(log.filter((e) => e.action === 'create').length, 3);
  } finally {
    await c.close();
  }
});

test('objects: expire hides an object once and logs it; a copy shares its shards', async () => {
  const c = await memoryCluster();
  try {
    await c.useCases.buckets.create('b');
    const source = await c.put('src', randomBytes(50_000), 'b');
    const held = shardsHeld(c);
    const copy = await c.useCases.objects.copy(source, { bucket: 'b', key: 'dst', contentType: 'text/plain', headers: null }, c.caller);
    assert.equal(shardsHeld(c), held, 'a copy writes no shard');
    assert.equal(copy.etag, source.etag);
    assert.deepEqual(await c.read('b', 'dst'), await c.read('b', 'src'));

    assert.equal(await c.useCases.objects.expire(source, c.caller), true);
    assert.equal(await c.useCases.objects.expire(source, c.caller), false, 'a second delete loses the race');
    assert.equal(await c.useCases.objects.findLive('b', 'src'), undefined);
    assert.equal(await c.useCases.objects.expireKey('b', 'missing', c.caller), false);
    assert.equal(await c.useCases.buckets.remove('b'), 'not-empty', 'the copy still lives');
    await c.audit.flush();
    const expires = (await c.metadata.audit.query({ limit: 100 })).filter((e) => e.action === 'expire');
    assert.deepEqual(expires.map((e) => [e.key, e.result]), [['src', 'ok']]);
  } finally {
    await c.close();
  }
});

test('objects: an upload cut off midway leaves no object and no stored shard, and is logged as an abort', async () => {
  const c = await memoryCluster();
  try {
    async function* cut(): AsyncGenerator<Uint8Array> {
      yield randomBytes(60_000);
      throw new Error('client went away');
    }
    await assert.rejects(
      c.useCases.objects.put({ bucket: '_paths', key: 'cut.bin', body: cut(), declaredSize: 200_000, signal: new AbortController().signal }, c.caller),
    );
    assert.equal(await c.useCases.objects.findLive('_paths', 'cut.bin'), undefined);
    assert.equal(shardsHeld(c), 0, 'the shards written before the cut are deleted');
    assert.equal(c.pool.stores().reduce((sum, s) => sum + s.tempCount(), 0), 0, 'and no upload is left open on a node');
    await c.audit.flush();
    assert.deepEqual((await c.metadata.audit.query({ limit: 10 })).map((e) => [e.action, e.key]), [['abort', 'cut.bin']]);
  } finally {
    await c.close();
  }
});
