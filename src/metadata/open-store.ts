import { ConfigInvalidError } from '../core/errors.js';
import type { MetadataStore } from './metadata-store.js';

/**
 * Opens the metadata store named by a URL: `postgres://…` / `postgresql://…`, or `sqlite:FILE`,
 * `sqlite://FILE`, or a bare file path. With `migrate` it creates or upgrades the schema first; without,
 * it refuses a schema older than this code (SchemaTooOldError naming `shardstore migrate`).
 */
export async function openMetadataStore(url: string, options: { migrate: boolean }): Promise<MetadataStore> {
  // Each driver is loaded only when named, so a process carries one of them, and the CLI's other commands
  // neither.
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { openPostgresStore } = await import('./postgres/postgres-store.js');
    return openPostgresStore(url, { ...options, url });
  }
  const file = sqliteFileOf(url);
  if (file === undefined || file.length === 0) throw new ConfigInvalidError(['--db: the SQLite file name is empty']);
  const { openSqliteStore } = await import('./sqlite/sqlite-store.js');
  return openSqliteStore(file, { ...options, url });
}

/** The SQLite file a store URL names, or undefined for PostgreSQL. */
export function sqliteFileOf(url: string): string | undefined {
  return /^postgres(ql)?:\/\//.test(url) ? undefined : url.replace(/^sqlite:(\/\/)?/, '');
}
