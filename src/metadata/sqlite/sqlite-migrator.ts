import type { Database } from 'better-sqlite3';
import { sqliteMigrations } from './sqlite-migrations.js';

/** Applies the migrations not yet recorded; safe to run again and from several processes. */
export function migrateSqlite(db: Database): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied: number[] = [];
  for (const migration of sqliteMigrations) {
    // IMMEDIATE takes the write lock first, so two processes migrating at once serialise here.
    const apply = db.transaction(() => {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (done) return false;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return applied;
}
