import type Database from 'better-sqlite3';
import { NoSuchUploadError } from '../../core/errors.js';
import type { BucketCatalog, Fence, MultipartUploads, ObjectCatalog } from '../../domain/metadata-store.js';
import type { Bucket, BucketSettings, CommitOptions, GarbageShard, MultipartUpload, NewObject, ShardLocation, UploadedPart } from '../../domain/records.js';
import { listStart, prefixEnd } from '../key-range.js';

interface UploadRow { id: string; bucket: string; key: string; content_type: string | null; headers: string; created_at: number }
interface PartRow {
  upload_id: string; part_no: number; size: number; etag: string; sha256: string;
  data_shards: number; parity_shards: number; block_size: number; shards: string; created_at: number;
}

export interface SqliteS3Helpers {
  /** Runs a write that a client is told about in the group commit (fsynced before it resolves). */
  durably<T>(work: () => T): Promise<T>;
  /** Throws LeaseLostError unless the fence's lease is still its holder's; inside the caller's transaction. */
  checkFence(fence: Fence | undefined, now: number): void;
  /** The object commit of the main store, run inside the caller's transaction. */
  commitObject(object: NewObject, options: CommitOptions): string | null;
  queueGarbage(shard: GarbageShard, now: number): void;
  rethrowLiveKeyConflict(error: unknown, key: string): never;
}

const toUpload = (r: UploadRow): MultipartUpload => ({
  id: r.id, bucket: r.bucket, key: r.key, contentType: r.content_type, headers: JSON.parse(r.headers) as Record<string, string>, createdAt: r.created_at,
});
const toPart = (r: PartRow): UploadedPart => ({
  uploadId: r.upload_id, partNo: r.part_no, size: r.size, etag: r.etag, sha256: r.sha256,
  scheme: { dataShards: r.data_shards, parityShards: r.parity_shards, blockSize: r.block_size },
  shards: JSON.parse(r.shards) as ShardLocation[], createdAt: r.created_at,
});
interface BucketRow { name: string; created_at: number; public_read: number; cors: string | null; lifecycle: string | null }
const toBucket = (r: BucketRow): Bucket => ({
  name: r.name, createdAt: r.created_at, publicRead: r.public_read === 1,
  ...(r.cors === null ? {} : { cors: JSON.parse(r.cors) as BucketSettings['cors'] }),
  ...(r.lifecycle === null ? {} : { lifecycle: JSON.parse(r.lifecycle) as BucketSettings['lifecycle'] }),
});
const garbageOf = (part: UploadedPart): GarbageShard[] => part.shards.map((s) => ({ nodeId: s.nodeId, shardId: s.shardId, size: s.size }));

/** The S3 roles of the SQLite store: buckets, listings, multipart uploads. */
export function sqliteS3Roles(db: Database.Database, helpers: SqliteS3Helpers): {
  buckets: BucketCatalog;
  multipart: MultipartUploads;
  list: ObjectCatalog['list'];
  partShardIds(): string[];
} {
  const q = {
    createBucket: db.prepare('INSERT OR IGNORE INTO buckets (name, created_at, public_read) VALUES (?, ?, ?)'),
    ownerGrant: db.prepare("INSERT OR REPLACE INTO bucket_grants (access_key, bucket, access) VALUES (?, ?, 'owner')"),
    bucketGrantsGone: db.prepare('DELETE FROM bucket_grants WHERE bucket = ?'),
    setPublicRead: db.prepare('UPDATE buckets SET public_read = ? WHERE name = ?'),
    setCors: db.prepare('UPDATE buckets SET cors = ? WHERE name = ?'),
    setLifecycle: db.prepare('UPDATE buckets SET lifecycle = ? WHERE name = ?'),
    findBucket: db.prepare<[string], BucketRow>('SELECT * FROM buckets WHERE name = ?'),
    listBuckets: db.prepare<[], BucketRow>('SELECT * FROM buckets ORDER BY name'),
    bucketHasObjects: db.prepare<[string], { n: number }>('SELECT 1 AS n FROM objects WHERE bucket = ? AND expires_at IS NULL LIMIT 1'),
    bucketHasUploads: db.prepare<[string], { n: number }>('SELECT 1 AS n FROM multipart_uploads WHERE bucket = ? LIMIT 1'),
    deleteBucket: db.prepare('DELETE FROM buckets WHERE name = ?'),
    // Rows as arrays: a listing page is a thousand rows, and objects per row are measurable there.
    list: db
      .prepare<{ bucket: string; start: string; inclusive: number; end: string | null; limit: number }, [string, number, string, number]>(
        `SELECT key, size, etag, created_at FROM objects
         WHERE bucket = @bucket AND expires_at IS NULL AND (key > @start OR (@inclusive AND key = @start))
           AND (@end IS NULL OR key < @end)
         ORDER BY key LIMIT @limit`,
      )
      .raw(true),
    createUpload: db.prepare('INSERT INTO multipart_uploads (id, bucket, key, content_type, headers, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    findUpload: db.prepare<[string], UploadRow>('SELECT * FROM multipart_uploads WHERE id = ?'),
    listUploads: db.prepare<{ bucket: string; start: string; end: string | null; afterKey: string; afterId: string; limit: number }, UploadRow>(
      `SELECT * FROM multipart_uploads
       WHERE bucket = @bucket AND key >= @start AND (@end IS NULL OR key < @end) AND (key > @afterKey OR (key = @afterKey AND id > @afterId))
       ORDER BY key, id LIMIT @limit`,
    ),
    oldUploads: db.prepare<[number, number], UploadRow>('SELECT * FROM multipart_uploads WHERE created_at < ? ORDER BY created_at LIMIT ?'),
    deleteUpload: db.prepare('DELETE FROM multipart_uploads WHERE id = ?'),
    findPart: db.prepare<[string, number], PartRow>('SELECT * FROM multipart_parts WHERE upload_id = ? AND part_no = ?'),
    parts: db.prepare<[string], PartRow>('SELECT * FROM multipart_parts WHERE upload_id = ? ORDER BY part_no'),
    putPart: db.prepare(
      `INSERT OR REPLACE INTO multipart_parts (upload_id, part_no, size, etag, sha256, data_shards, parity_shards, block_size, shards, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteIntent: db.prepare('DELETE FROM upload_intents WHERE id = ?'),
    partShards: db.prepare<[], { shards: string }>('SELECT shards FROM multipart_parts'),
  };

  const putPart = db.transaction((part: UploadedPart, intentId: string, now: number) => {
    if (!q.findUpload.get(part.uploadId)) throw new NoSuchUploadError(part.uploadId);
    const previous = q.findPart.get(part.uploadId, part.partNo);
    if (previous) for (const s of garbageOf(toPart(previous))) helpers.queueGarbage(s, now);
    const s = part.scheme;
    q.putPart.run(part.uploadId, part.partNo, part.size, part.etag, part.sha256, s.dataShards, s.parityShards, s.blockSize, JSON.stringify(part.shards), part.createdAt);
    q.deleteIntent.run(intentId);
  });

  /** Drops the upload; the shards of its parts that `keep` does not name become garbage. */
  const dropUpload = (uploadId: string, keep: ReadonlySet<string>, now: number) => {
    for (const part of q.parts.all(uploadId).map(toPart)) {
      for (const s of garbageOf(part)) if (!keep.has(s.shardId)) helpers.queueGarbage(s, now);
    }
    q.deleteUpload.run(uploadId);
  };

  const complete = db.transaction((uploadId: string, build: (u: MultipartUpload, p: readonly UploadedPart[]) => NewObject, now: number) => {
    const row = q.findUpload.get(uploadId);
    if (!row) throw new NoSuchUploadError(uploadId);
    const object = build(toUpload(row), q.parts.all(uploadId).map(toPart));
    const replaced = helpers.commitObject(object, { replace: true, bucketMustExist: true });
    dropUpload(uploadId, new Set(object.parts.flatMap((p) => p.shards.map((s) => s.shardId))), now);
    return { object, replaced };
  });

  const abort = db.transaction((uploadId: string, now: number, fence?: Fence): boolean => {
    helpers.checkFence(fence, now);
    if (!q.findUpload.get(uploadId)) return false;
    dropUpload(uploadId, new Set(), now);
    return true;
  });

  const removeBucket = db.transaction((name: string): 'removed' | 'not-empty' | 'missing' => {
    if (!q.findBucket.get(name)) return 'missing';
    if (q.bucketHasObjects.get(name) || q.bucketHasUploads.get(name)) return 'not-empty';
    q.deleteBucket.run(name);
    q.bucketGrantsGone.run(name);
    return 'removed';
  });

  const createBucket = db.transaction((bucket: Bucket, owner: string | undefined): boolean => {
    if (q.createBucket.run(bucket.name, bucket.createdAt, bucket.publicRead ? 1 : 0).changes !== 1) return false;
    if (owner !== undefined) q.ownerGrant.run(owner, bucket.name);
    return true;
  });

  return {
    buckets: {
      async create(bucket, owner) {
        return helpers.durably(() => createBucket(bucket, owner));
      },
      async setPublicRead(name, publicRead) {
        return helpers.durably(() => q.setPublicRead.run(publicRead ? 1 : 0, name).changes === 1);
      },
      async configure(name, setting, value) {
        const statement = setting === 'cors' ? q.setCors : q.setLifecycle;
        return helpers.durably(() => statement.run(value === null ? null : JSON.stringify(value), name).changes === 1);
      },
      async find(name) {
        const r = q.findBucket.get(name);
        return r && toBucket(r);
      },
      async list() {
        return q.listBuckets.all().map(toBucket);
      },
      async remove(name) {
        return helpers.durably(() => removeBucket(name));
      },
    },
    async list(bucket, { prefix, after, limit }) {
      const start = listStart(prefix, after);
      return q.list
        .all({ bucket, start: start.key, inclusive: start.inclusive ? 1 : 0, end: prefixEnd(prefix), limit })
        .map(([key, size, etag, createdAt]) => ({ key, size, etag, createdAt }));
    },
    multipart: {
      async create(upload) {
        await helpers.durably(() => q.createUpload.run(upload.id, upload.bucket, upload.key, upload.contentType, JSON.stringify(upload.headers), upload.createdAt));
      },
      async find(id) {
        const r = q.findUpload.get(id);
        return r && toUpload(r);
      },
      async list(bucket, { prefix, afterKey, afterId, limit }) {
        return q.listUploads.all({ bucket, start: prefix, end: prefixEnd(prefix), afterKey, afterId, limit }).map(toUpload);
      },
      async putPart(part, intentId, now) {
        await helpers.durably(() => putPart(part, intentId, now));
      },
      async parts(uploadId) {
        return q.parts.all(uploadId).map(toPart);
      },
      async complete(uploadId, build, now) {
        try {
          return await helpers.durably(() => complete(uploadId, build, now));
        } catch (error) {
          return helpers.rethrowLiveKeyConflict(error, uploadId);
        }
      },
      async abort(uploadId, now, fence) {
        return helpers.durably(() => abort(uploadId, now, fence));
      },
      async olderThan(createdBefore, limit) {
        return q.oldUploads.all(createdBefore, limit).map(toUpload);
      },
    },
    partShardIds: () => q.partShards.all().flatMap((r) => (JSON.parse(r.shards) as ShardLocation[]).map((s) => s.shardId)),
  };
}
