import type pg from 'pg';
import type { AppliedMigration } from '../../domain/metadata-store.js';
import { postgresMigrations } from './postgres-migrations.js';

/** Any constant: the advisory lock that serialises migrations from several processes. */
const MIGRATION_LOCK = 7_314_159;

/** Applies the migrations not yet recorded, each in its own transaction; safe to run concurrently. */
/** `upTo` stops at a version (tests upgrade a database from an older schema). */
export async function migratePostgres(pool: pg.Pool, upTo = Number.POSITIVE_INFINITY): Promise<AppliedMigration[]> {
  const client = await pool.connect();
  const applied: AppliedMigration[] = [];
  try {
    for (const migration of postgresMigrations.filter((m) => m.version <= upTo)) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
        const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
        if (done.rowCount === 0) {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
          applied.push({ version: migration.version, name: migration.name });
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
  } finally {
    client.release();
  }
  return applied;
}

/** The newest migration applied to this database; 0 when it has no Shardstore schema. */
export async function postgresSchemaVersion(pool: pg.Pool | pg.Client): Promise<number> {
  const table = await pool.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (table.rows[0]?.t == null) return 0;
  const { rows } = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}
