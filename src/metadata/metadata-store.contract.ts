import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MetadataStore } from './metadata-store.js';
import type { NewObject, UploadIntent } from './records.js';
import { KeyExistsError } from '../core/errors.js';

/** The behaviour every MetadataStore implementation must have; each implementation runs this suite. */
export function metadataStoreContract(name: string, open: () => Promise<MetadataStore>): void {
  const object = (key: string, id = randomUUID()): NewObject => ({
    id, bucket: 'b', key, size: 10, etag: 'e'.repeat(32), sha256: 's'.repeat(64), contentType: 'text/plain', name: null,
    createdAt: 1_700_000_000_000,
    parts: [{
      partNo: 1, offset: 0, size: 10, scheme: { dataShards: 2, parityShards: 1, blockSize: 8 },
      shards: [0, 1, 2].map((index) => ({ index, nodeId: `node-${index}`, shardId: randomUUID(), size: 12 })),
    }],
  });
  const intentFor = (o: NewObject, createdAt = Date.now()): UploadIntent => ({
    id: o.id, bucket: o.bucket, key: o.key, createdAt,
    shards: o.parts[0]!.shards.map((s) => ({ nodeId: s.nodeId, shardId: s.shardId })),
  });

  test(`${name}: a committed object reads back whole and its intent is gone`, async () => {
    const store = await open();
    try {
      const o = object('a/b.txt');
      await store.intents.create(intentFor(o, 1000));
      assert.equal((await store.intents.olderThan(2000, 10)).length, 1);
      assert.equal(await store.objects.findLive('b', 'a/b.txt'), undefined, 'invisible before the commit');
      await store.objects.commit(o, o.id);
      const back = await store.objects.findLive('b', 'a/b.txt');
      assert.deepEqual(back, { ...o, expiresAt: null, deletedAt: null });
      assert.equal((await store.intents.olderThan(2000, 10)).length, 0);
      assert.equal(await store.objects.findLive('other', 'a/b.txt'), undefined, 'buckets are separate namespaces');
    } finally {
      await store.close();
    }
  });

  test(`${name}: a second live object at a key is refused and changes nothing`, async () => {
    const store = await open();
    try {
      const first = object('k');
      await store.objects.commit(first, first.id);
      const second = object('k');
      await store.intents.create(intentFor(second));
      await assert.rejects(store.objects.commit(second, second.id), KeyExistsError);
      assert.equal((await store.objects.findLive('b', 'k'))!.id, first.id);
      assert.equal((await store.intents.olderThan(Date.now() + 1, 10)).length, 1, 'the loser keeps its intent');
    } finally {
      await store.close();
    }
  });

  test(`${name}: nodes register and heartbeat`, async () => {
    const store = await open();
    try {
      const id = randomUUID();
      await store.nodes.upsert({ id, url: 'http://127.0.0.1:1', capacity: 100, used: 0, shards: 0 }, 1000);
      await store.nodes.upsert({ id, url: 'http://127.0.0.1:2', capacity: 100, used: 40, shards: 3 }, 2000);
      const [node] = await store.nodes.list();
      assert.deepEqual(node, { id, url: 'http://127.0.0.1:2', capacity: 100, used: 40, shards: 3, firstSeen: 1000, lastSeen: 2000 });
    } finally {
      await store.close();
    }
  });

  test(`${name}: intents are listed oldest first and removed`, async () => {
    const store = await open();
    try {
      const a = object('x');
      const b = object('y');
      await store.intents.create(intentFor(b, 200));
      await store.intents.create(intentFor(a, 100));
      assert.deepEqual((await store.intents.olderThan(300, 10)).map((i) => i.key), ['x', 'y']);
      assert.deepEqual((await store.intents.olderThan(150, 10)).map((i) => i.key), ['x']);
      await store.intents.remove(a.id);
      assert.deepEqual((await store.intents.olderThan(300, 10)).map((i) => i.key), ['y']);
      assert.deepEqual((await store.intents.olderThan(300, 10))[0]!.shards, intentFor(b).shards);
    } finally {
      await store.close();
    }
  });
}
