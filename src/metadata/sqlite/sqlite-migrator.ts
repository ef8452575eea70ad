import type { Database } from 'better-sqlite3';
import type { AppliedMigration } from '../../domain/metadata-store.js';
import { sqliteMigrations } from './sqlite-migrations.js';

/** Applies the migrations not yet recorded; safe to run again and from several processes. */
/** `upTo` stops at a version (tests upgrade a database from an older schema). */
export function migrateSqlite(db: Database, upTo = Number.POSITIVE_INFINITY): AppliedMigration[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied: AppliedMigration[] = [];
  for (const migration of sqliteMigrations.filter((m) => m.version <= upTo)) {
    // IMMEDIATE takes the write lock first, so two processes migrating at once serialise here.
    const apply = db.transaction(() => {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (done) return false;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
      return true;
    });
    if (apply.immediate()) applied.push({ version: migration.version, name: migration.name });
  }
  return applied;
}

/** The newest migration applied to this database; 0 when it has no Shardstore schema. */
export function sqliteSchemaVersion(db: Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return 0;
  return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
}
