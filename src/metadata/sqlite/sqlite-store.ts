import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { IntentGoneError, KeyExistsError, LeaseLostError, NoSuchBucketError, NotFoundError } from '../../core/errors.js';
import type { Fence, MetadataStore } from '../../domain/metadata-store.js';
import type { AccessKey, AuditAction, BucketAccess, BucketGrant, AuditEntry, CommitOptions, GarbageShard, ShardMove, NewObject, NodeRecord, ObjectRecord, PartRecord, ShardLocation, UploadIntent } from '../../domain/records.js';
import { migrateSqlite, sqliteSchemaVersion } from './sqlite-migrator.js';
import { SQLITE_SCHEMA_VERSION } from './sqlite-migrations.js';
import { requireSchema, type OpenOptions } from '../schema-check.js';
import { DUPLICATES_SQL, groupDuplicates, sameShards, type DuplicateRow } from '../duplicates.js';
import { underReplicated } from '../under-replicated.js';
import { sqliteS3Roles } from './sqlite-s3.js';
import { GroupCommit } from './group-commit.js';

interface ObjectRow {
  id: string; bucket: string; key: string; size: number; etag: string; sha256: string;
  content_type: string | null; name: string | null; created_at: number; expires_at: number | null; deleted_at: number | null;
  headers: string | null;
}
interface PartRow { part_no: number; offset: number; size: number; data_shards: number; parity_shards: number; block_size: number }
interface ShardRow { part_no: number; shard_index: number; node_id: string; shard_id: string; size: number }
interface NodeRow { id: string; url: string; capacity: number; used: number; shards: number; fs_id: string | null; fs_free: number | null; zone: string | null; machine: string | null; drain: 'draining' | 'retired' | null; first_seen: number; last_seen: number }
interface IntentRow { id: string; bucket: string; key: string; created_at: number; updated_at: number; shards: string }
interface AuditRow { id: number; at: number; action: AuditAction; object_id: string | null; bucket: string | null; key: string | null; client: string | null; bytes: number; duration_ms: number; result: string }

/**
 * The SQLite metadata store: one real file in WAL mode. better-sqlite3 is synchronous and answers in
 * microseconds, so the async interface resolves immediately; every multi-row change is one transaction.
 */
interface KeyRow { access_key: string; secret_key: string; name: string; created_at: number; admin: number }
interface GrantRow { access_key: string; bucket: string; access: BucketAccess }
const toKey = (r: KeyRow): AccessKey => ({ accessKey: r.access_key, secretKey: r.secret_key, name: r.name, createdAt: r.created_at, admin: r.admin === 1 });
const toGrant = (r: GrantRow): BucketGrant => ({ accessKey: r.access_key, bucket: r.bucket, access: r.access });

export function openSqliteStore(file: string, options: OpenOptions = { migrate: true }): MetadataStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // The store holds S3 secret keys and owner-key hashes: for the service's user alone, also when an older
  // version (or another umask) created the files readable by others.
  if (file !== ':memory:') for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Every write of a group commit runs in a savepoint, whose undo copy of each page it changes goes to a
  // statement journal: a temp file by default, ~100 pwrite calls per committed object. In memory it is a
  // few pages per savepoint, freed at its release (commits/s of the store alone, time-ordered ids: ~2,800 →
  // ~6,800).
  db.pragma('temp_store = MEMORY');
  const migrated = options.migrate ? migrateSqlite(db) : [];
  if (!options.migrate) requireSchema(sqliteSchemaVersion(db), SQLITE_SCHEMA_VERSION, options.url ?? `sqlite:${file}`);
  // From here, writes a client is told about are fsynced (FULL) by the group commit; the rest only append
  // to the WAL.
  const group = new GroupCommit(db);

  const q = {
    totals: db.prepare<[], { objects: number; bytes: number; shared_bytes: number }>('SELECT objects, bytes, shared_bytes FROM object_totals WHERE slot = 0'),
    findObject: db.prepare<[string, string], ObjectRow>(
      'SELECT * FROM objects WHERE bucket = ? AND key = ? AND expires_at IS NULL',
    ),
    // No ORDER BY: the primary-key search already returns the rows in key order, and with the clause a record's
    // lookup took twice as long in the SQLite that better-sqlite3 bundles (3.54: findLive 61-64 µs with it,
    // 31-32 without, alternated), though the plan has no sort; readParts orders what it reads itself.
    parts: db.prepare<[string], PartRow>('SELECT * FROM parts WHERE object_id = ?'),
    shards: db.prepare<[string], ShardRow>('SELECT * FROM shards WHERE object_id = ?'),
    insertObject: db.prepare(
      `INSERT INTO objects (id, bucket, key, size, etag, sha256, content_type, name, owner_key_hash, created_at, headers)
       VALUES (@id, @bucket, @key, @size, @etag, @sha256, @contentType, @name, @ownerKeyHash, @createdAt, @headers)`,
    ),
    insertPart: db.prepare(
      `INSERT INTO parts (object_id, part_no, offset, size, data_shards, parity_shards, block_size)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertShard: db.prepare(
      'INSERT INTO shards (object_id, part_no, shard_index, node_id, shard_id, size) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    upsertNode: db.prepare(
      `INSERT INTO nodes (id, url, capacity, used, shards, fs_id, fs_free, zone, machine, first_seen, last_seen)
       VALUES (@id, @url, @capacity, @used, @shards, @fsId, @fsFree, @zone, @machine, @now, @now)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, capacity = excluded.capacity, used = excluded.used,
         shards = excluded.shards, fs_id = excluded.fs_id, fs_free = excluded.fs_free, zone = excluded.zone, machine = excluded.machine, last_seen = excluded.last_seen`,
    ),
    bucketExists: db.prepare<[string], { n: number }>('SELECT 1 AS n FROM buckets WHERE name = ?'),
    listNodes: db.prepare<[], NodeRow>('SELECT * FROM nodes ORDER BY first_seen, id'),
    setDrain: db.prepare<[string | null, number, string]>('UPDATE nodes SET drain = ?, drain_at = ? WHERE id = ?'),
    countOnNode: db.prepare<[string], { n: number }>(
      `SELECT count(DISTINCT s.shard_id) AS n FROM shards s JOIN objects o ON o.id = s.object_id WHERE s.node_id = ? AND o.expires_at IS NULL`,
    ),
    objectById: db.prepare<[string], ObjectRow>('SELECT * FROM objects WHERE id = ?'),
    ownerKeyHash: db.prepare<[string], { owner_key_hash: string | null }>('SELECT owner_key_hash FROM objects WHERE id = ?'),
    expire: db.prepare('UPDATE objects SET expires_at = ? WHERE id = ? AND expires_at IS NULL'),
    setHeaders: db.prepare('UPDATE objects SET headers = ? WHERE bucket = ? AND key = ? AND id = ? AND expires_at IS NULL'),
    expiredNotPurged: db.prepare<[number], ObjectRow>(
      'SELECT * FROM objects WHERE expires_at IS NOT NULL AND deleted_at IS NULL ORDER BY expires_at LIMIT ?',
    ),
    markPurged: db.prepare('UPDATE objects SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL'),
    shardReferenced: db.prepare<[string, string], { n: number }>(
      `SELECT 1 AS n FROM shards s JOIN objects o ON o.id = s.object_id
       WHERE s.shard_id = ? AND o.deleted_at IS NULL AND s.object_id <> ? LIMIT 1`,
    ),
    duplicates: db.prepare<[number], DuplicateRow>(DUPLICATES_SQL.replace('$1', '?')),
    liveContent: db.prepare<[string], { sha256: string; size: number }>('SELECT sha256, size FROM objects WHERE id = ? AND expires_at IS NULL'),
    deleteParts: db.prepare('DELETE FROM parts WHERE object_id = ?'),
    queueGarbage: db.prepare('INSERT OR IGNORE INTO shard_garbage (shard_id, node_id, size, queued_at) VALUES (?, ?, ?, ?)'),
    garbage: db.prepare<[string, number], { shard_id: string; node_id: string; size: number }>(
      'SELECT * FROM shard_garbage WHERE node_id IN (SELECT value FROM json_each(?)) ORDER BY queued_at LIMIT ?',
    ),
    reportDamaged: db.prepare('INSERT OR IGNORE INTO shard_damage (shard_id, node_id, reason, found_at) VALUES (?, ?, ?, ?)'),
    damaged: db.prepare<[number], { shard_id: string }>('SELECT shard_id FROM shard_damage ORDER BY found_at LIMIT ?'),
    forgetDamage: db.prepare('DELETE FROM shard_damage WHERE shard_id = ?'),
    partsToRepair: db.prepare<[string, number], { object_id: string; part_no: number }>(
      `SELECT DISTINCT s.object_id, s.part_no FROM shards s JOIN objects o ON o.id = s.object_id
       WHERE o.expires_at IS NULL
         AND (s.node_id IN (SELECT value FROM json_each(?)) OR s.shard_id IN (SELECT shard_id FROM shard_damage))
       UNION
       SELECT r.object_id, r.part_no FROM part_repairs r JOIN objects o ON o.id = r.object_id WHERE o.expires_at IS NULL
       LIMIT ?`,
    ),
    shardsAfter: db.prepare<[string, number], { shard_id: string; node_id: string; size: number; block_size: number }>(
      `SELECT DISTINCT s.shard_id, s.node_id, s.size, p.block_size FROM shards s
       JOIN parts p ON p.object_id = s.object_id AND p.part_no = s.part_no
       JOIN objects o ON o.id = s.object_id
       WHERE o.expires_at IS NULL AND s.shard_id > ? ORDER BY s.shard_id LIMIT ?`,
    ),
    insertKey: db.prepare('INSERT INTO access_keys (access_key, secret_key, name, created_at, admin) VALUES (?, ?, ?, ?, ?)'),
    findKey: db.prepare<[string], KeyRow>('SELECT * FROM access_keys WHERE access_key = ?'),
    listKeys: db.prepare<[], KeyRow>('SELECT * FROM access_keys ORDER BY created_at, access_key'),
    deleteKey: db.prepare('DELETE FROM access_keys WHERE access_key = ?'),
    deleteKeyGrants: db.prepare('DELETE FROM bucket_grants WHERE access_key = ?'),
    putGrant: db.prepare('INSERT INTO bucket_grants (access_key, bucket, access) VALUES (?, ?, ?) ON CONFLICT (access_key, bucket) DO UPDATE SET access = excluded.access'),
    deleteGrant: db.prepare('DELETE FROM bucket_grants WHERE access_key = ? AND bucket = ?'),
    allGrants: db.prepare<[], GrantRow>('SELECT * FROM bucket_grants ORDER BY access_key, bucket'),
    keyGrants: db.prepare<[string], GrantRow>('SELECT * FROM bucket_grants WHERE access_key = ? ORDER BY bucket'),
    accessTo: db.prepare<[string, string], GrantRow>('SELECT * FROM bucket_grants WHERE access_key = ? AND bucket = ?'),
    queueRepair: db.prepare('INSERT OR IGNORE INTO part_repairs (object_id, part_no, queued_at) VALUES (?, ?, ?)'),
    settle: db.prepare(
      `DELETE FROM part_repairs WHERE object_id = @objectId AND part_no = @partNo
         AND (SELECT count(*) FROM shards WHERE object_id = @objectId AND part_no = @partNo)
           >= (SELECT data_shards + parity_shards FROM parts WHERE object_id = @objectId AND part_no = @partNo)`,
    ),
    addShard: db.prepare(
      `INSERT OR IGNORE INTO shards (object_id, part_no, shard_index, node_id, shard_id, size)
       SELECT DISTINCT s.object_id, s.part_no, @index, @nodeId, @shardId, @size FROM shards s
       WHERE s.shard_id = (SELECT shard_id FROM shards WHERE object_id = @objectId AND part_no = @partNo LIMIT 1)`,
    ),
    shardsOnNode: db.prepare<[string, number], { object_id: string; part_no: number; shard_index: number; node_id: string; shard_id: string; size: number }>(
      `SELECT s.* FROM shards s JOIN objects o ON o.id = s.object_id
       WHERE s.node_id = ? AND o.expires_at IS NULL ORDER BY s.size DESC LIMIT ?`,
    ),
    moveShard: db.prepare('UPDATE shards SET node_id = ?, shard_id = ?, size = ? WHERE shard_id = ?'),
    unqueueGarbage: db.prepare('DELETE FROM shard_garbage WHERE shard_id = ?'),
    sharers: db.prepare<[string], { n: number }>(
      `SELECT count(DISTINCT s.object_id) AS n FROM shards s JOIN objects o ON o.id = s.object_id
       WHERE o.expires_at IS NULL AND s.shard_id = (SELECT min(shard_id) FROM shards WHERE object_id = ?)`,
    ),
    insertIntent: db.prepare('INSERT INTO upload_intents (id, bucket, key, created_at, updated_at, shards) VALUES (?, ?, ?, ?, ?, ?)'),
    touchIntent: db.prepare('UPDATE upload_intents SET updated_at = ? WHERE id = ?'),
    deleteIntent: db.prepare('DELETE FROM upload_intents WHERE id = ?'),
    claimIntent: db.prepare('DELETE FROM upload_intents WHERE id = ? AND updated_at < ?'),
    oldIntents: db.prepare<[number, number], IntentRow>(
      'SELECT * FROM upload_intents WHERE updated_at < ? ORDER BY updated_at LIMIT ?',
    ),
    intentShards: db.prepare<[], { shards: string }>('SELECT shards FROM upload_intents'),
    auditQuery: db.prepare<[string | null, string | null, string | null, string | null, number], AuditRow>(
      `SELECT * FROM audit_log WHERE (? IS NULL OR object_id = ?) AND (? IS NULL OR action = ?) ORDER BY id DESC LIMIT ?`,
    ),
    lease: db.prepare(
      `INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @expiresAt)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at < @now`,
    ),
    releaseLease: db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?'),
    fenceHolds: db.prepare<[string, string, number], { n: number }>('SELECT 1 AS n FROM leases WHERE name = ? AND holder = ? AND expires_at >= ?'),
    leaseHolder: db.prepare<[string, number], { holder: string; expires_at: number }>('SELECT holder, expires_at FROM leases WHERE name = ? AND expires_at >= ?'),
    insertAudit: db.prepare<{ at: number; action: string; objectId: string | null; bucket: string | null; key: string | null; client: string | null; bytes: number; durationMs: number; result: string; id?: undefined }>(
      `INSERT INTO audit_log (at, action, object_id, bucket, key, client, bytes, duration_ms, result)
       VALUES (@at, @action, @objectId, @bucket, @key, @client, @bytes, @durationMs, @result)`,
    ),
  };

  const appendAudit = db.transaction((entries: readonly AuditEntry[]) => {
    for (const e of entries) q.insertAudit.run({ ...e, id: undefined });
  });

  /** The body of every commit, inside the caller's transaction. Returns the id of the object replaced. */
  const commitObject = (object: NewObject, options: CommitOptions): string | null => {
    if (options.bucketMustExist && !q.bucketExists.get(object.bucket)) throw new NoSuchBucketError(object.bucket);
    let parts = object.parts;
    if (options.partsOf !== undefined) {
      const source = q.objectById.get(options.partsOf);
      if (!source || source.expires_at !== null) throw new NotFoundError('the source object was deleted meanwhile');
      parts = readParts(source.id);
    }
    let replaced: string | null = null;
    if (options.replace) {
      const old = q.findObject.get(object.bucket, object.key);
      if (old) {
        q.expire.run(object.createdAt, old.id);
        replaced = old.id;
      }
    }
    q.insertObject.run({ ...object, ownerKeyHash: object.ownerKeyHash ?? null, headers: object.headers ? JSON.stringify(object.headers) : null });
    insertParts(object.id, parts);
    for (const part of underReplicated({ parts })) q.queueRepair.run(object.id, part.partNo, object.createdAt);
    return replaced;
  };
  const commit = db.transaction((object: NewObject, intentId: string | null, options: CommitOptions) => {
    const replaced = commitObject(object, options);
    if (intentId !== null && q.deleteIntent.run(intentId).changes !== 1) throw new IntentGoneError(intentId);
    return replaced;
  });
  const rethrowLiveKeyConflict = (error: unknown, key: string): never => {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' && /objects\.bucket, objects\.key/.test((error as Error).message)) {
      throw new KeyExistsError(key);
    }
    throw error;
  };

  const readParts = (objectId: string): PartRecord[] => {
    const shardRows = q.shards.all(objectId).sort((a, b) => a.part_no - b.part_no || a.shard_index - b.shard_index);
    return q.parts.all(objectId).sort((a, b) => a.part_no - b.part_no).map((p) => ({
      partNo: p.part_no,
      offset: p.offset,
      size: p.size,
      scheme: { dataShards: p.data_shards, parityShards: p.parity_shards, blockSize: p.block_size },
      shards: shardRows
        .filter((s) => s.part_no === p.part_no)
        .map((s): ShardLocation => ({ index: s.shard_index, nodeId: s.node_id, shardId: s.shard_id, size: s.size })),
    }));
  };
  const insertParts = (objectId: string, parts: readonly PartRecord[]) => {
    for (const part of parts) {
      const s = part.scheme;
      q.insertPart.run(objectId, part.partNo, part.offset, part.size, s.dataShards, s.parityShards, s.blockSize);
      for (const shard of part.shards) q.insertShard.run(objectId, part.partNo, shard.index, shard.nodeId, shard.shardId, shard.size);
    }
  };
  const isReferenced = (shardId: string, exceptObjectId = '') => q.shardReferenced.get(shardId, exceptObjectId) !== undefined;

  const share = db.transaction((canonicalId: string, duplicateId: string, now: number, fence?: Fence): GarbageShard[] | null => {
    checkFence(fence, now);
    const canonical = q.liveContent.get(canonicalId);
    const duplicate = q.liveContent.get(duplicateId);
    if (!canonical || !duplicate || canonical.sha256 !== duplicate.sha256 || canonical.size !== duplicate.size) return null;
    const shared = readParts(canonicalId);
    const former = readParts(duplicateId);
    if (sameShards(shared, former)) return null;
    q.deleteParts.run(duplicateId);
    insertParts(duplicateId, shared);
    const freed: GarbageShard[] = former
      .flatMap((p) => p.shards)
      .filter((s) => !isReferenced(s.shardId))
      .map((s) => ({ nodeId: s.nodeId, shardId: s.shardId, size: s.size }));
    for (const s of freed) q.queueGarbage.run(s.shardId, s.nodeId, s.size, now);
    return freed;
  });

  const checkFence = (fence: Fence | undefined, now: number) => {
    if (fence && !q.fenceHolds.get(fence.lease, fence.holder, now)) throw new LeaseLostError(fence.lease);
  };
  /** A write, in one transaction with its fence's check when a background pass makes it. */
  const fencedTx = <T>(fence: Fence | undefined, work: () => T, now = Date.now()): T =>
    fence
      ? db.transaction(() => {
          checkFence(fence, now);
          return work();
        })()
      : work();
  const moveShards = db.transaction((moves: readonly ShardMove[], intentId: string, now: number, fence?: Fence): number => {
    checkFence(fence, now);
    let rows = 0;
    for (const { part, from, to } of moves) {
      if (!from) {
        rows += q.addShard.run({ ...part, ...to }).changes;
        continue;
      }
      const changed = q.moveShard.run(to.nodeId, to.shardId, to.size, from.shardId).changes;
      rows += changed;
      q.forgetDamage.run(from.shardId);
      if (changed > 0) q.queueGarbage.run(from.shardId, from.nodeId, to.size, now);
    }
    if (q.deleteIntent.run(intentId).changes !== 1) throw new IntentGoneError(intentId);
    return rows;
  });

  /**
   * The record's rows in one read transaction: one snapshot, and one acquisition of SQLite's file locks
   * instead of one per statement (two fcntl calls and an fstat each, ~7 µs: most of an autocommit lookup's cost).
   */
  const liveRecord = db.transaction((bucket: string, key: string): ObjectRecord | undefined => {
    const row = q.findObject.get(bucket, key);
    return row ? readObject(row) : undefined;
  });
  const recordById = db.transaction((id: string): ObjectRecord | undefined => {
    const row = q.objectById.get(id);
    return row ? readObject(row) : undefined;
  });

  const expiredRecords = db.transaction((limit: number): ObjectRecord[] => q.expiredNotPurged.all(limit).map(readObject));

  const readObject = (row: ObjectRow): ObjectRecord => {
    const parts = readParts(row.id);
    return {
      id: row.id, bucket: row.bucket, key: row.key, size: row.size, etag: row.etag, sha256: row.sha256,
      contentType: row.content_type, name: row.name, createdAt: row.created_at, expiresAt: row.expires_at,
      deletedAt: row.deleted_at, parts, headers: row.headers ? (JSON.parse(row.headers) as Record<string, string>) : null,
    };
  };
  const s3 = sqliteS3Roles(db, { durably: (work) => group.durably(work), checkFence, commitObject, queueGarbage: (s, now) => q.queueGarbage.run(s.shardId, s.nodeId, s.size, now), rethrowLiveKeyConflict });

  return {
    migrated,
    objects: {
      async findLive(bucket, key) {
        return liveRecord(bucket, key);
      },
      async commit(object, intentId, options = {}) {
        try {
          return { replaced: await group.durably(() => commit(object, intentId, options)) };
        } catch (error) {
          return rethrowLiveKeyConflict(error, object.key);
        }
      },
      list: s3.list,
      async totals() {
        const row = q.totals.get();
        return { objects: row?.objects ?? 0, bytes: row?.bytes ?? 0, sharedBytes: row?.shared_bytes ?? 0 };
      },
      async findById(id) {
        return recordById(id);
      },
      async ownerKeyHash(id) {
        return q.ownerKeyHash.get(id)?.owner_key_hash ?? null;
      },
      async expire(id, now) {
        return group.durably(() => q.expire.run(now, id).changes === 1);
      },
      async setHeaders(object, headers) {
        return group.durably(() => q.setHeaders.run(JSON.stringify(headers), object.bucket, object.key, object.id).changes === 1);
      },
      async expiredNotPurged(limit) {
        return expiredRecords(limit);
      },
      async markPurged(id, now, fence) {
        fencedTx(fence, () => q.markPurged.run(now, id), now);
      },
      async referencedShards(shardIds, exceptObjectId) {
        return new Set(shardIds.filter((id) => isReferenced(id, exceptObjectId)));
      },
    },
    sharing: {
      async duplicateGroups(limit) {
        return groupDuplicates(q.duplicates.all(limit));
      },
      async share(canonicalId, duplicateId, now, fence) {
        return group.durably(() => share(canonicalId, duplicateId, now, fence));
      },
      async sharers(objectId) {
        return q.sharers.get(objectId)?.n ?? 0;
      },
    },
    garbage: {
      async pending(limit, nodeIds) {
        return q.garbage.all(JSON.stringify(nodeIds), limit).map((r) => ({ nodeId: r.node_id, shardId: r.shard_id, size: r.size }));
      },
      async remove(shardIds, fence) {
        fencedTx(fence, () => {
          for (const id of shardIds) q.unqueueGarbage.run(id);
        });
      },
    },
    nodes: {
      async upsert(node, now) {
        q.upsertNode.run({ id: node.id, url: node.url, capacity: node.capacity, used: node.used, shards: node.shards, fsId: node.fsId, fsFree: node.fsFree, zone: node.zone, machine: node.machine, now });
      },
      async list(): Promise<NodeRecord[]> {
        return q.listNodes.all().map((r) => ({
          id: r.id, url: r.url, capacity: r.capacity, used: r.used, shards: r.shards, fsId: r.fs_id, fsFree: r.fs_free, zone: r.zone, machine: r.machine, drain: r.drain, firstSeen: r.first_seen, lastSeen: r.last_seen,
        }));
      },
      async setDrain(nodeId, drain, now) {
        return q.setDrain.run(drain, now, nodeId).changes > 0;
      },
    },
    intents: {
      async create(intent: UploadIntent, fence) {
        const insert = () => q.insertIntent.run(intent.id, intent.bucket, intent.key, intent.createdAt, intent.updatedAt ?? intent.createdAt, JSON.stringify(intent.shards));
        // An upload's intent shares a transaction with the others of its turn; a background pass's checks its fence.
        if (fence) fencedTx(fence, insert);
        else await group.soon(insert);
      },
      async touch(id, now) {
        q.touchIntent.run(now, id);
      },
      async remove(id) {
        q.deleteIntent.run(id);
      },
      async claim(id, updatedBefore, fence) {
        return fencedTx(fence, () => q.claimIntent.run(id, updatedBefore).changes === 1);
      },
      async olderThan(updatedBefore, limit) {
        return q.oldIntents.all(updatedBefore, limit).map((r) => ({
          id: r.id, bucket: r.bucket, key: r.key, createdAt: r.created_at, updatedAt: r.updated_at,
          shards: JSON.parse(r.shards) as UploadIntent['shards'],
        }));
      },
      async openShardIds() {
        const ids = new Set<string>();
        for (const row of q.intentShards.all()) for (const s of JSON.parse(row.shards) as UploadIntent['shards']) ids.add(s.shardId);
        for (const id of s3.partShardIds()) ids.add(id);
        return ids;
      },
    },
    audit: {
      async append(entries) {
        appendAudit(entries);
      },
      async query({ objectId, action, limit }) {
        return q.auditQuery.all(objectId ?? null, objectId ?? null, action ?? null, action ?? null, limit).map((r) => ({
          id: r.id, at: r.at, action: r.action, objectId: r.object_id, bucket: r.bucket, key: r.key, client: r.client,
          bytes: r.bytes, durationMs: r.duration_ms, result: r.result,
        }));
      },
    },
    leases: {
      async tryAcquire(name, holder, ttlMs, now) {
        return q.lease.run({ name, holder, expiresAt: now + ttlMs, now }).changes === 1;
      },
      async release(name, holder) {
        q.releaseLease.run(name, holder);
      },
      async holderOf(name, now) {
        const row = q.leaseHolder.get(name, now);
        return row && { holder: row.holder, expiresAt: row.expires_at };
      },
    },
    placement: {
      async reportDamaged(shard, reason, now, fence) {
        fencedTx(fence, () => q.reportDamaged.run(shard.shardId, shard.nodeId, reason, now));
      },
      async damaged(limit) {
        return new Set(q.damaged.all(limit).map((r) => r.shard_id));
      },
      async partsToRepair(lostNodeIds, limit) {
        return q.partsToRepair.all(JSON.stringify(lostNodeIds), limit).map((r) => ({ objectId: r.object_id, partNo: r.part_no }));
      },
      async shardsOnNode(nodeId, limit) {
        return q.shardsOnNode.all(nodeId, limit).map((r) => ({
          objectId: r.object_id, partNo: r.part_no, index: r.shard_index, nodeId: r.node_id, shardId: r.shard_id, size: r.size,
        }));
      },
      async countOnNode(nodeId) {
        return q.countOnNode.get(nodeId)!.n;
      },
      async moveShards(moves, intentId, now, fence) {
        return group.durably(() => moveShards(moves, intentId, now, fence));
      },
      async settle(part, fence) {
        fencedTx(fence, () => q.settle.run(part));
      },
      async shardsAfter(after, limit) {
        return q.shardsAfter.all(after, limit).map((r) => ({ shardId: r.shard_id, nodeId: r.node_id, size: r.size, blockSize: r.block_size }));
      },
    },
    accessKeys: {
      async create(key) {
        await group.durably(() => q.insertKey.run(key.accessKey, key.secretKey, key.name, key.createdAt, key.admin ? 1 : 0));
      },
      async find(accessKey) {
        const r = q.findKey.get(accessKey);
        return r && toKey(r);
      },
      async list() {
        return q.listKeys.all().map(toKey);
      },
      async remove(accessKey) {
        return group.durably(() => db.transaction(() => {
          q.deleteKeyGrants.run(accessKey);
          return q.deleteKey.run(accessKey).changes === 1;
        })());
      },
      async grant(accessKey, bucket, access) {
        return group.durably(() => db.transaction(() => {
          if (!q.findKey.get(accessKey)) return false;
          if (access) q.putGrant.run(accessKey, bucket, access);
          else q.deleteGrant.run(accessKey, bucket);
          return true;
        })());
      },
      async grants(accessKey) {
        return (accessKey === undefined ? q.allGrants.all() : q.keyGrants.all(accessKey)).map(toGrant);
      },
      async accessTo(accessKey, bucket) {
        return q.accessTo.get(accessKey, bucket)?.access;
      },
    },
    buckets: s3.buckets,
    multipart: s3.multipart,
    async close() {
      db.close();
    },
  };
}
