import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { metadataStoreContract, PREVIOUS_SCHEMA_ROWS, schemaUpgradeContract } from '../metadata-store.contract.js';
import { openPostgresStore } from './postgres-store.js';
import { migratePostgres } from './postgres-migrator.js';
import { OBJECT_PARTITIONS, POSTGRES_SCHEMA_VERSION } from './postgres-migrations.js';
import { TestDatabases } from '../../../test/helpers/postgres.js';

const databases = new TestDatabases();
const freshDatabase = () => databases.fresh();

metadataStoreContract('postgres', async () => openPostgresStore(await freshDatabase()));
schemaUpgradeContract('postgres', {
  empty: freshDatabase,
  async previousWithRows() {
    const url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url });
    await migratePostgres(pool, POSTGRES_SCHEMA_VERSION - 1);
    await pool.query(PREVIOUS_SCHEMA_ROWS);
    await pool.end();
    return url;
  },
  open: (url, options) => openPostgresStore(url, options),
});

test('postgres: exist() and delete() answer for path keys inside the database', async () => {
  const url = await freshDatabase();
  const store = await openPostgresStore(url);
  const pool = new pg.Pool({ connectionString: url });
  try {
    await pool.query(PREVIOUS_SCHEMA_ROWS);
    const ask = async (sql: string) => (await pool.query<{ r: boolean }>(`SELECT ${sql} AS r`)).rows[0]!.r;
    assert.equal(await ask(`exist('old/1')`), true);
    assert.equal(await ask(`exist('old/none')`), false);
    assert.equal(await ask(`delete('old/1')`), true);
    assert.equal(await ask(`delete('old/1')`), false, 'already deleted');
    assert.equal(await ask(`exist('old/1')`), false);
    assert.equal(await store.objects.findLive('_paths', 'old/1'), undefined);
    assert.deepEqual((await store.objects.expiredNotPurged(10)).map((o) => o.id), ['o1'], 'the cleaner will purge it');
    const [entry] = await store.audit.query({ objectId: 'o1', limit: 1 });
    assert.equal(entry!.action, 'expire');
    assert.match(entry!.client!, /^sql:postgres$/);
  } finally {
    await pool.end();
    await store.close();
  }
});

test('postgres: migrations are idempotent, safe concurrently, and objects are hash-partitioned by key', async () => {
  const url = await freshDatabase();
  const pools = [new pg.Pool({ connectionString: url }), new pg.Pool({ connectionString: url })];
  const results = await Promise.all(pools.map((p) => migratePostgres(p)));
  assert.deepEqual(results.flat().map((m) => m.version).sort((a, b) => a - b), Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1), 'each migration applied once');
  assert.deepEqual(await migratePostgres(pools[0]!), []);
  const { rows } = await pools[0]!.query(
    `SELECT count(*)::int AS n, min(pg_get_partkeydef('objects'::regclass)) AS def FROM pg_inherits WHERE inhparent = 'objects'::regclass`,
  );
  assert.equal(rows[0].n, OBJECT_PARTITIONS);
  assert.equal(rows[0].def, 'HASH (key)');
  await Promise.all(pools.map((p) => p.end()));
});

after(() => databases.dropAll());

test('postgres: the access keys table is its owner\'s alone: another role of the server reads no secret', async () => {
  const url = await freshDatabase();
  const store = await openPostgresStore(url);
  const role = `shardstore_reader_${Date.now().toString(36)}`;
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await store.accessKeys.create({ accessKey: 'SSAKTEST', secretKey: 'the-secret', name: '', createdAt: 1, admin: false });
    await pool.query(`CREATE ROLE ${role}`);
    const client = await pool.connect();
    try {
      await client.query(`SET ROLE ${role}`);
      for (const table of ['access_keys', 'bucket_grants']) {
        await assert.rejects(client.query(`SELECT * FROM ${table}`), /permission denied/, table);
      }
      await client.query('RESET ROLE');
    } finally {
      client.release();
    }
  } finally {
    await pool.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await pool.end();
    await store.close();
  }
});
