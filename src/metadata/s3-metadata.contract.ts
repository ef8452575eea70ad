import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MetadataStore } from '../domain/metadata-store.js';
import type { NewObject, UploadedPart } from '../domain/records.js';
import { LeaseLostError, NoSuchBucketError, NoSuchUploadError, NotFoundError } from '../core/errors.js';

const NODES = ['node-0', 'node-1', 'node-2'];

/** The S3 roles of a MetadataStore: buckets, replacing commits, listings, copies, multipart uploads. */
export function s3MetadataContract(name: string, open: () => Promise<MetadataStore>): void {
  const shards = () => [0, 1, 2].map((index) => ({ index, nodeId: NODES[index]!, shardId: randomUUID(), size: 12 }));
  const object = (bucket: string, key: string, createdAt = 1_700_000_000_000): NewObject => ({
    id: randomUUID(), bucket, key, size: 10, etag: 'e'.repeat(32), sha256: 's'.repeat(64), contentType: null, name: null, createdAt,
    parts: [{ partNo: 1, offset: 0, size: 10, scheme: { dataShards: 2, parityShards: 1, blockSize: 8 }, shards: shards() }],
  });
  const withStore = (title: string, body: (store: MetadataStore) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const store = await open();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });

  withStore('buckets are created once, listed by name and removed only when empty', async (store) => {
    assert.equal(await store.buckets.create({ name: 'photos', createdAt: 5 }), true);
    assert.equal(await store.buckets.create({ name: 'photos', createdAt: 6 }), false);
    await store.buckets.create({ name: 'archive', createdAt: 7 });
    assert.deepEqual(await store.buckets.find('photos'), { name: 'photos', createdAt: 5, publicRead: false });
    assert.deepEqual((await store.buckets.list()).map((b) => b.name), ['archive', 'photos']);
    await store.objects.commit(object('photos', 'a'), null, { bucketMustExist: true });
    assert.equal(await store.buckets.remove('photos'), 'not-empty');
    assert.equal(await store.buckets.remove('nope'), 'missing');
    await store.multipart.create({ id: 'u1', bucket: 'archive', key: 'k', contentType: null, headers: {}, createdAt: 1 });
    assert.equal(await store.buckets.remove('archive'), 'not-empty', 'an upload in progress keeps the bucket');
    await store.multipart.abort('u1', 2);
    assert.equal(await store.buckets.remove('archive'), 'removed');
    assert.equal(await store.buckets.find('archive'), undefined);
    await assert.rejects(store.objects.commit(object('archive', 'late'), null, { bucketMustExist: true }), NoSuchBucketError);
    assert.equal(await store.objects.findLive('archive', 'late'), undefined);
  });

  withStore('a replacing commit expires the live object in the same transaction and keeps headers', async (store) => {
    const first = object('b', 'k');
    const second = { ...object('b', 'k', 1_700_000_000_500), headers: { 'x-amz-meta-owner': 'ann', 'cache-control': 'no-cache' } };
    assert.deepEqual(await store.objects.commit(first, null, { replace: true }), { replaced: null });
    assert.deepEqual(await store.objects.commit(second, null, { replace: true }), { replaced: first.id });
    const live = await store.objects.findLive('b', 'k');
    assert.equal(live!.id, second.id);
    assert.deepEqual(live!.headers, second.headers);
    const expired = await store.objects.expiredNotPurged(10);
    assert.deepEqual(expired.map((o) => [o.id, o.expiresAt]), [[first.id, second.createdAt]]);
  });

  withStore('listings are in UTF-8 byte order, by prefix, after a key, limited, live objects only', async (store) => {
    const keys = ['a', 'a/b', 'a/c', 'a0', 'b', 'z', 'é', '\u{1F600}', 'a/\u{1F600}'];
    for (const key of [...keys].reverse()) await store.objects.commit(object('bk', key), null);
    await store.objects.commit(object('other', 'a/x'), null);
    const gone = object('bk', 'a/d');
    await store.objects.commit(gone, null);
    await store.objects.expire(gone.id, 1);
    const list = async (prefix: string, after = '', limit = 100) => (await store.objects.list('bk', { prefix, after, limit })).map((e) => e.key);
    const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(await list(''), byteOrder);
    assert.deepEqual(await list('a/'), ['a/b', 'a/c', 'a/\u{1F600}']);
    assert.deepEqual(await list('a/', 'a/b'), ['a/c', 'a/\u{1F600}']);
    assert.deepEqual(await list('a', 'a/c', 2), ['a/\u{1F600}', 'a0']);
    assert.deepEqual(await list('', 'b', 2), ['z', 'é']);
    assert.deepEqual(await list('q'), []);
    const [entry] = await store.objects.list('bk', { prefix: 'b', after: '', limit: 1 });
    assert.deepEqual(entry, { key: 'b', size: 10, etag: 'e'.repeat(32), createdAt: 1_700_000_000_000 });
  });

  withStore('a copy names the source shards as they are at the commit, and needs a live source', async (store) => {
    const source = object('b', 'src');
    await store.objects.commit(source, null);
    const copy = { ...object('b', 'dst'), parts: [] };
    await store.objects.commit(copy, null, { partsOf: source.id });
    assert.deepEqual((await store.objects.findLive('b', 'dst'))!.parts, source.parts);
    const shardIds = source.parts[0]!.shards.map((s) => s.shardId);
    assert.equal((await store.objects.referencedShards(shardIds, source.id)).size, 3, 'the copy references the shards');
    await store.objects.expire(source.id, 2);
    await assert.rejects(store.objects.commit({ ...object('b', 'dst2'), parts: [] }, null, { partsOf: source.id }), NotFoundError);
  });

  withStore('multipart parts are replaced, completed into one object, and their unused shards become garbage', async (store) => {
    await store.buckets.create({ name: 'mp', createdAt: 1 });
    const upload = { id: randomUUID(), bucket: 'mp', key: 'big.bin', contentType: 'video/mp4', headers: { 'x-amz-meta-a': '1' }, createdAt: 100 };
    await store.multipart.create(upload);
    assert.deepEqual(await store.multipart.find(upload.id), upload);
    const part = (partNo: number, size: number): UploadedPart => ({
      uploadId: upload.id, partNo, size, etag: String(partNo).repeat(32), sha256: 'f'.repeat(64),
      scheme: { dataShards: 2, parityShards: 1, blockSize: 8 }, shards: shards(), createdAt: 200,
    });
    const p1old = part(1, 5);
    const intent = (p: UploadedPart) => ({ id: randomUUID(), bucket: 'mp', key: 'big.bin', createdAt: 150, shards: p.shards.map((s) => ({ nodeId: s.nodeId, shardId: s.shardId })) });
    const i1 = intent(p1old);
    await store.intents.create(i1);
    await store.multipart.putPart(p1old, i1.id, 300);
    assert.equal((await store.intents.olderThan(Number.MAX_SAFE_INTEGER, 10)).length, 0, 'the part took over its intent');
    const p1 = part(1, 6);
    const p2 = part(2, 4);
    const p3 = part(3, 4);
    for (const p of [p1, p2, p3]) await store.multipart.putPart(p, 'no-intent', 300);
    const ids = (p: UploadedPart) => p.shards.map((s) => s.shardId);
    assert.deepEqual(new Set((await store.garbage.pending(10, NODES)).map((g) => g.shardId)), new Set(ids(p1old)), 'the replaced part is garbage');
    const open = await store.intents.openShardIds();
    for (const id of [...ids(p1), ...ids(p2)]) assert.ok(open.has(id), 'part shards are protected from the orphan sweep');
    assert.deepEqual((await store.multipart.parts(upload.id)).map((p) => [p.partNo, p.size]), [[1, 6], [2, 4], [3, 4]]);

    const existing = object('mp', 'big.bin');
    await store.objects.commit(existing, null);
    const result = await store.multipart.complete(upload.id, (u, parts) => {
      assert.equal(u.key, 'big.bin');
      const chosen = parts.filter((p) => p.partNo !== 2);
      let offset = 0;
      return {
        ...object(u.bucket, u.key), size: 10, contentType: u.contentType, headers: u.headers,
        parts: chosen.map((p, i) => {
          const record = { partNo: i + 1, offset, size: p.size, scheme: p.scheme, shards: p.shards };
          offset += p.size;
          return record;
        }),
      };
    }, 400);
    assert.equal(result.replaced, existing.id);
    const live = await store.objects.findLive('mp', 'big.bin');
    assert.deepEqual(live!.parts.map((p) => [p.partNo, p.offset, p.size, p.shards.map((s) => s.shardId)]), [[1, 0, 6, ids(p1)], [2, 6, 4, ids(p3)]]);
    assert.deepEqual(live!.headers, { 'x-amz-meta-a': '1' });
    assert.deepEqual(new Set((await store.garbage.pending(10, NODES)).map((g) => g.shardId)), new Set([...ids(p1old), ...ids(p2)]), 'the unused part is garbage');
    assert.equal(await store.multipart.find(upload.id), undefined);
    await assert.rejects(store.multipart.complete(upload.id, () => object('mp', 'x'), 500), NoSuchUploadError);
    await assert.rejects(store.multipart.putPart(part(4, 1), 'none', 500), NoSuchUploadError);
  });

  withStore('a refused completion changes nothing; aborted and listed uploads', async (store) => {
    await store.buckets.create({ name: 'mp', createdAt: 1 });
    const up = (key: string, createdAt: number) => ({ id: randomUUID(), bucket: 'mp', key, contentType: null, headers: {}, createdAt });
    const a = up('a/1', 10);
    const b = up('a/2', 20);
    const c = up('b/1', 30);
    for (const u of [c, b, a]) await store.multipart.create(u);
    const part: UploadedPart = { uploadId: a.id, partNo: 1, size: 3, etag: 'a'.repeat(32), sha256: 'b'.repeat(64), scheme: { dataShards: 2, parityShards: 1, blockSize: 8 }, shards: shards(), createdAt: 40 };
    await store.multipart.putPart(part, 'none', 40);
    await assert.rejects(store.multipart.complete(a.id, () => { throw new Error('refused'); }, 50), /refused/);
    assert.equal((await store.multipart.parts(a.id)).length, 1);
    assert.deepEqual((await store.multipart.list('mp', { prefix: 'a/', afterKey: '', afterId: '', limit: 10 })).map((u) => u.key), ['a/1', 'a/2']);
    assert.deepEqual((await store.multipart.list('mp', { prefix: '', afterKey: 'a/1', afterId: a.id, limit: 1 })).map((u) => u.key), ['a/2']);
    assert.deepEqual((await store.multipart.olderThan(25, 10)).map((u) => u.key), ['a/1', 'a/2']);
    // The cleaner aborts expired uploads under its pass's fence: a stale pass aborts nothing.
    await assert.rejects(store.multipart.abort(a.id, 60, { lease: 'cleaner:pass', holder: 'gone' }), LeaseLostError);
    assert.equal(await store.leases.tryAcquire('cleaner:pass', 'pass', 1000, 50), true);
    assert.equal(await store.multipart.abort(a.id, 60, { lease: 'cleaner:pass', holder: 'pass' }), true);
    assert.equal(await store.multipart.abort(a.id, 60), false);
    assert.deepEqual(new Set((await store.garbage.pending(10, NODES)).map((g) => g.shardId)), new Set(part.shards.map((s) => s.shardId)));
    assert.equal((await store.intents.openShardIds()).size, 0);
  });
}
