import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { metadataStoreContract } from '../metadata-store.contract.js';
import { openPostgresStore } from './postgres-store.js';
import { migratePostgres } from './postgres-migrator.js';
import { OBJECT_PARTITIONS, POSTGRES_SCHEMA_VERSION } from './postgres-migrations.js';
import { TestDatabases } from '../../../test/helpers/postgres.js';

const databases = new TestDatabases();
const freshDatabase = () => databases.fresh();

metadataStoreContract('postgres', async () => openPostgresStore(await freshDatabase()));

test('postgres: migrations are idempotent, safe concurrently, and objects are hash-partitioned by key', async () => {
  const url = await freshDatabase();
  const pools = [new pg.Pool({ connectionString: url }), new pg.Pool({ connectionString: url })];
  const results = await Promise.all(pools.map((p) => migratePostgres(p)));
  assert.deepEqual(results.flat().sort(), Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1), 'each migration applied once');
  assert.deepEqual(await migratePostgres(pools[0]!), []);
  const { rows } = await pools[0]!.query(
    `SELECT count(*)::int AS n, min(pg_get_partkeydef('objects'::regclass)) AS def FROM pg_inherits WHERE inhparent = 'objects'::regclass`,
  );
  assert.equal(rows[0].n, OBJECT_PARTITIONS);
  assert.equal(rows[0].def, 'HASH (key)');
  await Promise.all(pools.map((p) => p.end()));
});

after(() => databases.dropAll());
