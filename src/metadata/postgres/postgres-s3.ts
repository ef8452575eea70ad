import type pg from 'pg';
import { NoSuchUploadError } from '../../core/errors.js';
import type { BucketCatalog, Fence, MultipartUploads, ObjectCatalog } from '../../domain/metadata-store.js';
import type { Bucket, BucketSettings, CommitOptions, GarbageShard, MultipartUpload, NewObject, ShardLocation, UploadedPart } from '../../domain/records.js';
import { listStart, prefixEnd } from '../key-range.js';

interface UploadRow { id: string; bucket: string; key: string; content_type: string | null; headers: Record<string, string>; created_at: number }
interface PartRow {
  upload_id: string; part_no: number; size: number; etag: string; sha256: string;
  data_shards: number; parity_shards: number; block_size: number; shards: ShardLocation[]; created_at: number;
}

export interface PostgresS3Helpers {
  inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Throws LeaseLostError unless the fence's lease is still its holder's (and keeps it so until the commit). */
  checkFence(c: pg.PoolClient, fence: Fence | undefined, now: number): Promise<void>;
  /** The object commit of the main store, run inside the caller's transaction. */
  commitObject(c: pg.PoolClient, object: NewObject, options: CommitOptions): Promise<string | null>;
  queueGarbage(c: pg.PoolClient, shards: readonly GarbageShard[], now: number): Promise<void>;
  rethrowLiveKeyConflict(error: unknown, key: string): never;
}

const toUpload = (r: UploadRow): MultipartUpload => ({
  id: r.id, bucket: r.bucket, key: r.key, contentType: r.content_type, headers: r.headers, createdAt: r.created_at,
});
const toPart = (r: PartRow): UploadedPart => ({
  uploadId: r.upload_id, partNo: r.part_no, size: r.size, etag: r.etag, sha256: r.sha256,
  scheme: { dataShards: r.data_shards, parityShards: r.parity_shards, blockSize: r.block_size }, shards: r.shards, createdAt: r.created_at,
});
const garbageOf = (part: UploadedPart): GarbageShard[] => part.shards.map((s) => ({ nodeId: s.nodeId, shardId: s.shardId, size: s.size }));

interface BucketRow { name: string; created_at: number; public_read: boolean; cors: BucketSettings['cors'] | null; lifecycle: BucketSettings['lifecycle'] | null }
const toBucket = (r: BucketRow): Bucket => ({
  name: r.name, createdAt: r.created_at, publicRead: r.public_read,
  ...(r.cors === null ? {} : { cors: r.cors }),
  ...(r.lifecycle === null ? {} : { lifecycle: r.lifecycle }),
});

/** The S3 roles of the PostgreSQL store: buckets, listings, multipart uploads. */
export function postgresS3Roles(pool: pg.Pool, h: PostgresS3Helpers): {
  buckets: BucketCatalog;
  multipart: MultipartUploads;
  list: ObjectCatalog['list'];
} {
  /** Locks the upload row, so its parts cannot change under a completion or an abort. */
  const lockUpload = async (c: pg.PoolClient, uploadId: string): Promise<MultipartUpload | undefined> => {
    const { rows } = await c.query<UploadRow>('SELECT * FROM multipart_uploads WHERE id = $1 FOR UPDATE', [uploadId]);
    return rows[0] && toUpload(rows[0]);
  };
  const partsOf = async (db: pg.Pool | pg.PoolClient, uploadId: string) =>
    (await db.query<PartRow>('SELECT * FROM multipart_parts WHERE upload_id = $1 ORDER BY part_no', [uploadId])).rows.map(toPart);
  /** Drops the upload; the shards of its parts that `keep` does not name become garbage. */
  const dropUpload = async (c: pg.PoolClient, uploadId: string, keep: ReadonlySet<string>, now: number) => {
    const freed = (await partsOf(c, uploadId)).flatMap(garbageOf).filter((s) => !keep.has(s.shardId));
    await h.queueGarbage(c, freed, now);
    await c.query('DELETE FROM multipart_uploads WHERE id = $1', [uploadId]);
  };

  return {
    buckets: {
      async create(bucket, owner) {
        return h.inTransaction(async (c) => {
          const res = await c.query('INSERT INTO buckets (name, created_at, public_read) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [bucket.name, bucket.createdAt, bucket.publicRead ?? false]);
          if (res.rowCount !== 1) return false;
          if (owner !== undefined) {
            await c.query("INSERT INTO bucket_grants (access_key, bucket, access) VALUES ($1, $2, 'owner') ON CONFLICT (access_key, bucket) DO UPDATE SET access = 'owner'", [owner, bucket.name]);
          }
          return true;
        });
      },
      async setPublicRead(name, publicRead) {
        return (await pool.query('UPDATE buckets SET public_read = $1 WHERE name = $2', [publicRead, name])).rowCount === 1;
      },
      async configure(name, setting, value) {
        // The column is one of two fixed names, never the caller's text.
        const column = setting === 'cors' ? 'cors' : 'lifecycle';
        const json = value === null ? null : JSON.stringify(value);
        return (await pool.query(`UPDATE buckets SET ${column} = $1::jsonb WHERE name = $2`, [json, name])).rowCount === 1;
      },
      async find(name) {
        const { rows } = await pool.query<BucketRow>('SELECT * FROM buckets WHERE name = $1', [name]);
        return rows[0] && toBucket(rows[0]);
      },
      async list() {
        const { rows } = await pool.query<BucketRow>('SELECT * FROM buckets ORDER BY name COLLATE "C"');
        return rows.map(toBucket);
      },
      async remove(name) {
        return h.inTransaction(async (c) => {
          const found = await c.query('SELECT 1 FROM buckets WHERE name = $1 FOR UPDATE', [name]);
          if (found.rowCount === 0) return 'missing' as const;
          const used = await c.query(
            `SELECT 1 FROM objects WHERE bucket = $1 AND expires_at IS NULL
             UNION ALL SELECT 1 FROM multipart_uploads WHERE bucket = $1 LIMIT 1`,
            [name],
          );
          if ((used.rowCount ?? 0) > 0) return 'not-empty' as const;
          await c.query('DELETE FROM buckets WHERE name = $1', [name]);
          await c.query('DELETE FROM bucket_grants WHERE bucket = $1', [name]);
          return 'removed' as const;
        });
      },
    },
    async list(bucket, { prefix, after, limit }) {
      const start = listStart(prefix, after);
      // Rows as arrays: a listing page is a thousand rows, and objects per row are measurable there.
      const { rows } = await pool.query<[string, number, string, number]>({
        text: `SELECT key, size, etag, created_at FROM objects
               WHERE bucket = $1 AND expires_at IS NULL
                 AND (key COLLATE "C" > $2 OR ($3 AND key = $2)) AND ($4::text IS NULL OR key COLLATE "C" < $4)
               ORDER BY key COLLATE "C" LIMIT $5`,
        values: [bucket, start.key, start.inclusive, prefixEnd(prefix), limit],
        rowMode: 'array',
      });
      return rows.map(([key, size, etag, createdAt]) => ({ key, size, etag, createdAt }));
    },
    multipart: {
      async create(u) {
        await pool.query('INSERT INTO multipart_uploads (id, bucket, key, content_type, headers, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          u.id, u.bucket, u.key, u.contentType, u.headers, u.createdAt,
        ]);
      },
      async find(id) {
        const { rows } = await pool.query<UploadRow>('SELECT * FROM multipart_uploads WHERE id = $1', [id]);
        return rows[0] && toUpload(rows[0]);
      },
      async list(bucket, { prefix, afterKey, afterId, limit }) {
        const { rows } = await pool.query<UploadRow>(
          `SELECT * FROM multipart_uploads
           WHERE bucket = $1 AND key >= $2 AND ($3::text IS NULL OR key < $3) AND (key > $4 OR (key = $4 AND id > $5))
           ORDER BY key, id LIMIT $6`,
          [bucket, prefix, prefixEnd(prefix), afterKey, afterId, limit],
        );
        return rows.map(toUpload);
      },
      async putPart(part, intentId, now) {
        await h.inTransaction(async (c) => {
          // FOR SHARE: parts of one upload commit side by side; a completion or abort waits for them.
          const upload = await c.query('SELECT 1 FROM multipart_uploads WHERE id = $1 FOR SHARE', [part.uploadId]);
          if (upload.rowCount === 0) throw new NoSuchUploadError(part.uploadId);
          // Two uploads of one part number: the second to commit replaces the first.
          await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 11))', [`${part.uploadId}\n${part.partNo}`]);
          const previous = await c.query<PartRow>(
            'DELETE FROM multipart_parts WHERE upload_id = $1 AND part_no = $2 RETURNING *',
            [part.uploadId, part.partNo],
          );
          await h.queueGarbage(c, previous.rows.map(toPart).flatMap(garbageOf), now);
          const s = part.scheme;
          await c.query(
            `INSERT INTO multipart_parts (upload_id, part_no, size, etag, sha256, data_shards, parity_shards, block_size, shards, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [part.uploadId, part.partNo, part.size, part.etag, part.sha256, s.dataShards, s.parityShards, s.blockSize, JSON.stringify(part.shards), part.createdAt],
          );
          await c.query('DELETE FROM upload_intents WHERE id = $1', [intentId]);
        });
      },
      async parts(uploadId) {
        return partsOf(pool, uploadId);
      },
      async complete(uploadId, build, now) {
        try {
          return await h.inTransaction(async (c) => {
            const upload = await lockUpload(c, uploadId);
            if (!upload) throw new NoSuchUploadError(uploadId);
            const object = build(upload, await partsOf(c, uploadId));
            const replaced = await h.commitObject(c, object, { replace: true, bucketMustExist: true });
            await dropUpload(c, uploadId, new Set(object.parts.flatMap((p) => p.shards.map((s) => s.shardId))), now);
            return { object, replaced };
          });
        } catch (error) {
          return h.rethrowLiveKeyConflict(error, uploadId);
        }
      },
      async abort(uploadId, now, fence) {
        return h.inTransaction(async (c) => {
          await h.checkFence(c, fence, now);
          if (!(await lockUpload(c, uploadId))) return false;
          await dropUpload(c, uploadId, new Set(), now);
          return true;
        });
      },
      async olderThan(createdBefore, limit) {
        const { rows } = await pool.query<UploadRow>('SELECT * FROM multipart_uploads WHERE created_at < $1 ORDER BY created_at LIMIT $2', [createdBefore, limit]);
        return rows.map(toUpload);
      },
    },
  };
}
