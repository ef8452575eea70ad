import pg from 'pg';
import { IntentGoneError, KeyExistsError, LeaseLostError, NoSuchBucketError, NotFoundError } from '../../core/errors.js';
import type { AppliedMigration, Fence, MetadataStore } from '../../domain/metadata-store.js';
import type { AccessKey, AuditAction, BucketAccess, BucketGrant, CommitOptions, GarbageShard, NewObject, NodeRecord, ObjectRecord, PartRecord, UploadIntent } from '../../domain/records.js';
import { migratePostgres, postgresSchemaVersion } from './postgres-migrator.js';
import { isPostgresOutage, retryReadsThroughOutages } from './postgres-outage.js';
import { POSTGRES_SCHEMA_VERSION } from './postgres-migrations.js';
import { requireSchema, type OpenOptions } from '../schema-check.js';
import { DUPLICATES_SQL, groupDuplicates, sameShards, type DuplicateRow } from '../duplicates.js';
import { underReplicated } from '../under-replicated.js';
import { postgresS3Roles } from './postgres-s3.js';

interface ObjectRow {
  id: string; bucket: string; key: string; size: number; etag: string; sha256: string;
  content_type: string | null; name: string | null; created_at: number; expires_at: number | null; deleted_at: number | null;
  headers: Record<string, string> | null;
}
interface PartRow { object_id: string; part_no: number; offset: number; size: number; data_shards: number; parity_shards: number; block_size: number }
interface KeyRow { access_key: string; secret_key: string; name: string; created_at: number; admin: boolean }
interface GrantRow { access_key: string; bucket: string; access: BucketAccess }
const toKey = (r: KeyRow): AccessKey => ({ accessKey: r.access_key, secretKey: r.secret_key, name: r.name, createdAt: r.created_at, admin: r.admin });
const toGrant = (r: GrantRow): BucketGrant => ({ accessKey: r.access_key, bucket: r.bucket, access: r.access });
interface ShardRow { object_id: string; part_no: number; shard_index: number; node_id: string; shard_id: string; size: number }

/** bigint columns hold byte counts and ms timestamps, all far below 2^53: read them as numbers. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * The PostgreSQL metadata store: a connection pool, every multi-row change in one transaction, and the
 * uniqueness of live keys enforced by the database (so concurrent POSTs through several gateways still
 * give exactly one 201).
 */
export async function openPostgresStore(url: string, options: OpenOptions = { migrate: true }): Promise<MetadataStore> {
  // connectionTimeoutMillis: while the server is down, a call fails (503) instead of waiting for ever.
  // query_timeout: the same for a server that stops answering on a connection it keeps open (paused, its
  // disk stalled, cut off by the network); the pool drops a connection whose statement timed out.
  const queryTimeout = options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {};
  const pool = new pg.Pool({ connectionString: url, max: 16, types, connectionTimeoutMillis: 3000, ...queryTimeout });
  pool.on('error', () => undefined); // an idle client's error surfaces on its next query
  retryReadsThroughOutages(pool);
  let migrated: AppliedMigration[] = [];
  try {
    if (options.migrate) migrated = await migratePostgres(pool);
    else requireSchema(await postgresSchemaVersion(pool), POSTGRES_SCHEMA_VERSION, options.url ?? url);
  } catch (error) {
    await pool.end();
    throw error;
  }

  /** Parts with their shards of each object, in one round trip per table. */
  const readParts = async (db: pg.Pool | pg.PoolClient, ids: readonly string[]): Promise<Map<string, PartRecord[]>> => {
    const [parts, shards] = await Promise.all([
      db.query<PartRow>('SELECT * FROM parts WHERE object_id = ANY($1) ORDER BY part_no', [ids]),
      db.query<ShardRow>('SELECT * FROM shards WHERE object_id = ANY($1) ORDER BY part_no, shard_index', [ids]),
    ]);
    return new Map(ids.map((id) => [id, parts.rows
      .filter((p) => p.object_id === id)
      .map((p) => ({
        partNo: p.part_no,
        offset: p.offset,
        size: p.size,
        scheme: { dataShards: p.data_shards, parityShards: p.parity_shards, blockSize: p.block_size },
        shards: shards.rows
          .filter((s) => s.object_id === id && s.part_no === p.part_no)
          .map((s) => ({ index: s.shard_index, nodeId: s.node_id, shardId: s.shard_id, size: s.size })),
      }))]));
  };
  const insertParts = async (c: pg.PoolClient, objectId: string, parts: readonly PartRecord[]) => {
    for (const part of parts) {
      const s = part.scheme;
      await c.query('INSERT INTO parts (object_id, part_no, "offset", size, data_shards, parity_shards, block_size) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        objectId, part.partNo, part.offset, part.size, s.dataShards, s.parityShards, s.blockSize,
      ]);
      await c.query(
        `INSERT INTO shards (object_id, part_no, shard_index, node_id, shard_id, size)
         SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[], $6::bigint[])`,
        [objectId, part.partNo, part.shards.map((x) => x.index), part.shards.map((x) => x.nodeId), part.shards.map((x) => x.shardId), part.shards.map((x) => x.size)],
      );
    }
  };
  const referenced = async (db: pg.Pool | pg.PoolClient, shardIds: readonly string[], exceptObjectId = '') => {
    const { rows } = await db.query<{ shard_id: string }>(
      `SELECT DISTINCT s.shard_id FROM shards s JOIN objects o ON o.id = s.object_id
       WHERE s.shard_id = ANY($1) AND o.deleted_at IS NULL AND s.object_id <> $2`,
      [shardIds, exceptObjectId],
    );
    return new Set(rows.map((r) => r.shard_id));
  };

  const readObjects = async (rows: ObjectRow[]): Promise<ObjectRecord[]> => {
    if (rows.length === 0) return [];
    const parts = await readParts(pool, rows.map((r) => r.id));
    return rows.map((row) => {
      const partRecords = parts.get(row.id) ?? [];
      return {
        id: row.id, bucket: row.bucket, key: row.key, size: row.size, etag: row.etag, sha256: row.sha256,
        contentType: row.content_type, name: row.name, createdAt: row.created_at, expiresAt: row.expires_at,
        deletedAt: row.deleted_at, parts: partRecords, headers: row.headers,
      };
    });
  };
  const one = async (rows: ObjectRow[]) => (await readObjects(rows))[0];

  const inTransaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // A checked-out client is not the pool's to watch: without a listener of its own, the server going away
    // mid-transaction emits an 'error' nobody handles, and that ends the process.
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken ??= isPostgresOutage(error) ? (error as Error) : undefined;
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      // A broken connection is destroyed, not handed to the next caller.
      client.release(broken);
    }
  };

  /** Inside a transaction: the fence's lease is still its holder's, and stays so until the commit (FOR SHARE). */
  const checkFence = async (c: pg.PoolClient, fence: Fence | undefined, now: number) => {
    if (!fence) return;
    const held = await c.query('SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND expires_at >= $3 FOR SHARE', [fence.lease, fence.holder, now]);
    if (held.rowCount !== 1) throw new LeaseLostError(fence.lease);
  };

  /** One statement, in a transaction with its fence's check when a background pass makes it. */
  const fenced = <T>(fence: Fence | undefined, now: number, work: (db: pg.Pool | pg.PoolClient) => Promise<T>): Promise<T> =>
    fence
      ? inTransaction(async (c) => {
          await checkFence(c, fence, now);
          return work(c);
        })
      : work(pool);

  /** The body of every commit, inside the caller's transaction. Returns the id of the object replaced. */
  const commitObject = async (c: pg.PoolClient, object: NewObject, options: CommitOptions): Promise<string | null> => {
    if (options.bucketMustExist) {
      // FOR SHARE: a DeleteBucket waits for this commit, then finds the bucket not empty.
      const bucket = await c.query('SELECT 1 FROM buckets WHERE name = $1 FOR SHARE', [object.bucket]);
      if (bucket.rowCount === 0) throw new NoSuchBucketError(object.bucket);
    }
    let parts = object.parts;
    if (options.partsOf !== undefined) {
      // FOR SHARE keeps the source live (an expiry waits) until the copy names its shards.
      const source = await c.query('SELECT id FROM objects WHERE id = $1 AND expires_at IS NULL FOR SHARE', [options.partsOf]);
      if (source.rowCount === 0) throw new NotFoundError('the source object was deleted meanwhile');
      parts = (await readParts(c, [options.partsOf])).get(options.partsOf) ?? [];
    }
    let replaced: string | null = null;
    if (options.replace) {
      // Writers of one key queue here, so the last to commit wins instead of failing on the unique index.
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [`${object.bucket}\n${object.key}`]);
      const old = await c.query<{ id: string }>(
        'UPDATE objects SET expires_at = $3 WHERE key = $1 AND bucket = $2 AND expires_at IS NULL RETURNING id',
        [object.key, object.bucket, object.createdAt],
      );
      replaced = old.rows[0]?.id ?? null;
    }
    await c.query(
      `INSERT INTO objects (id, bucket, key, size, etag, sha256, content_type, name, owner_key_hash, created_at, headers)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [object.id, object.bucket, object.key, object.size, object.etag, object.sha256, object.contentType, object.name, object.ownerKeyHash ?? null, object.createdAt, object.headers ?? null],
    );
    await insertParts(c, object.id, parts);
    for (const part of underReplicated({ parts })) {
      await c.query('INSERT INTO part_repairs (object_id, part_no, queued_at) VALUES ($1, $2, $3)', [object.id, part.partNo, object.createdAt]);
    }
    return replaced;
  };
  const rethrowLiveKeyConflict = (error: unknown, key: string): never => {
    if ((error as { code?: string; constraint?: string }).code === '23505' && /objects_.*live_key|objects_p\d+_key_bucket_idx/.test((error as { constraint?: string }).constraint ?? '')) {
      throw new KeyExistsError(key);
    }
    throw error;
  };
  const queueGarbage = async (c: pg.PoolClient, shards: readonly GarbageShard[], now: number) => {
    if (shards.length === 0) return;
    await c.query(
      `INSERT INTO shard_garbage (shard_id, node_id, size, queued_at)
       SELECT *, $4 FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`,
      [shards.map((s) => s.shardId), shards.map((s) => s.nodeId), shards.map((s) => s.size), now],
    );
  };
  const s3 = postgresS3Roles(pool, { inTransaction, checkFence, commitObject, queueGarbage, rethrowLiveKeyConflict });

  return {
    migrated,
    objects: {
      async findLive(bucket, key) {
        return one((await pool.query<ObjectRow>('SELECT * FROM objects WHERE key = $1 AND bucket = $2 AND expires_at IS NULL', [key, bucket])).rows);
      },
      async commit(object, intentId, options = {}) {
        try {
          return await inTransaction(async (c) => {
            const replaced = await commitObject(c, object, options);
            if (intentId !== null) {
              const gone = await c.query('DELETE FROM upload_intents WHERE id = $1', [intentId]);
              if (gone.rowCount !== 1) throw new IntentGoneError(intentId);
            }
            return { replaced };
          });
        } catch (error) {
          return rethrowLiveKeyConflict(error, object.key);
        }
      },
      list: s3.list,
      async totals() {
        const { rows } = await pool.query<{ objects: string; bytes: string; shared: string }>(
          'SELECT sum(objects) AS objects, sum(bytes) AS bytes, sum(shared_bytes) AS shared FROM object_totals',
        );
        return { objects: Number(rows[0]?.objects ?? 0), bytes: Number(rows[0]?.bytes ?? 0), sharedBytes: Number(rows[0]?.shared ?? 0) };
      },
      async findById(id) {
        return one((await pool.query<ObjectRow>('SELECT * FROM objects WHERE id = $1', [id])).rows);
      },
      async ownerKeyHash(id) {
        return (await pool.query<{ owner_key_hash: string | null }>('SELECT owner_key_hash FROM objects WHERE id = $1', [id])).rows[0]?.owner_key_hash ?? null;
      },
      async expire(id, now) {
        return (await pool.query('UPDATE objects SET expires_at = $1 WHERE id = $2 AND expires_at IS NULL', [now, id])).rowCount === 1;
      },
      async setHeaders(object, headers) {
        const sql = 'UPDATE objects SET headers = $1 WHERE key = $2 AND bucket = $3 AND id = $4 AND expires_at IS NULL';
        return (await pool.query(sql, [JSON.stringify(headers), object.key, object.bucket, object.id])).rowCount === 1;
      },
      async expiredNotPurged(limit) {
        return readObjects((await pool.query<ObjectRow>('SELECT * FROM objects WHERE expires_at IS NOT NULL AND deleted_at IS NULL ORDER BY expires_at LIMIT $1', [limit])).rows);
      },
      async markPurged(id, now, fence) {
        await fenced(fence, now, (db) => db.query('UPDATE objects SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL', [now, id]));
      },
      async referencedShards(shardIds, exceptObjectId) {
        return referenced(pool, shardIds, exceptObjectId);
      },
    },
    sharing: {
      async duplicateGroups(limit) {
        return groupDuplicates((await pool.query<DuplicateRow>(DUPLICATES_SQL, [limit])).rows);
      },
      async share(canonicalId, duplicateId, now, fence) {
        return inTransaction(async (c) => {
          await checkFence(c, fence, now);
          // Row locks (in id order, so two passes cannot deadlock) keep both objects live until the
          // commit: an expiry waits, so the cleaner never purges shards that are being shared.
          const { rows } = await c.query<{ id: string; sha256: string; size: number }>(
            'SELECT id, sha256, size FROM objects WHERE id = ANY($1) AND expires_at IS NULL ORDER BY id FOR UPDATE',
            [[canonicalId, duplicateId]],
          );
          const [a, b] = rows;
          if (!a || !b || a.sha256 !== b.sha256 || a.size !== b.size) return null;
          const parts = await readParts(c, [canonicalId, duplicateId]);
          const shared = parts.get(canonicalId)!;
          const former = parts.get(duplicateId)!;
          if (sameShards(shared, former)) return null;
          await c.query('DELETE FROM parts WHERE object_id = $1', [duplicateId]);
          await insertParts(c, duplicateId, shared);
          const formerShards = former.flatMap((p) => p.shards);
          const still = await referenced(c, formerShards.map((s) => s.shardId));
          const freed: GarbageShard[] = formerShards
            .filter((s) => !still.has(s.shardId))
            .map((s) => ({ nodeId: s.nodeId, shardId: s.shardId, size: s.size }));
          await queueGarbage(c, freed, now);
          return freed;
        });
      },
      async sharers(objectId) {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(DISTINCT s.object_id)::int AS n FROM shards s JOIN objects o ON o.id = s.object_id
           WHERE o.expires_at IS NULL AND s.shard_id = (SELECT min(shard_id) FROM shards WHERE object_id = $1)`,
          [objectId],
        );
        return rows[0]?.n ?? 0;
      },
    },
    garbage: {
      async pending(limit, nodeIds) {
        const { rows } = await pool.query<{ shard_id: string; node_id: string; size: number }>(
          'SELECT * FROM shard_garbage WHERE node_id = ANY($2) ORDER BY queued_at LIMIT $1',
          [limit, nodeIds],
        );
        return rows.map((r) => ({ nodeId: r.node_id, shardId: r.shard_id, size: r.size }));
      },
      async remove(shardIds, fence) {
        await fenced(fence, Date.now(), (db) => db.query('DELETE FROM shard_garbage WHERE shard_id = ANY($1)', [shardIds]));
      },
    },
    nodes: {
      async upsert(node, now) {
        await pool.query(
          `INSERT INTO nodes (id, url, capacity, used, shards, fs_id, fs_free, zone, machine, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $7, $8, $9, $10, $6, $6)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, capacity = excluded.capacity, used = excluded.used,
             shards = excluded.shards, fs_id = excluded.fs_id, fs_free = excluded.fs_free, zone = excluded.zone, machine = excluded.machine, last_seen = GREATEST(nodes.last_seen, excluded.last_seen)`,
          [node.id, node.url, node.capacity, node.used, node.shards, now, node.fsId, node.fsFree, node.zone, node.machine],
        );
      },
      async list(): Promise<NodeRecord[]> {
        const { rows } = await pool.query<{
          id: string; url: string; capacity: number; used: number; shards: number; fs_id: string | null; fs_free: number | null; zone: string | null; machine: string | null; drain: 'draining' | 'retired' | null; first_seen: number; last_seen: number;
        }>('SELECT * FROM nodes ORDER BY first_seen, id');
        return rows.map((r) => ({
          id: r.id, url: r.url, capacity: r.capacity, used: r.used, shards: r.shards, fsId: r.fs_id, fsFree: r.fs_free, zone: r.zone, machine: r.machine, drain: r.drain, firstSeen: r.first_seen, lastSeen: r.last_seen,
        }));
      },
      async setDrain(nodeId, drain, now) {
        const { rowCount } = await pool.query('UPDATE nodes SET drain = $1, drain_at = $2 WHERE id = $3', [drain, now, nodeId]);
        return (rowCount ?? 0) > 0;
      },
    },
    intents: {
      async create(intent: UploadIntent, fence) {
        await fenced(fence, Date.now(), (db) => db.query('INSERT INTO upload_intents (id, bucket, key, created_at, updated_at, shards) VALUES ($1, $2, $3, $4, $5, $6)', [
          intent.id, intent.bucket, intent.key, intent.createdAt, intent.updatedAt ?? intent.createdAt, JSON.stringify(intent.shards),
        ]));
      },
      async touch(id, now) {
        await pool.query('UPDATE upload_intents SET updated_at = $1 WHERE id = $2', [now, id]);
      },
      async remove(id) {
        await pool.query('DELETE FROM upload_intents WHERE id = $1', [id]);
      },
      async claim(id, updatedBefore, fence) {
        return (await fenced(fence, Date.now(), (db) => db.query('DELETE FROM upload_intents WHERE id = $1 AND updated_at < $2', [id, updatedBefore]))).rowCount === 1;
      },
      async olderThan(updatedBefore, limit) {
        const { rows } = await pool.query<{ id: string; bucket: string; key: string; created_at: number; updated_at: number; shards: UploadIntent['shards'] }>(
          'SELECT * FROM upload_intents WHERE updated_at < $1 ORDER BY updated_at LIMIT $2',
          [updatedBefore, limit],
        );
        return rows.map((r) => ({ id: r.id, bucket: r.bucket, key: r.key, createdAt: r.created_at, updatedAt: r.updated_at, shards: r.shards }));
      },
      async openShardIds() {
        const { rows } = await pool.query<{ shard_id: string }>(
          `SELECT s->>'shardId' AS shard_id FROM upload_intents, jsonb_array_elements(shards) s
           UNION ALL SELECT s->>'shardId' FROM multipart_parts, jsonb_array_elements(shards) s`,
        );
        return new Set(rows.map((r) => r.shard_id));
      },
    },
    audit: {
      async append(entries) {
        if (entries.length === 0) return;
        await pool.query(
          `INSERT INTO audit_log (at, action, object_id, bucket, key, client, bytes, duration_ms, result)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[])`,
          [
            entries.map((e) => e.at), entries.map((e) => e.action), entries.map((e) => e.objectId), entries.map((e) => e.bucket),
            entries.map((e) => e.key), entries.map((e) => e.client), entries.map((e) => e.bytes), entries.map((e) => e.durationMs), entries.map((e) => e.result),
          ],
        );
      },
      async query({ objectId, action, limit }) {
        const { rows } = await pool.query<{ id: number; at: number; action: AuditAction; object_id: string | null; bucket: string | null; key: string | null; client: string | null; bytes: number; duration_ms: number; result: string }>(
          `SELECT * FROM audit_log WHERE ($1::text IS NULL OR object_id = $1) AND ($2::text IS NULL OR action = $2) ORDER BY id DESC LIMIT $3`,
          [objectId ?? null, action ?? null, limit],
        );
        return rows.map((r) => ({
          id: r.id, at: r.at, action: r.action, objectId: r.object_id, bucket: r.bucket, key: r.key, client: r.client,
          bytes: r.bytes, durationMs: r.duration_ms, result: r.result,
        }));
      },
    },
    leases: {
      async tryAcquire(name, holder, ttlMs, now) {
        const res = await pool.query(
          `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE leases.holder = excluded.holder OR leases.expires_at < $4`,
          [name, holder, now + ttlMs, now],
        );
        return res.rowCount === 1;
      },
      async release(name, holder) {
        await pool.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
      },
      async holderOf(name, now) {
        const { rows } = await pool.query<{ holder: string; expires_at: number }>('SELECT holder, expires_at FROM leases WHERE name = $1 AND expires_at >= $2', [name, now]);
        return rows[0] && { holder: rows[0].holder, expiresAt: rows[0].expires_at };
      },
    },
    placement: {
      async reportDamaged(shard, reason, now, fence) {
        await fenced(fence, now, (db) => db.query('INSERT INTO shard_damage (shard_id, node_id, reason, found_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
          shard.shardId, shard.nodeId, reason, now,
        ]));
      },
      async damaged(limit) {
        const { rows } = await pool.query<{ shard_id: string }>('SELECT shard_id FROM shard_damage ORDER BY found_at LIMIT $1', [limit]);
        return new Set(rows.map((r) => r.shard_id));
      },
      async partsToRepair(lostNodeIds, limit) {
        const { rows } = await pool.query<{ object_id: string; part_no: number }>(
          `SELECT DISTINCT s.object_id, s.part_no FROM shards s JOIN objects o ON o.id = s.object_id
           WHERE o.expires_at IS NULL
             AND (s.node_id = ANY($1) OR EXISTS (SELECT 1 FROM shard_damage d WHERE d.shard_id = s.shard_id))
           UNION
           SELECT r.object_id, r.part_no FROM part_repairs r JOIN objects o ON o.id = r.object_id WHERE o.expires_at IS NULL
           LIMIT $2`,
          [lostNodeIds, limit],
        );
        return rows.map((r) => ({ objectId: r.object_id, partNo: r.part_no }));
      },
      async shardsAfter(after, limit) {
        const { rows } = await pool.query<{ shard_id: string; node_id: string; size: number; block_size: number }>(
          `SELECT DISTINCT s.shard_id, s.node_id, s.size, p.block_size FROM shards s
       JOIN parts p ON p.object_id = s.object_id AND p.part_no = s.part_no
       JOIN objects o ON o.id = s.object_id
       WHERE o.expires_at IS NULL AND s.shard_id > $1 ORDER BY s.shard_id LIMIT $2`,
          [after, limit],
        );
        return rows.map((r) => ({ shardId: r.shard_id, nodeId: r.node_id, size: r.size, blockSize: r.block_size }));
      },
      async settle(part, fence) {
        await fenced(fence, Date.now(), (db) => db.query(
          `DELETE FROM part_repairs r WHERE object_id = $1 AND part_no = $2
             AND (SELECT count(*) FROM shards WHERE object_id = $1 AND part_no = $2)
               >= (SELECT data_shards + parity_shards FROM parts WHERE object_id = $1 AND part_no = $2)`,
          [part.objectId, part.partNo],
        ));
      },
      async shardsOnNode(nodeId, limit) {
        const { rows } = await pool.query<ShardRow>(
          `SELECT s.* FROM shards s JOIN objects o ON o.id = s.object_id
           WHERE s.node_id = $1 AND o.expires_at IS NULL ORDER BY s.size DESC LIMIT $2`,
          [nodeId, limit],
        );
        return rows.map((r) => ({ objectId: r.object_id, partNo: r.part_no, index: r.shard_index, nodeId: r.node_id, shardId: r.shard_id, size: r.size }));
      },
      async countOnNode(nodeId) {
        const { rows } = await pool.query<{ n: string }>(
          'SELECT count(DISTINCT s.shard_id) AS n FROM shards s JOIN objects o ON o.id = s.object_id WHERE s.node_id = $1 AND o.expires_at IS NULL',
          [nodeId],
        );
        return Number(rows[0]!.n);
      },
      async moveShards(moves, intentId, now, fence) {
        return inTransaction(async (c) => {
          await checkFence(c, fence, now);
          let rows = 0;
          for (const { part, from, to } of moves) {
            if (!from) {
              rows += (await c.query(
                `INSERT INTO shards (object_id, part_no, shard_index, node_id, shard_id, size)
                 SELECT DISTINCT s.object_id, s.part_no, $3::int, $4, $5, $6::bigint FROM shards s
                 WHERE s.shard_id = (SELECT shard_id FROM shards WHERE object_id = $1 AND part_no = $2 LIMIT 1)
                 ON CONFLICT DO NOTHING`,
                [part.objectId, part.partNo, part.index, to.nodeId, to.shardId, to.size],
              )).rowCount ?? 0;
              continue;
            }
            const changed = (await c.query('UPDATE shards SET node_id = $1, shard_id = $2, size = $3 WHERE shard_id = $4', [to.nodeId, to.shardId, to.size, from.shardId])).rowCount ?? 0;
            rows += changed;
            await c.query('DELETE FROM shard_damage WHERE shard_id = $1', [from.shardId]);
            if (changed > 0) {
              await c.query('INSERT INTO shard_garbage (shard_id, node_id, size, queued_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
                from.shardId, from.nodeId, to.size, now,
              ]);
            }
          }
          const gone = await c.query('DELETE FROM upload_intents WHERE id = $1', [intentId]);
          if (gone.rowCount !== 1) throw new IntentGoneError(intentId);
          return rows;
        });
      },
    },
    accessKeys: {
      async create(key) {
        await pool.query('INSERT INTO access_keys (access_key, secret_key, name, created_at, admin) VALUES ($1, $2, $3, $4, $5)', [key.accessKey, key.secretKey, key.name, key.createdAt, key.admin]);
      },
      async find(accessKey) {
        const { rows } = await pool.query<KeyRow>('SELECT * FROM access_keys WHERE access_key = $1', [accessKey]);
        return rows[0] && toKey(rows[0]);
      },
      async list() {
        const { rows } = await pool.query<KeyRow>('SELECT * FROM access_keys ORDER BY created_at, access_key');
        return rows.map(toKey);
      },
      async remove(accessKey) {
        return inTransaction(async (c) => {
          await c.query('DELETE FROM bucket_grants WHERE access_key = $1', [accessKey]);
          return (await c.query('DELETE FROM access_keys WHERE access_key = $1', [accessKey])).rowCount === 1;
        });
      },
      async grant(accessKey, bucket, access) {
        return inTransaction(async (c) => {
          if ((await c.query('SELECT 1 FROM access_keys WHERE access_key = $1 FOR SHARE', [accessKey])).rowCount === 0) return false;
          if (access) {
            await c.query('INSERT INTO bucket_grants (access_key, bucket, access) VALUES ($1, $2, $3) ON CONFLICT (access_key, bucket) DO UPDATE SET access = excluded.access', [accessKey, bucket, access]);
          } else {
            await c.query('DELETE FROM bucket_grants WHERE access_key = $1 AND bucket = $2', [accessKey, bucket]);
          }
          return true;
        });
      },
      async grants(accessKey) {
        const { rows } = accessKey === undefined
          ? await pool.query<GrantRow>('SELECT * FROM bucket_grants ORDER BY access_key COLLATE "C", bucket COLLATE "C"')
          : await pool.query<GrantRow>('SELECT * FROM bucket_grants WHERE access_key = $1 ORDER BY bucket COLLATE "C"', [accessKey]);
        return rows.map(toGrant);
      },
      async accessTo(accessKey, bucket) {
        const { rows } = await pool.query<GrantRow>('SELECT access FROM bucket_grants WHERE access_key = $1 AND bucket = $2', [accessKey, bucket]);
        return rows[0]?.access;
      },
    },
    buckets: s3.buckets,
    multipart: s3.multipart,
    async close() {
      await pool.end();
    },
  };
}
