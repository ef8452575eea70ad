import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MetadataStore } from '../domain/metadata-store.js';
import type { NewObject, UploadIntent } from '../domain/records.js';
import { IntentGoneError, KeyExistsError, LeaseLostError, SchemaTooOldError } from '../core/errors.js';
import type { OpenOptions } from './schema-check.js';
import { s3MetadataContract } from './s3-metadata.contract.js';

/** The behaviour every MetadataStore implementation must have; each implementation runs this suite. */
export function metadataStoreContract(name: string, open: () => Promise<MetadataStore>): void {
  const object = (key: string, id = randomUUID(), sha256 = 's'.repeat(64), createdAt = 1_700_000_000_000): NewObject => ({
    id, bucket: 'b', key, size: 10, etag: 'e'.repeat(32), sha256, contentType: 'text/plain', name: null,
    createdAt,
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
      assert.deepEqual(back, { ...o, expiresAt: null, deletedAt: null, headers: null });
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
      await store.intents.create(intentFor(first));
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

  test(`${name}: the live totals follow commits, replacements, expiry and purges without a scan`, async () => {
    const store = await open();
    try {
      assert.deepEqual(await store.objects.totals(), { objects: 0, bytes: 0, sharedBytes: 0 });
      const a = { ...object('t/a'), size: 100 };
      const b = { ...object('t/b'), size: 2500 };
      for (const o of [a, b]) {
        await store.intents.create(intentFor(o));
        await store.objects.commit(o, o.id);
      }
      assert.deepEqual(await store.objects.totals(), { objects: 2, bytes: 2600, sharedBytes: 0 });
      // An S3 overwrite: the new object replaces the old one at its key.
      const b2 = { ...object('t/b'), size: 40 };
      await store.intents.create(intentFor(b2));
      await store.objects.commit(b2, b2.id, { replace: true });
      assert.deepEqual(await store.objects.totals(), { objects: 2, bytes: 140, sharedBytes: 0 });
      assert.ok(await store.objects.expire(a.id, 5000));
      assert.ok(!(await store.objects.expire(a.id, 5001)), 'expired once');
      assert.deepEqual(await store.objects.totals(), { objects: 1, bytes: 40, sharedBytes: 0 });
      await store.objects.markPurged(a.id, 6000);
      assert.deepEqual(await store.objects.totals(), { objects: 1, bytes: 40, sharedBytes: 0 });
    } finally {
      await store.close();
    }
  });

  test(`${name}: shared bytes follow deduplication, shard moves and expiry`, async () => {
    const store = await open();
    try {
      const sha = 'd'.repeat(64);
      const [a, b, c] = ['s/a', 's/b', 's/c'].map((k) => ({ ...object(k, randomUUID(), sha), size: 300 }));
      for (const o of [a!, b!, c!]) {
        await store.intents.create(intentFor(o));
        await store.objects.commit(o, o.id);
      }
      const shared = async () => (await store.objects.totals()).sharedBytes;
      assert.equal(await shared(), 0, 'same content, own shards: nothing saved yet');
      assert.ok(await store.sharing.share(a!.id, b!.id, 1000));
      assert.equal(await shared(), 300, 'b uses a\'s shards');
      assert.ok(await store.sharing.share(a!.id, c!.id, 1000));
      assert.equal(await shared(), 600, 'three objects, one copy stored');
      // The repairer or rebalancer moves the first shard: every sharer's row follows, the saving stays.
      const first = a!.parts[0]!.shards[0]!;
      const intent = { id: randomUUID(), bucket: 'b', key: 's/a', createdAt: 2000, shards: [{ nodeId: 'node-9', shardId: randomUUID() }] };
      await store.intents.create(intent);
      const moved = await store.placement.moveShards(
        [{ part: { objectId: a!.id, partNo: 1, index: 0 }, from: first, to: { nodeId: 'node-9', shardId: intent.shards[0]!.shardId, size: first.size } }],
        intent.id,
        2000,
      );
      assert.equal(moved, 3, 'all three sharers follow');
      assert.equal(await shared(), 600);
      assert.ok(await store.objects.expire(a!.id, 3000));
      assert.equal(await shared(), 300, 'two left sharing');
      assert.ok(await store.objects.expire(c!.id, 3001));
      assert.equal(await shared(), 0, 'one left: nothing shared');
      assert.deepEqual(await store.objects.totals(), { objects: 1, bytes: 300, sharedBytes: 0 });
    } finally {
      await store.close();
    }
  });

  test(`${name}: nodes register and heartbeat`, async () => {
    const store = await open();
    try {
      const id = randomUUID();
      await store.nodes.upsert({ id, url: 'http://127.0.0.1:1', capacity: 100, used: 0, shards: 0, fsId: null, fsFree: null, zone: null, machine: null }, 1000);
      await store.nodes.upsert({ id, url: 'http://127.0.0.1:2', capacity: 100, used: 40, shards: 3, fsId: 'host:2049', fsFree: 60, zone: 'eu-1', machine: 'rack2-host7' }, 2000);
      const [node] = await store.nodes.list();
      assert.deepEqual(node, { id, url: 'http://127.0.0.1:2', capacity: 100, used: 40, shards: 3, fsId: 'host:2049', fsFree: 60, zone: 'eu-1', machine: 'rack2-host7', drain: null, firstSeen: 1000, lastSeen: 2000 });
      // An operator's drain survives the node's heartbeats; it can be cleared; an unknown node is said to be one.
      assert.equal(await store.nodes.setDrain(id, 'draining', 3000), true);
      await store.nodes.upsert({ id, url: 'http://127.0.0.1:2', capacity: 100, used: 41, shards: 3, fsId: 'host:2049', fsFree: 59, zone: 'eu-1', machine: 'rack2-host7' }, 4000);
      assert.equal((await store.nodes.list())[0]!.drain, 'draining');
      assert.equal(await store.nodes.setDrain(id, 'retired', 5000), true);
      assert.equal((await store.nodes.list())[0]!.drain, 'retired');
      assert.equal(await store.nodes.setDrain(id, null, 6000), true);
      assert.equal((await store.nodes.list())[0]!.drain, null);
      assert.equal(await store.nodes.setDrain(randomUUID(), 'draining', 7000), false);
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

  test(`${name}: expiry hides an object from its key but keeps it by id until purged`, async () => {
    const store = await open();
    try {
      const o = { ...object('f'), ownerKeyHash: 'h'.repeat(64) };
      await store.intents.create(intentFor(o));
      await store.objects.commit(o, o.id);
      assert.equal(await store.objects.ownerKeyHash(o.id), 'h'.repeat(64));
      assert.equal(await store.objects.expire(o.id, 5000), true);
      assert.equal(await store.objects.expire(o.id, 6000), false, 'already expired');
      assert.equal(await store.objects.findLive('b', 'f'), undefined);
      assert.equal((await store.objects.findById(o.id))!.expiresAt, 5000);
      const again = object('f');
      await store.intents.create(intentFor(again));
      await store.objects.commit(again, again.id);
      assert.deepEqual((await store.objects.expiredNotPurged(10)).map((x) => x.id), [o.id]);
      const shardIds = o.parts[0]!.shards.map((s) => s.shardId);
      assert.deepEqual(await store.objects.referencedShards([...shardIds, 'unknown']), new Set(shardIds));
      await store.objects.markPurged(o.id, 7000);
      assert.deepEqual(await store.objects.expiredNotPurged(10), []);
      assert.equal((await store.objects.findById(o.id))!.deletedAt, 7000);
      assert.equal(await store.objects.findById('nope'), undefined);
    } finally {
      await store.close();
    }
  });

  test(`${name}: a live object's stored headers are replaced in place; an expired one's are not`, async () => {
    const store = await open();
    try {
      const o = { ...object('tagged'), headers: { 'x-amz-meta-a': '1' } };
      await store.intents.create(intentFor(o));
      await store.objects.commit(o, o.id);
      assert.equal(await store.objects.setHeaders(o, { 'x-amz-meta-a': '1', 'x-amz-tagging': 'k=v' }), true);
      assert.deepEqual((await store.objects.findLive('b', 'tagged'))!.headers, { 'x-amz-meta-a': '1', 'x-amz-tagging': 'k=v' });
      assert.equal(await store.objects.setHeaders({ ...o, key: 'other' }, {}), false, 'the id must be live at that key');
      await store.objects.expire(o.id, 5000);
      assert.equal(await store.objects.setHeaders(o, {}), false);
      assert.deepEqual((await store.objects.findById(o.id))!.headers, { 'x-amz-meta-a': '1', 'x-amz-tagging': 'k=v' });
    } finally {
      await store.close();
    }
  });

  test(`${name}: an intent claimed by the cleaner can no longer commit, and vice versa`, async () => {
    const store = await open();
    try {
      const o = object('claimed');
      await store.intents.create(intentFor(o, 100));
      assert.equal(await store.intents.claim(o.id, 50), false, 'not stale yet');
      assert.equal(await store.intents.claim(o.id, 200), true);
      await assert.rejects(store.objects.commit(o, o.id), IntentGoneError);
      assert.equal(await store.objects.findLive('b', 'claimed'), undefined, 'nothing became visible');
      const p = object('committed');
      await store.intents.create(intentFor(p, 100));
      await store.objects.commit(p, p.id);
      assert.equal(await store.intents.claim(p.id, 200), false, 'a committed upload has no intent to claim');
    } finally {
      await store.close();
    }
  });

  test(`${name}: a touched intent is not stale; open intents list their shards`, async () => {
    const store = await open();
    try {
      const o = object('t');
      await store.intents.create(intentFor(o, 100));
      await store.intents.touch(o.id, 900);
      assert.deepEqual(await store.intents.olderThan(500, 10), []);
      assert.equal((await store.intents.olderThan(1000, 10))[0]!.updatedAt, 900);
      assert.deepEqual(await store.intents.openShardIds(), new Set(o.parts[0]!.shards.map((s) => s.shardId)));
    } finally {
      await store.close();
    }
  });

  test(`${name}: the audit log answers newest first, by object and by action`, async () => {
    const store = await open();
    try {
      const entry = (action: 'create' | 'download', objectId: string, at: number) => ({
        at, action, objectId, bucket: 'b', key: 'k', client: '127.0.0.1', bytes: 10, durationMs: 3, result: 'ok',
      });
      await store.audit.append([entry('create', 'x', 1), entry('download', 'x', 2), entry('create', 'y', 3)]);
      await store.audit.append([entry('download', 'x', 4)]);
      assert.deepEqual((await store.audit.query({ objectId: 'x', limit: 10 })).map((e) => e.at), [4, 2, 1]);
      assert.deepEqual((await store.audit.query({ action: 'create', limit: 10 })).map((e) => e.objectId), ['y', 'x']);
      assert.deepEqual((await store.audit.query({ limit: 2 })).map((e) => e.at), [4, 3]);
      const [last] = await store.audit.query({ objectId: 'x', action: 'download', limit: 1 });
      assert.deepEqual({ ...last, id: undefined }, { ...entry('download', 'x', 4), id: undefined });
    } finally {
      await store.close();
    }
  });

  const commitNew = async (store: MetadataStore, o: NewObject) => {
    await store.intents.create(intentFor(o));
    await store.objects.commit(o, o.id);
    return o;
  };
  const shardIdsOf = (o: { parts: readonly { shards: readonly { shardId: string }[] }[] }) =>
    o.parts.flatMap((p) => p.shards.map((s) => s.shardId));

  test(`${name}: duplicates come to share the oldest one's shards; the freed shards are queued once`, async () => {
    const store = await open();
    try {
      const content = 'c'.repeat(64);
      const first = await commitNew(store, object('dup/1', randomUUID(), content, 1000));
      const second = await commitNew(store, object('dup/2', randomUUID(), content, 2000));
      const third = await commitNew(store, object('dup/3', randomUUID(), content, 3000));
      await commitNew(store, object('other', randomUUID(), 'd'.repeat(64), 500));
      const groups = await store.sharing.duplicateGroups(10);
      assert.deepEqual(groups, [{ sha256: content, size: 10, objectIds: [first.id, second.id, third.id] }]);

      const freed = await store.sharing.share(first.id, second.id, 5000);
      assert.deepEqual(new Set(freed!.map((s) => s.shardId)), new Set(shardIdsOf(second)));
      assert.deepEqual(shardIdsOf((await store.objects.findById(second.id))!), shardIdsOf(first));
      assert.equal((await store.objects.findById(second.id))!.key, 'dup/2', 'the sharer keeps its own identity');
      assert.equal(await store.sharing.share(first.id, second.id, 5001), null, 'sharing twice changes nothing');
      await store.sharing.share(first.id, third.id, 5002);
      assert.deepEqual(await store.sharing.duplicateGroups(10), [], 'nothing left to share');
      assert.equal(await store.sharing.sharers(first.id), 3);

      const queued = await store.garbage.pending(10, ['node-0', 'node-1', 'node-2']);
      assert.deepEqual(new Set(queued.map((s) => s.shardId)), new Set([...shardIdsOf(second), ...shardIdsOf(third)]));
      assert.deepEqual(queued.find((s) => s.shardId === shardIdsOf(second)[0]), second.parts[0]!.shards.map((s) => ({ nodeId: s.nodeId, shardId: s.shardId, size: s.size }))[0]);
      await store.garbage.remove(shardIdsOf(second));
      assert.deepEqual(new Set((await store.garbage.pending(10, ['node-0', 'node-1', 'node-2'])).map((s) => s.shardId)), new Set(shardIdsOf(third)));
      assert.equal((await store.garbage.pending(1, ['node-0', 'node-1', 'node-2'])).length, 1);
    } finally {
      await store.close();
    }
  });

  test(`${name}: a shared shard stays referenced until the last sharer is purged`, async () => {
    const store = await open();
    try {
      const content = 'f'.repeat(64);
      const a = await commitNew(store, object('s/a', randomUUID(), content, 1000));
      const b = await commitNew(store, object('s/b', randomUUID(), content, 2000));
      await store.sharing.share(a.id, b.id, 3000);
      const shared = shardIdsOf(a);
      assert.deepEqual(await store.objects.referencedShards(shared, a.id), new Set(shared), 'b still uses them');
      await store.objects.expire(a.id, 4000);
      await store.objects.markPurged(a.id, 4001);
      assert.deepEqual(await store.objects.referencedShards(shared), new Set(shared), 'b, though a is purged');
      assert.deepEqual(await store.objects.referencedShards(shared, b.id), new Set(), 'a purged object references nothing');
      assert.equal(await store.sharing.sharers(b.id), 1);
    } finally {
      await store.close();
    }
  });

  test(`${name}: only live objects with equal content share`, async () => {
    const store = await open();
    try {
      const a = await commitNew(store, object('x/a', randomUUID(), 'a'.repeat(64), 1000));
      const b = await commitNew(store, object('x/b', randomUUID(), 'b'.repeat(64), 2000));
      assert.equal(await store.sharing.share(a.id, b.id, 3000), null, 'different content');
      const c = await commitNew(store, object('x/c', randomUUID(), 'a'.repeat(64), 3000));
      await store.objects.expire(a.id, 4000);
      assert.equal(await store.sharing.share(a.id, c.id, 5000), null, 'an expired object shares nothing');
      assert.equal(await store.sharing.share(c.id, a.id, 5000), null, 'nor is it given shards');
      assert.deepEqual(await store.sharing.duplicateGroups(10), []);
      assert.deepEqual(await store.garbage.pending(10, ['node-0', 'node-1', 'node-2']), []);
      assert.deepEqual(shardIdsOf((await store.objects.findById(c.id))!), shardIdsOf(c));
    } finally {
      await store.close();
    }
  });

  test(`${name}: parts to repair, and a moved shard followed by every object that shares it`, async () => {
    const store = await open();
    try {
      const content = '9'.repeat(64);
      const a = await commitNew(store, object('m/a', randomUUID(), content, 1000));
      const b = await commitNew(store, object('m/b', randomUUID(), content, 2000));
      await store.sharing.share(a.id, b.id, 2500);
      const other = await commitNew(store, object('m/other', randomUUID(), 'o'.repeat(64), 3000));
      const all = ['node-0', 'node-1', 'node-2'];
      await store.garbage.remove((await store.garbage.pending(100, all)).map((g) => g.shardId));

      const refs = (parts: { objectId: string; partNo: number }[]) => parts.map((p) => p.objectId).sort();
      assert.deepEqual(refs(await store.placement.partsToRepair(['node-9'], 10)), [], 'nothing on an unknown node');
      assert.deepEqual(refs(await store.placement.partsToRepair(['node-1'], 10)), [a.id, b.id, other.id].sort());
      const victim = a.parts[0]!.shards[2]!;
      await store.placement.reportDamaged(victim, 'checksum', 4000);
      await store.placement.reportDamaged(victim, 'checksum again', 4001);
      assert.deepEqual(await store.placement.damaged(10), new Set([victim.shardId]));
      assert.deepEqual(refs(await store.placement.partsToRepair([], 10)), [a.id, b.id].sort());
      assert.deepEqual(
        (await store.placement.shardsOnNode('node-2', 10)).map((s) => s.shardId).sort(),
        [victim.shardId, victim.shardId, other.parts[0]!.shards[2]!.shardId].sort(),
      );
      assert.equal(await store.placement.countOnNode('node-2'), 2, 'distinct shards of live objects: the shared one counts once');
      assert.equal(await store.placement.countOnNode('node-9'), 0);

      const intent = { id: randomUUID(), bucket: 'b', key: 'm/a', createdAt: 5000, shards: [{ nodeId: 'node-7', shardId: 'new-shard' }] };
      await store.intents.create(intent);
      const move = { part: { objectId: a.id, partNo: 1, index: 2 }, from: { shardId: victim.shardId, nodeId: victim.nodeId }, to: { shardId: 'new-shard', nodeId: 'node-7', size: 12 } };
      // A pass whose lease went to another holder changes nothing.
      const fence = { lease: 'repair:pass', holder: 'pass-1' };
      assert.equal(await store.leases.tryAcquire('repair:pass', 'pass-1', 1000, 3000), true);
      await assert.rejects(store.placement.moveShards([move], intent.id, 5001, fence), LeaseLostError, 'an expired lease fences the pass out');
      assert.equal(await store.leases.tryAcquire('repair:pass', 'pass-2', 60_000, 5001), true, 'another holder takes it');
      await assert.rejects(store.placement.moveShards([move], intent.id, 5001, fence), LeaseLostError, 'so does a lease taken over');
      assert.equal((await store.objects.findById(a.id))!.parts[0]!.shards[2]!.shardId, victim.shardId, 'nothing moved');
      assert.equal(await store.placement.moveShards([move], intent.id, 5001, { lease: 'repair:pass', holder: 'pass-2' }), 2, 'both sharers follow');
      for (const id of [a.id, b.id]) {
        const shard = (await store.objects.findById(id))!.parts[0]!.shards[2]!;
        assert.deepEqual(shard, { index: 2, nodeId: 'node-7', shardId: 'new-shard', size: 12 });
      }
      assert.deepEqual(await store.placement.damaged(10), new Set(), 'the damage report is settled');
      assert.deepEqual(await store.garbage.pending(10, all), [{ nodeId: 'node-2', shardId: victim.shardId, size: 12 }], 'the old copy is garbage');
      assert.deepEqual(await store.intents.olderThan(Date.now() + 1, 10), [], 'the intent is dropped');
      await assert.rejects(store.placement.moveShards([move], intent.id, 5002), IntentGoneError, 'no intent, no move');

      // The cleaner's changes are fenced the same way: a stale pass changes nothing.
      const stale = { lease: 'repair:pass', holder: 'pass-1' };
      const live = { lease: 'repair:pass', holder: 'pass-2' };
      assert.equal(await store.leases.tryAcquire('repair:pass', 'pass-2', 60_000, Date.now()), true, 'renewed on the real clock');
      await assert.rejects(store.garbage.remove([victim.shardId], stale), LeaseLostError);
      assert.equal((await store.garbage.pending(10, all)).length, 1, 'the garbage row stays');
      const abandoned = { id: randomUUID(), bucket: 'b', key: 'm/x', createdAt: 1, shards: [] };
      await store.intents.create(abandoned);
      await assert.rejects(store.intents.claim(abandoned.id, Date.now() + 1, stale), LeaseLostError);
      assert.equal(await store.intents.claim(abandoned.id, Date.now() + 1, live), true);
      await assert.rejects(store.objects.markPurged(a.id, 6000, stale), LeaseLostError);
      await store.garbage.remove([victim.shardId], live);
      assert.deepEqual(await store.garbage.pending(10, all), []);
      // And the repairer's, the scrubber's and a copy's intent.
      await assert.rejects(store.placement.reportDamaged(victim, 'scrub', Date.now(), stale), LeaseLostError);
      assert.deepEqual(await store.placement.damaged(10), new Set(), 'no damage recorded by a stale pass');
      await assert.rejects(store.placement.settle({ objectId: a.id, partNo: 1 }, stale), LeaseLostError);
      await assert.rejects(store.intents.create({ ...abandoned, id: randomUUID() }, stale), LeaseLostError);
      await store.placement.reportDamaged(victim, 'scrub', Date.now(), live);
      assert.deepEqual(await store.placement.damaged(10), new Set([victim.shardId]));
    } finally {
      await store.close();
    }
  });

  test(`${name}: an under-replicated part is listed for repair until a shard is added and it is settled`, async () => {
    const store = await open();
    try {
      const full = object('u/full');
      const o = { ...full, parts: [{ ...full.parts[0]!, shards: full.parts[0]!.shards.slice(0, 2) }] };
      await commitNew(store, o);
      assert.deepEqual(await store.placement.partsToRepair([], 10), [{ objectId: o.id, partNo: 1 }]);
      await store.placement.settle({ objectId: o.id, partNo: 1 });
      assert.equal((await store.placement.partsToRepair([], 10)).length, 1, 'still missing a shard');
      const intent = { id: randomUUID(), bucket: 'b', key: 'u/full', createdAt: 1, shards: [{ nodeId: 'node-5', shardId: 'added' }] };
      await store.intents.create(intent);
      const add = { part: { objectId: o.id, partNo: 1, index: 2 }, from: null, to: { shardId: 'added', nodeId: 'node-5', size: 12 } };
      assert.equal(await store.placement.moveShards([add], intent.id, 2), 1);
      assert.deepEqual((await store.objects.findById(o.id))!.parts[0]!.shards.map((s) => s.shardId), [...shardIdsOf(o), 'added']);
      await store.placement.settle({ objectId: o.id, partNo: 1 });
      assert.deepEqual(await store.placement.partsToRepair([], 10), []);
    } finally {
      await store.close();
    }
  });

  test(`${name}: S3 access keys are created, found, listed and removed`, async () => {
    const store = await open();
    try {
      const key = { accessKey: 'SSAK' + randomUUID().slice(0, 8).toUpperCase(), secretKey: 's'.repeat(40), name: 'ci', createdAt: 5, admin: false };
      await store.accessKeys.create(key);
      await store.accessKeys.create({ ...key, accessKey: 'SSAKSECOND', createdAt: 6, admin: true });
      assert.equal((await store.accessKeys.find('SSAKSECOND'))!.admin, true);
      assert.deepEqual(await store.accessKeys.find(key.accessKey), key);
      assert.equal(await store.accessKeys.find('NOPE'), undefined);
      assert.deepEqual((await store.accessKeys.list()).map((k) => k.accessKey), [key.accessKey, 'SSAKSECOND']);
      await assert.rejects(store.accessKeys.create(key), 'an access key is unique');
      assert.equal(await store.accessKeys.remove(key.accessKey), true);
      assert.equal(await store.accessKeys.remove(key.accessKey), false);
      assert.deepEqual((await store.accessKeys.list()).map((k) => k.accessKey), ['SSAKSECOND']);
    } finally {
      await store.close();
    }
  });

  test(`${name}: keys are granted read, write or owner per bucket; a bucket made by a key is its owner's; grants go with the key or the bucket`, async () => {
    const store = await open();
    try {
      const key = (accessKey: string) => ({ accessKey, secretKey: 's'.repeat(40), name: accessKey, createdAt: 1, admin: false });
      await store.accessKeys.create(key('SSAKALICE'));
      await store.accessKeys.create(key('SSAKBOB'));
      assert.equal(await store.buckets.create({ name: 'alice-data', createdAt: 1 }, 'SSAKALICE'), true);
      assert.equal(await store.buckets.create({ name: 'alice-data', createdAt: 2 }, 'SSAKBOB'), false);
      assert.equal(await store.accessKeys.accessTo('SSAKALICE', 'alice-data'), 'owner');
      assert.equal(await store.accessKeys.accessTo('SSAKBOB', 'alice-data'), undefined, 'a refused create grants nothing');
      assert.equal(await store.accessKeys.grant('SSAKBOB', 'alice-data', 'read'), true);
      assert.equal(await store.accessKeys.grant('SSAKBOB', 'alice-data', 'write'), true);
      assert.equal(await store.accessKeys.accessTo('SSAKBOB', 'alice-data'), 'write', 'a second grant replaces the first');
      assert.equal(await store.accessKeys.grant('SSAKNOBODY', 'alice-data', 'read'), false);
      assert.deepEqual(await store.accessKeys.grants('SSAKBOB'), [{ accessKey: 'SSAKBOB', bucket: 'alice-data', access: 'write' }]);
      assert.deepEqual((await store.accessKeys.grants()).map((g) => `${g.accessKey}:${g.bucket}:${g.access}`), ['SSAKALICE:alice-data:owner', 'SSAKBOB:alice-data:write']);
      assert.equal(await store.accessKeys.grant('SSAKBOB', 'alice-data', null), true);
      assert.equal(await store.accessKeys.accessTo('SSAKBOB', 'alice-data'), undefined);

      assert.equal((await store.buckets.find('alice-data'))!.publicRead, false);
      assert.equal(await store.buckets.setPublicRead('alice-data', true), true);
      assert.equal((await store.buckets.find('alice-data'))!.publicRead, true);
      assert.equal(await store.buckets.setPublicRead('no-such-bucket', true), false);

      const cors = [{ allowedOrigins: ['https://app.example'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['*'], exposeHeaders: ['ETag'], maxAgeSeconds: 600 }];
      const lifecycle = [{ id: 'logs', enabled: true, prefix: 'logs/', tags: [{ key: 'tier', value: 'tmp' }], expirationDays: 30, abortIncompleteDays: 2 }];
      assert.equal(await store.buckets.configure('alice-data', 'cors', cors), true);
      assert.equal(await store.buckets.configure('alice-data', 'lifecycle', lifecycle), true);
      assert.deepEqual((await store.buckets.find('alice-data'))!.cors, cors);
      assert.deepEqual((await store.buckets.list()).find((b) => b.name === 'alice-data')!.lifecycle, lifecycle);
      assert.equal(await store.buckets.configure('alice-data', 'cors', null), true);
      const bucket = (await store.buckets.find('alice-data'))!;
      assert.equal(bucket.cors, undefined, 'a removed setting is gone');
      assert.deepEqual(bucket.lifecycle, lifecycle, 'removing one setting keeps the other');
      assert.equal(await store.buckets.configure('no-such-bucket', 'cors', cors), false);

      await store.accessKeys.grant('SSAKBOB', 'alice-data', 'read');
      assert.equal(await store.accessKeys.remove('SSAKBOB'), true);
      assert.deepEqual(await store.accessKeys.grants('SSAKBOB'), []);
      assert.equal(await store.buckets.remove('alice-data'), 'removed');
      assert.deepEqual(await store.accessKeys.grants(), [], 'a removed bucket leaves no grants behind for a namesake');
    } finally {
      await store.close();
    }
  });

  test(`${name}: a lease has one holder until it expires or is released`, async () => {
    const store = await open();
    try {
      assert.equal(await store.leases.tryAcquire('gc', 'g1', 1000, 0), true);
      assert.equal(await store.leases.tryAcquire('gc', 'g2', 1000, 500), false);
      assert.deepEqual(await store.leases.holderOf('gc', 500), { holder: 'g1', expiresAt: 1000 });
      assert.equal(await store.leases.holderOf('gc', 1001), undefined, 'an expired lease has no holder');
      assert.equal(await store.leases.tryAcquire('gc', 'g1', 1000, 600), true, 'the holder renews');
      assert.equal(await store.leases.tryAcquire('gc', 'g2', 1000, 1700), true, 'an expired lease is taken over');
      await store.leases.release('gc', 'g1');
      assert.equal(await store.leases.tryAcquire('gc', 'g1', 1000, 1800), false, 'only the holder releases');
      await store.leases.release('gc', 'g2');
      assert.equal(await store.leases.tryAcquire('gc', 'g1', 1000, 1800), true);
    } finally {
      await store.close();
    }
  });
  s3MetadataContract(name, open);
}

/** Rows as the previous schema version wrote them: two path objects with the same content. */
export const PREVIOUS_SCHEMA_ROWS = `
  INSERT INTO objects (id, bucket, key, size, etag, sha256, content_type, name, owner_key_hash, created_at)
    VALUES ('o1', '_paths', 'old/1', 10, 'e', 'h', NULL, NULL, NULL, 1), ('o2', '_paths', 'old/2', 10, 'e', 'h', NULL, NULL, NULL, 2),
           ('o3', 'bk', 'copy-of-1', 10, 'e', 'h3', NULL, NULL, NULL, 3);
  INSERT INTO parts (object_id, part_no, "offset", size, data_shards, parity_shards, block_size)
    VALUES ('o1', 1, 0, 10, 1, 1, 16), ('o2', 1, 0, 10, 1, 1, 16), ('o3', 1, 0, 10, 1, 1, 16);
  INSERT INTO shards (object_id, part_no, shard_index, node_id, shard_id, size)
    VALUES ('o1', 1, 0, 'n0', 's10', 12), ('o1', 1, 1, 'n1', 's11', 12), ('o2', 1, 0, 'n0', 's20', 12), ('o2', 1, 1, 'n1', 's21', 12),
           ('o3', 1, 0, 'n0', 's10', 12), ('o3', 1, 1, 'n1', 's11', 12);`;

export interface SchemaHooks {
  /** A new database with no schema. */
  empty(): Promise<string>;
  /** A new database at the previous schema version holding PREVIOUS_SCHEMA_ROWS. */
  previousWithRows(): Promise<string>;
  open(url: string, options: OpenOptions): Promise<MetadataStore>;
}

/** Gateways refuse an old schema; `migrate` upgrades one without losing a row. */
export function schemaUpgradeContract(name: string, hooks: SchemaHooks): void {
  test(`${name}: without migrate, an empty or older schema is refused with the command to run`, async () => {
    for (const url of [await hooks.empty(), await hooks.previousWithRows()]) {
      await assert.rejects(hooks.open(url, { migrate: false }), (error: Error) => {
        assert.ok(error instanceof SchemaTooOldError, String(error));
        assert.match(error.message, /shardstore migrate --db /);
        return true;
      });
    }
  });

  test(`${name}: migrating from the previous schema keeps every object, and they can share shards then`, async () => {
    const url = await hooks.previousWithRows();
    await (await hooks.open(url, { migrate: true })).close();
    const store = await hooks.open(url, { migrate: false });
    try {
      // o3 names o1's shards (a copy) from before the migration that counts shared bytes.
      assert.deepEqual(await store.objects.totals(), { objects: 3, bytes: 30, sharedBytes: 10 });
      const o1 = (await store.objects.findLive('_paths', 'old/1'))!;
      assert.deepEqual(o1.parts[0]!.shards.map((s) => s.shardId), ['s10', 's11']);
      assert.deepEqual(o1.parts[0]!.scheme, { dataShards: 1, parityShards: 1, blockSize: 16 });
      assert.deepEqual(await store.sharing.duplicateGroups(5), [{ sha256: 'h', size: 10, objectIds: ['o1', 'o2'] }]);
      assert.equal((await store.sharing.share('o1', 'o2', 10))!.length, 2);
      assert.deepEqual((await store.objects.findLive('_paths', 'old/2'))!.parts[0]!.shards.map((s) => s.shardId), ['s10', 's11']);
    } finally {
      await store.close();
    }
  });
}
