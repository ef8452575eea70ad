import { PATHS_BUCKET } from '../../domain/records.js';

/**
 * Schema of the PostgreSQL metadata store, as ordered migrations (each in its own transaction, recorded in
 * `schema_migrations`). The objects table is hash-partitioned by key into 16 partitions, as the path store's design
 * design spreads keys by their hash; parts and shards are keyed by object id. Times are ms since the epoch.
 */

export const OBJECT_PARTITIONS = 16;

const partitions = Array.from(
  { length: OBJECT_PARTITIONS },
  (_, i) => `CREATE TABLE objects_p${i} PARTITION OF objects FOR VALUES WITH (MODULUS ${OBJECT_PARTITIONS}, REMAINDER ${i});`,
).join('\n');

/**
 * The path store's delete(): marks the live object at a path-API key expired (the gateways' cleaner deletes its
 * shards) and logs it with the role AUDITED names as the client.
 */
const pathDeleteFunction = (create: string, audited: string) => `${create} AS $$
      DECLARE
        now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
        expired record;
      BEGIN
        UPDATE objects SET expires_at = now_ms
          WHERE key = object_key AND bucket = '${PATHS_BUCKET}' AND expires_at IS NULL
          RETURNING id, size INTO expired;
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        INSERT INTO audit_log (at, action, object_id, bucket, key, client, bytes, duration_ms, result)
          VALUES (now_ms, 'expire', expired.id, '${PATHS_BUCKET}', object_key, 'sql:' || ${audited}, expired.size, 0, 'ok');
        RETURN true;
      END
      $$;`;

export const postgresMigrations: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE nodes (
        id text PRIMARY KEY,
        url text NOT NULL,
        capacity bigint NOT NULL,
        used bigint NOT NULL,
        shards bigint NOT NULL,
        first_seen bigint NOT NULL,
        last_seen bigint NOT NULL
      );
      CREATE TABLE objects (
        id text NOT NULL,
        bucket text NOT NULL,
        key text NOT NULL,
        size bigint NOT NULL,
        etag text NOT NULL,
        sha256 text NOT NULL,
        content_type text,
        name text,
        owner_key_hash text,
        created_at bigint NOT NULL,
        expires_at bigint,
        deleted_at bigint,
        PRIMARY KEY (key, id)
      ) PARTITION BY HASH (key);
      ${partitions}
      -- One live object per key; the partition key is part of it, so each partition enforces its share.
      CREATE UNIQUE INDEX objects_live_key ON objects (key, bucket) WHERE expires_at IS NULL;
      CREATE INDEX objects_id ON objects (id);
      CREATE INDEX objects_expired ON objects (expires_at) WHERE expires_at IS NOT NULL AND deleted_at IS NULL;
      CREATE TABLE parts (
        object_id text NOT NULL,
        part_no integer NOT NULL,
        "offset" bigint NOT NULL,
        size bigint NOT NULL,
        data_shards integer NOT NULL,
        parity_shards integer NOT NULL,
        block_size integer NOT NULL,
        PRIMARY KEY (object_id, part_no)
      );
      CREATE TABLE shards (
        object_id text NOT NULL,
        part_no integer NOT NULL,
        shard_index integer NOT NULL,
        node_id text NOT NULL,
        shard_id text NOT NULL UNIQUE,
        size bigint NOT NULL,
        PRIMARY KEY (object_id, part_no, shard_index),
        FOREIGN KEY (object_id, part_no) REFERENCES parts (object_id, part_no) ON DELETE CASCADE
      );
      CREATE INDEX shards_node ON shards (node_id);
      CREATE TABLE upload_intents (
        id text PRIMARY KEY,
        bucket text NOT NULL,
        key text NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        shards jsonb NOT NULL
      );
      CREATE INDEX upload_intents_updated ON upload_intents (updated_at);
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        action text NOT NULL,
        object_id text,
        bucket text,
        key text,
        client text,
        bytes bigint NOT NULL,
        duration_ms bigint NOT NULL,
        result text NOT NULL
      );
      CREATE INDEX audit_log_object ON audit_log (object_id, id);
      CREATE INDEX audit_log_action ON audit_log (action, id);
      CREATE TABLE leases (
        name text PRIMARY KEY,
        holder text NOT NULL,
        expires_at bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'objects with the same content share shards; garbage queue; exist() and delete()',
    sql: `
      -- Deduplicated objects name the same shard ids.
      ALTER TABLE shards DROP CONSTRAINT shards_shard_id_key;
      CREATE INDEX shards_shard ON shards (shard_id);
      CREATE INDEX objects_content ON objects (sha256, size) WHERE expires_at IS NULL;
      -- Shards that deduplication freed, until the cleaner has deleted them from their nodes.
      CREATE TABLE shard_garbage (
        shard_id text PRIMARY KEY,
        node_id text NOT NULL,
        size bigint NOT NULL,
        queued_at bigint NOT NULL
      );
      CREATE INDEX shard_garbage_queued ON shard_garbage (queued_at);
      -- The path store's SQL interface, for the verbs that make sense inside the database. KEY is a
      -- path-API key. delete() only marks the object: the gateways' cleaner deletes its shards.
      CREATE FUNCTION exist(object_key text) RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT EXISTS (SELECT 1 FROM objects WHERE key = object_key AND bucket = '${PATHS_BUCKET}' AND expires_at IS NULL)
      $$;
      ${pathDeleteFunction('CREATE FUNCTION delete(object_key text) RETURNS boolean LANGUAGE plpgsql', 'current_user')}
    `,
  },
  {
    version: 3,
    name: 'damaged shards and under-replicated parts awaiting repair',
    sql: `
      -- Shards whose bytes failed a checksum, or that their node no longer has, until the repairer
      -- has rebuilt them elsewhere.
      CREATE TABLE shard_damage (
        shard_id text PRIMARY KEY,
        node_id text NOT NULL,
        reason text NOT NULL,
        found_at bigint NOT NULL
      );
      CREATE INDEX shard_garbage_node ON shard_garbage (node_id, queued_at);
      -- Parts committed with fewer shards than their scheme (too few live nodes), until repaired.
      CREATE TABLE part_repairs (
        object_id text NOT NULL,
        part_no integer NOT NULL,
        queued_at bigint NOT NULL,
        PRIMARY KEY (object_id, part_no)
      );
    `,
  },
  {
    version: 4,
    name: 'S3 access keys',
    sql: `
      -- SigV4 needs the secret itself to recompute signatures (as AWS and MinIO keep it): it cannot be a
      -- hash. Whoever can read this table can sign S3 requests; protect the database accordingly.
      CREATE TABLE access_keys (
        access_key text PRIMARY KEY,
        secret_key text NOT NULL,
        name text NOT NULL,
        created_at bigint NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'S3 buckets, stored response headers, multipart uploads',
    sql: `
      CREATE TABLE buckets (
        name text PRIMARY KEY,
        created_at bigint NOT NULL
      );
      -- Response headers (x-amz-meta-*, Cache-Control, …) kept with an S3 object.
      ALTER TABLE objects ADD COLUMN headers jsonb;
      -- S3 lists keys in UTF-8 byte order: the "C" collation, whatever the database's default.
      CREATE INDEX objects_listing ON objects (bucket, (key COLLATE "C")) WHERE expires_at IS NULL;
      CREATE TABLE multipart_uploads (
        id text PRIMARY KEY,
        bucket text NOT NULL,
        key text COLLATE "C" NOT NULL,
        content_type text,
        headers jsonb NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX multipart_uploads_key ON multipart_uploads (bucket, key, id);
      CREATE INDEX multipart_uploads_created ON multipart_uploads (created_at);
      -- Parts' shards are JSON like an intent's: they belong to no object until the upload completes.
      CREATE TABLE multipart_parts (
        upload_id text NOT NULL REFERENCES multipart_uploads (id) ON DELETE CASCADE,
        part_no integer NOT NULL,
        size bigint NOT NULL,
        etag text NOT NULL,
        sha256 text NOT NULL,
        data_shards integer NOT NULL,
        parity_shards integer NOT NULL,
        block_size integer NOT NULL,
        shards jsonb NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (upload_id, part_no)
      );
    `,
  },
  {
    version: 6,
    name: 'covering listing index',
    sql: `
      -- Listings read key, size, ETag and date of a thousand rows per page: with them in the index the scan
      -- of each partition is index-only (measured 1.1 ms instead of 4–6 ms per 1000-key page, 1M keys).
      CREATE INDEX objects_listing_covering ON objects (bucket, (key COLLATE "C")) INCLUDE (size, etag, created_at)
        WHERE expires_at IS NULL;
      DROP INDEX objects_listing;
    `,
  },
  {
    version: 7,
    name: 'live object totals kept by a trigger',
    sql: `
      -- The console's totals without scanning a million rows, kept in the same transaction as every change.
      -- Sixteen slots, picked by the object's id, so that commits from several gateways seldom wait on one row.
      CREATE TABLE object_totals (
        slot smallint PRIMARY KEY,
        objects bigint NOT NULL,
        bytes bigint NOT NULL
      );
      INSERT INTO object_totals SELECT s, 0, 0 FROM generate_series(0, 15) AS s;
      UPDATE object_totals SET objects = t.n, bytes = t.b
        FROM (SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM objects WHERE expires_at IS NULL) AS t
        WHERE slot = 0;
      CREATE FUNCTION object_totals_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        d_objects bigint := 0;
        d_bytes bigint := 0;
        row_id text;
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.expires_at IS NULL THEN
          d_objects := d_objects - 1; d_bytes := d_bytes - OLD.size; row_id := OLD.id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.expires_at IS NULL THEN
          d_objects := d_objects + 1; d_bytes := d_bytes + NEW.size; row_id := NEW.id;
        END IF;
        IF d_objects <> 0 OR d_bytes <> 0 THEN
          UPDATE object_totals SET objects = objects + d_objects, bytes = bytes + d_bytes WHERE slot = hashtext(row_id) & 15;
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER object_totals AFTER INSERT OR UPDATE OF expires_at, size OR DELETE ON objects
        FOR EACH ROW EXECUTE FUNCTION object_totals_change();
    `,
  },
  {
    version: 8,
    name: 'bytes saved by shared shards, kept by triggers',
    sql: `
      -- Live objects that share their shards with other live objects (deduplicated, or S3 copies): a group of n
      -- saves (n − 1) × its size. A group is the objects whose first shard (part 1, index 0) is the same.
      ALTER TABLE object_totals ADD COLUMN shared_bytes bigint NOT NULL DEFAULT 0;
      UPDATE object_totals SET shared_bytes = (
        SELECT coalesce(sum((n - 1) * size), 0) FROM (
          SELECT count(*) AS n, max(o.size) AS size FROM shards s JOIN objects o ON o.id = s.object_id
          WHERE s.part_no = 1 AND s.shard_index = 0 AND o.expires_at IS NULL GROUP BY s.shard_id
        ) AS groups
      ) WHERE slot = 0;
      -- The live object's size if another live object has the same first shard, else 0 (or NULL: no change).
      CREATE FUNCTION shared_bytes_delta(p_object text, p_shard text) RETURNS bigint LANGUAGE sql STABLE AS $$
        SELECT coalesce((SELECT o.size FROM objects o WHERE o.id = p_object AND o.expires_at IS NULL), 0)
        WHERE EXISTS (SELECT 1 FROM shards s2 JOIN objects o2 ON o2.id = s2.object_id
                      WHERE s2.shard_id = p_shard AND s2.part_no = 1 AND s2.shard_index = 0
                        AND s2.object_id <> p_object AND o2.expires_at IS NULL)
      $$;
      CREATE FUNCTION shared_bytes_add(p_object text, p_delta bigint) RETURNS void LANGUAGE sql AS $$
        UPDATE object_totals SET shared_bytes = shared_bytes + p_delta WHERE slot = hashtext(p_object) & 15 AND p_delta <> 0
      $$;
      -- BEFORE row triggers run as each row changes (AFTER ones would all see the statement's end), so a
      -- statement moving a shared shard (every sharer's row) adds and takes away the same amount.
      CREATE FUNCTION shards_shared_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.part_no = 1 AND OLD.shard_index = 0
           AND (TG_OP = 'DELETE' OR OLD.shard_id <> NEW.shard_id) THEN
          PERFORM shared_bytes_add(OLD.object_id, -shared_bytes_delta(OLD.object_id, OLD.shard_id));
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.part_no = 1 AND NEW.shard_index = 0
           AND (TG_OP = 'INSERT' OR OLD.shard_id <> NEW.shard_id) THEN
          PERFORM shared_bytes_add(NEW.object_id, shared_bytes_delta(NEW.object_id, NEW.shard_id));
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
      END
      $$;
      CREATE TRIGGER shards_shared_bytes BEFORE INSERT OR UPDATE OF shard_id OR DELETE ON shards
        FOR EACH ROW EXECUTE FUNCTION shards_shared_bytes();
      CREATE FUNCTION objects_shared_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.expires_at IS NULL AND NEW.expires_at IS NOT NULL THEN
          PERFORM shared_bytes_add(OLD.id, -shared_bytes_delta(OLD.id,
            (SELECT s.shard_id FROM shards s WHERE s.object_id = OLD.id AND s.part_no = 1 AND s.shard_index = 0)));
        END IF;
        RETURN NEW;
      END
      $$;
      CREATE TRIGGER objects_shared_bytes BEFORE UPDATE OF expires_at ON objects
        FOR EACH ROW EXECUTE FUNCTION objects_shared_bytes();
    `,
  },
  {
    version: 9,
    name: 'the file system each node is on, and its free bytes',
    sql: `
      ALTER TABLE nodes ADD COLUMN fs_id text;
      ALTER TABLE nodes ADD COLUMN fs_free bigint;
    `,
  },
  {
    version: 10,
    name: 'failure domains: the zone and the machine of each node',
    sql: `
      ALTER TABLE nodes ADD COLUMN zone text;
      ALTER TABLE nodes ADD COLUMN machine text;
    `,
  },
  {
    version: 11,
    name: 'nodes an operator drains or retires',
    sql: `
      ALTER TABLE nodes ADD COLUMN drain text CHECK (drain IN ('draining', 'retired'));
      ALTER TABLE nodes ADD COLUMN drain_at bigint;
    `,
  },
  {
    version: 12,
    name: 'access keys with rights on buckets; public-read, CORS and lifecycle settings of buckets',
    sql: `
      -- Keys made before rights existed could do everything: they stay administrators.
      ALTER TABLE access_keys ADD COLUMN admin boolean NOT NULL DEFAULT true;
      CREATE TABLE bucket_grants (
        access_key text NOT NULL,
        bucket text NOT NULL,
        access text NOT NULL CHECK (access IN ('read', 'write', 'owner')),
        PRIMARY KEY (access_key, bucket)
      );
      CREATE INDEX bucket_grants_by_bucket ON bucket_grants (bucket);
      ALTER TABLE buckets ADD COLUMN public_read boolean NOT NULL DEFAULT false;
      -- The bucket's S3 settings as JSON: its CORS rules and its lifecycle rules.
      ALTER TABLE buckets ADD COLUMN cors jsonb;
      ALTER TABLE buckets ADD COLUMN lifecycle jsonb;
    `,
  },
  {
    version: 13,
    name: 'exist() and delete() for roles granted shardstore_operator only',
    sql: `
      -- They run with their owner's rights, so a role needs no rights on the tables to call them, and only
      -- roles granted EXECUTE may (\`shardstore sql-functions install\` grants it to shardstore_operator). The
      -- audit log names the session's role, the one that logged in, not the owner the function runs as.
      CREATE OR REPLACE FUNCTION exist(object_key text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER AS $$
        SELECT EXISTS (SELECT 1 FROM objects WHERE key = object_key AND bucket = '${PATHS_BUCKET}' AND expires_at IS NULL)
      $$;
      ${pathDeleteFunction('CREATE OR REPLACE FUNCTION delete(object_key text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER', 'session_user')}
      -- Only the schema they were made in (and pg_temp last), so no caller's own table named objects is read.
      DO $$ BEGIN
        EXECUTE format('ALTER FUNCTION exist(text) SET search_path = %I, pg_temp', current_schema());
        EXECUTE format('ALTER FUNCTION delete(text) SET search_path = %I, pg_temp', current_schema());
      END $$;
      REVOKE EXECUTE ON FUNCTION exist(text), delete(text) FROM PUBLIC;
    `,
  },
];

export const POSTGRES_SCHEMA_VERSION = postgresMigrations.at(-1)!.version;
