/**
 * Schema of the SQLite metadata store, as ordered migrations. Applied inside one transaction each;
 * `schema_migrations` records what has run, so applying them again is a no-op.
 * Times are milliseconds since the epoch.
 */
export const sqliteMigrations: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        capacity INTEGER NOT NULL,
        used INTEGER NOT NULL,
        shards INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
      );
      CREATE TABLE objects (
        id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        content_type TEXT,
        name TEXT,
        owner_key_hash TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        deleted_at INTEGER
      );
      -- One live object per key; expired objects keep their row (and history) until purged.
      CREATE UNIQUE INDEX objects_live_key ON objects (bucket, key) WHERE expires_at IS NULL;
      CREATE INDEX objects_expired ON objects (expires_at) WHERE expires_at IS NOT NULL AND deleted_at IS NULL;
      CREATE TABLE parts (
        object_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
        part_no INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        size INTEGER NOT NULL,
        data_shards INTEGER NOT NULL,
        parity_shards INTEGER NOT NULL,
        block_size INTEGER NOT NULL,
        PRIMARY KEY (object_id, part_no)
      ) WITHOUT ROWID;
      CREATE TABLE shards (
        object_id TEXT NOT NULL,
        part_no INTEGER NOT NULL,
        shard_index INTEGER NOT NULL,
        node_id TEXT NOT NULL,
        shard_id TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        PRIMARY KEY (object_id, part_no, shard_index),
        FOREIGN KEY (object_id, part_no) REFERENCES parts (object_id, part_no) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE INDEX shards_node ON shards (node_id);
      CREATE TABLE upload_intents (
        id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        shards TEXT NOT NULL
      );
      CREATE INDEX upload_intents_created ON upload_intents (created_at);
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        object_id TEXT,
        bucket TEXT,
        key TEXT,
        client TEXT,
        bytes INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        result TEXT NOT NULL
      );
      CREATE INDEX audit_log_object ON audit_log (object_id, id);
    `,
  },
  {
    version: 2,
    name: 'intent heartbeats, job leases, audit by action',
    sql: `
      -- A long upload refreshes its intent, so the cleaner never takes it for an abandoned one.
      ALTER TABLE upload_intents ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
      UPDATE upload_intents SET updated_at = created_at;
      CREATE INDEX upload_intents_updated ON upload_intents (updated_at);
      -- One gateway at a time runs a background job: whoever holds its lease.
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX audit_log_action ON audit_log (action, id);
    `,
  },
  {
    version: 3,
    name: 'objects with the same content share shards; garbage queue',
    sql: `
      -- Deduplicated objects name the same shard ids, so shard_id is no longer unique. SQLite cannot drop a
      -- column constraint: the table is rebuilt.
      CREATE TABLE shards_v3 (
        object_id TEXT NOT NULL,
        part_no INTEGER NOT NULL,
        shard_index INTEGER NOT NULL,
        node_id TEXT NOT NULL,
        shard_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (object_id, part_no, shard_index),
        FOREIGN KEY (object_id, part_no) REFERENCES parts (object_id, part_no) ON DELETE CASCADE
      ) WITHOUT ROWID;
      INSERT INTO shards_v3 SELECT object_id, part_no, shard_index, node_id, shard_id, size FROM shards;
      DROP TABLE shards;
      ALTER TABLE shards_v3 RENAME TO shards;
      CREATE INDEX shards_node ON shards (node_id);
      CREATE INDEX shards_shard ON shards (shard_id);
      CREATE INDEX objects_content ON objects (sha256, size) WHERE expires_at IS NULL;
      -- Shards that deduplication freed, until the cleaner has deleted them from their nodes.
      CREATE TABLE shard_garbage (
        shard_id TEXT PRIMARY KEY,
        node_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        queued_at INTEGER NOT NULL
      );
      CREATE INDEX shard_garbage_queued ON shard_garbage (queued_at);
    `,
  },
  {
    version: 4,
    name: 'damaged shards and under-replicated parts awaiting repair',
    sql: `
      -- Shards whose bytes failed a checksum, or that their node no longer has, until the repairer
      -- has rebuilt them elsewhere.
      CREATE TABLE shard_damage (
        shard_id TEXT PRIMARY KEY,
        node_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        found_at INTEGER NOT NULL
      );
      CREATE INDEX shard_garbage_node ON shard_garbage (node_id, queued_at);
      -- Parts committed with fewer shards than their scheme (too few live nodes), until repaired.
      CREATE TABLE part_repairs (
        object_id TEXT NOT NULL,
        part_no INTEGER NOT NULL,
        queued_at INTEGER NOT NULL,
        PRIMARY KEY (object_id, part_no)
      );
    `,
  },
  {
    version: 5,
    name: 'S3 access keys',
    sql: `
      -- SigV4 needs the secret itself to recompute signatures (as AWS and MinIO keep it): it cannot be a
      -- hash. Whoever can read this table can sign S3 requests; protect the database accordingly.
      CREATE TABLE access_keys (
        access_key TEXT PRIMARY KEY,
        secret_key TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'S3 buckets, stored response headers, multipart uploads',
    sql: `
      CREATE TABLE buckets (
        name TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL
      );
      -- JSON object of response headers (x-amz-meta-*, Cache-Control, …) kept with an S3 object.
      ALTER TABLE objects ADD COLUMN headers TEXT;
      CREATE TABLE multipart_uploads (
        id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        content_type TEXT,
        headers TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX multipart_uploads_key ON multipart_uploads (bucket, key, id);
      CREATE INDEX multipart_uploads_created ON multipart_uploads (created_at);
      -- Parts' shards are JSON like an intent's: they belong to no object until the upload completes.
      CREATE TABLE multipart_parts (
        upload_id TEXT NOT NULL REFERENCES multipart_uploads (id) ON DELETE CASCADE,
        part_no INTEGER NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        data_shards INTEGER NOT NULL,
        parity_shards INTEGER NOT NULL,
        block_size INTEGER NOT NULL,
        shards TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (upload_id, part_no)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'live object totals kept by triggers',
    sql: `
      -- The console's totals without scanning a million rows: kept in the same transaction as every change.
      CREATE TABLE object_totals (
        slot INTEGER PRIMARY KEY,
        objects INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      );
      INSERT INTO object_totals SELECT 0, count(*), coalesce(sum(size), 0) FROM objects WHERE expires_at IS NULL;
      CREATE TRIGGER object_totals_insert AFTER INSERT ON objects WHEN NEW.expires_at IS NULL
      BEGIN
        UPDATE object_totals SET objects = objects + 1, bytes = bytes + NEW.size WHERE slot = 0;
      END;
      CREATE TRIGGER object_totals_update AFTER UPDATE OF expires_at, size ON objects
      WHEN (OLD.expires_at IS NULL) <> (NEW.expires_at IS NULL) OR (NEW.expires_at IS NULL AND OLD.size <> NEW.size)
      BEGIN
        UPDATE object_totals SET
          objects = objects + (NEW.expires_at IS NULL) - (OLD.expires_at IS NULL),
          bytes = bytes + (CASE WHEN NEW.expires_at IS NULL THEN NEW.size ELSE 0 END) - (CASE WHEN OLD.expires_at IS NULL THEN OLD.size ELSE 0 END)
        WHERE slot = 0;
      END;
      CREATE TRIGGER object_totals_delete AFTER DELETE ON objects WHEN OLD.expires_at IS NULL
      BEGIN
        UPDATE object_totals SET objects = objects - 1, bytes = bytes - OLD.size WHERE slot = 0;
      END;
    `,
  },
  {
    version: 8,
    name: 'bytes saved by shared shards, kept by triggers',
    sql: `
      -- Live objects that share their shards with other live objects (deduplicated, or S3 copies): a group of n
      -- saves (n − 1) × its size. A group is the objects whose first shard (part 1, index 0) is the same.
      ALTER TABLE object_totals ADD COLUMN shared_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE object_totals SET shared_bytes = (
        SELECT coalesce(sum((n - 1) * size), 0) FROM (
          SELECT count(*) AS n, max(o.size) AS size FROM shards s JOIN objects o ON o.id = s.object_id
          WHERE s.part_no = 1 AND s.shard_index = 0 AND o.expires_at IS NULL GROUP BY s.shard_id
        )
      ) WHERE slot = 0;
      -- Row triggers run as each row changes, so a statement moving a shared shard (every sharer's row) adds
      -- and takes away the same amount.
      CREATE TRIGGER shared_bytes_insert AFTER INSERT ON shards WHEN NEW.part_no = 1 AND NEW.shard_index = 0
      BEGIN
        UPDATE object_totals SET shared_bytes = shared_bytes + (SELECT size FROM objects WHERE id = NEW.object_id AND expires_at IS NULL)
        WHERE slot = 0 AND (SELECT size FROM objects WHERE id = NEW.object_id AND expires_at IS NULL) IS NOT NULL AND EXISTS (SELECT 1 FROM shards s2 JOIN objects o2 ON o2.id = s2.object_id
              WHERE s2.shard_id = NEW.shard_id AND s2.part_no = 1 AND s2.shard_index = 0 AND s2.object_id <> NEW.object_id AND o2.expires_at IS NULL);
      END;
      CREATE TRIGGER shared_bytes_delete AFTER DELETE ON shards WHEN OLD.part_no = 1 AND OLD.shard_index = 0
      BEGIN
        UPDATE object_totals SET shared_bytes = shared_bytes - (SELECT size FROM objects WHERE id = OLD.object_id AND expires_at IS NULL)
        WHERE slot = 0 AND (SELECT size FROM objects WHERE id = OLD.object_id AND expires_at IS NULL) IS NOT NULL AND EXISTS (SELECT 1 FROM shards s2 JOIN objects o2 ON o2.id = s2.object_id
              WHERE s2.shard_id = OLD.shard_id AND s2.part_no = 1 AND s2.shard_index = 0 AND s2.object_id <> OLD.object_id AND o2.expires_at IS NULL);
      END;
      CREATE TRIGGER shared_bytes_update AFTER UPDATE OF shard_id ON shards
      WHEN NEW.part_no = 1 AND NEW.shard_index = 0 AND OLD.shard_id <> NEW.shard_id
      BEGIN
        UPDATE object_totals SET shared_bytes = shared_bytes - (SELECT size FROM objects WHERE id = OLD.object_id AND expires_at IS NULL)
        WHERE slot = 0 AND (SELECT size FROM objects WHERE id = OLD.object_id AND expires_at IS NULL) IS NOT NULL AND EXISTS (SELECT 1 FROM shards s2 JOIN objects o2 ON o2.id = s2.object_id
              WHERE s2.shard_id = OLD.shard_id AND s2.part_no = 1 AND s2.shard_index = 0 AND s2.object_id <> OLD.object_id AND o2.expires_at IS NULL);
        UPDATE object_totals SET shared_bytes = shared_bytes + (SELECT size FROM objects WHERE id = NEW.object_id AND expires_at IS NULL)
        WHERE slot = 0 AND (SELECT size FROM objects WHERE id = NEW.object_id AND expires_at IS NULL) IS NOT NULL AND EXISTS (SELECT 1 FROM shards s2 JOIN objects o2 ON o2.id = s2.object_id
              WHERE s2.shard_id = NEW.shard_id AND s2.part_no = 1 AND s2.shard_index = 0 AND s2.object_id <> NEW.object_id AND o2.expires_at IS NULL);
      END;
      CREATE TRIGGER shared_bytes_expire AFTER UPDATE OF expires_at ON objects
      WHEN OLD.expires_at IS NULL AND NEW.expires_at IS NOT NULL
      BEGIN
        UPDATE object_totals SET shared_bytes = shared_bytes - OLD.size
        WHERE slot = 0 AND EXISTS (SELECT 1 FROM shards s2 JOIN objects o2 ON o2.id = s2.object_id
              WHERE s2.shard_id = (SELECT shard_id FROM shards WHERE object_id = NEW.id AND part_no = 1 AND shard_index = 0) AND s2.part_no = 1 AND s2.shard_index = 0 AND s2.object_id <> NEW.id AND o2.expires_at IS NULL);
      END;
    `,
  },
  {
    version: 9,
    name: 'the file system each node is on, and its free bytes',
    sql: `
      ALTER TABLE nodes ADD COLUMN fs_id TEXT;
      ALTER TABLE nodes ADD COLUMN fs_free INTEGER;
    `,
  },
  {
    version: 10,
    name: 'failure domains: the zone and the machine of each node',
    sql: `
      ALTER TABLE nodes ADD COLUMN zone TEXT;
      ALTER TABLE nodes ADD COLUMN machine TEXT;
    `,
  },
  {
    version: 11,
    name: 'nodes an operator drains or retires',
    sql: `
      ALTER TABLE nodes ADD COLUMN drain TEXT CHECK (drain IN ('draining', 'retired'));
      ALTER TABLE nodes ADD COLUMN drain_at INTEGER;
    `,
  },
  {
    version: 12,
    name: 'access keys with rights on buckets; public-read, CORS and lifecycle settings of buckets',
    sql: `
      -- Keys made before rights existed could do everything: they stay administrators.
      ALTER TABLE access_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 1;
      CREATE TABLE bucket_grants (
        access_key TEXT NOT NULL,
        bucket TEXT NOT NULL,
        access TEXT NOT NULL CHECK (access IN ('read', 'write', 'owner')),
        PRIMARY KEY (access_key, bucket)
      );
      CREATE INDEX bucket_grants_by_bucket ON bucket_grants (bucket);
      ALTER TABLE buckets ADD COLUMN public_read INTEGER NOT NULL DEFAULT 0;
      -- The bucket's S3 settings as JSON: its CORS rules and its lifecycle rules.
      ALTER TABLE buckets ADD COLUMN cors TEXT;
      ALTER TABLE buckets ADD COLUMN lifecycle TEXT;
    `,
  },
];

export const SQLITE_SCHEMA_VERSION = sqliteMigrations.at(-1)!.version;
