import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyExistsError } from '../../core/errors.js';
import type { MetadataStore } from '../metadata-store.js';
import type { AuditEntry, NewObject, NodeRecord, ObjectRecord, PartRecord, ShardLocation, UploadIntent } from '../records.js';
import { migrateSqlite } from './sqlite-migrator.js';

interface ObjectRow {
  id: string; bucket: string; key: string; size: number; etag: string; sha256: string;
  content_type: string | null; name: string | null; created_at: number; expires_at: number | null; deleted_at: number | null;
}
interface PartRow { part_no: number; offset: number; size: number; data_shards: number; parity_shards: number; block_size: number }
interface ShardRow { part_no: number; shard_index: number; node_id: string; shard_id: string; size: number }
interface NodeRow { id: string; url: string; capacity: number; used: number; shards: number; first_seen: number; last_seen: number }
interface IntentRow { id: string; bucket: string; key: string; created_at: number; shards: string }

/**
 * The SQLite metadata store: one real file in WAL mode. better-sqlite3 is synchronous and answers in
 * microseconds, so the async interface resolves immediately; every multi-row change is one transaction.
 */
export function openSqliteStore(file: string): MetadataStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: a committed object survives power loss, since its 201 promises durability.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db);

  const q = {
    findObject: db.prepare<[string, string], ObjectRow>(
      'SELECT * FROM objects WHERE bucket = ? AND key = ? AND expires_at IS NULL',
    ),
    parts: db.prepare<[string], PartRow>('SELECT * FROM parts WHERE object_id = ? ORDER BY part_no'),
    shards: db.prepare<[string], ShardRow>('SELECT * FROM shards WHERE object_id = ? ORDER BY part_no, shard_index'),
    insertObject: db.prepare(
      `INSERT INTO objects (id, bucket, key, size, etag, sha256, content_type, name, owner_key_hash, created_at)
       VALUES (@id, @bucket, @key, @size, @etag, @sha256, @contentType, @name, @ownerKeyHash, @createdAt)`,
    ),
    insertPart: db.prepare(
      `INSERT INTO parts (object_id, part_no, offset, size, data_shards, parity_shards, block_size)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertShard: db.prepare(
      'INSERT INTO shards (object_id, part_no, shard_index, node_id, shard_id, size) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    upsertNode: db.prepare(
      `INSERT INTO nodes (id, url, capacity, used, shards, first_seen, last_seen)
       VALUES (@id, @url, @capacity, @used, @shards, @now, @now)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, capacity = excluded.capacity, used = excluded.used,
         shards = excluded.shards, last_seen = excluded.last_seen`,
    ),
    listNodes: db.prepare<[], NodeRow>('SELECT * FROM nodes ORDER BY first_seen, id'),
    insertIntent: db.prepare('INSERT INTO upload_intents (id, bucket, key, created_at, shards) VALUES (?, ?, ?, ?, ?)'),
    deleteIntent: db.prepare('DELETE FROM upload_intents WHERE id = ?'),
    oldIntents: db.prepare<[number, number], IntentRow>(
      'SELECT * FROM upload_intents WHERE created_at < ? ORDER BY created_at LIMIT ?',
    ),
    insertAudit: db.prepare(
      `INSERT INTO audit_log (at, action, object_id, bucket, key, client, bytes, duration_ms, result)
       VALUES (@at, @action, @objectId, @bucket, @key, @client, @bytes, @durationMs, @result)`,
    ),
  };

  const commit = db.transaction((object: NewObject, intentId: string) => {
    q.insertObject.run({ ...object, ownerKeyHash: object.ownerKeyHash ?? null });
    for (const part of object.parts) {
      const s = part.scheme;
      q.insertPart.run(object.id, part.partNo, part.offset, part.size, s.dataShards, s.parityShards, s.blockSize);
      for (const shard of part.shards) {
        q.insertShard.run(object.id, part.partNo, shard.index, shard.nodeId, shard.shardId, shard.size);
      }
    }
    q.deleteIntent.run(intentId);
  });

  const readObject = (row: ObjectRow): ObjectRecord => {
    const shardRows = q.shards.all(row.id);
    const parts: PartRecord[] = q.parts.all(row.id).map((p) => ({
      partNo: p.part_no,
      offset: p.offset,
      size: p.size,
      scheme: { dataShards: p.data_shards, parityShards: p.parity_shards, blockSize: p.block_size },
      shards: shardRows
        .filter((s) => s.part_no === p.part_no)
        .map((s): ShardLocation => ({ index: s.shard_index, nodeId: s.node_id, shardId: s.shard_id, size: s.size })),
    }));
    return {
      id: row.id, bucket: row.bucket, key: row.key, size: row.size, etag: row.etag, sha256: row.sha256,
      contentType: row.content_type, name: row.name, createdAt: row.created_at, expiresAt: row.expires_at,
      deletedAt: row.deleted_at, parts,
    };
  };

  return {
    objects: {
      async findLive(bucket, key) {
        const row = q.findObject.get(bucket, key);
        return row ? readObject(row) : undefined;
      },
      async commit(object, intentId) {
        try {
          commit(object, intentId);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'SQLITE_CONSTRAINT_UNIQUE' && /objects\.bucket, objects\.key/.test((error as Error).message)) {
            throw new KeyExistsError(object.key);
          }
          throw error;
        }
      },
    },
    nodes: {
      async upsert(node, now) {
        q.upsertNode.run({ id: node.id, url: node.url, capacity: node.capacity, used: node.used, shards: node.shards, now });
      },
      async list(): Promise<NodeRecord[]> {
        return q.listNodes.all().map((r) => ({
          id: r.id, url: r.url, capacity: r.capacity, used: r.used, shards: r.shards, firstSeen: r.first_seen, lastSeen: r.last_seen,
        }));
      },
    },
    intents: {
      async create(intent: UploadIntent) {
        q.insertIntent.run(intent.id, intent.bucket, intent.key, intent.createdAt, JSON.stringify(intent.shards));
      },
      async remove(id) {
        q.deleteIntent.run(id);
      },
      async olderThan(createdBefore, limit) {
        return q.oldIntents.all(createdBefore, limit).map((r) => ({
          id: r.id, bucket: r.bucket, key: r.key, createdAt: r.created_at, shards: JSON.parse(r.shards) as UploadIntent['shards'],
        }));
      },
    },
    audit: {
      async append(entry: AuditEntry) {
        q.insertAudit.run(entry);
      },
    },
    async close() {
      db.close();
    },
  };
}
