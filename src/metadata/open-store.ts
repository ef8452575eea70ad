import { ConfigInvalidError } from '../core/errors.js';
import type { MetadataStore } from '../domain/metadata-store.js';
import { watchAvailability, type AvailabilityListener } from './availability.js';

/**
 * Opens the metadata store named by a URL: `postgres://…` / `postgresql://…`, or `sqlite:FILE`,
 * `sqlite://FILE`, or a bare file path. With `migrate` it creates or upgrades the schema first; without,
 * it refuses a schema older than this code (SchemaTooOldError naming `shardstore migrate`).
 */
export async function openMetadataStore(
  url: string,
  options: { migrate: boolean; onAvailability?: AvailabilityListener; queryTimeoutMs?: number },
): Promise<MetadataStore> {
  // Each driver is loaded only when named, so a process carries one of them, and the CLI's other commands
  // neither.
  if (/^postgres(ql)?:\/\//.test(url)) {
    const [{ openPostgresStore }, { isPostgresOutage }] = await Promise.all([import('./postgres/postgres-store.js'), import('./postgres/postgres-outage.js')]);
    return watchAvailability(await openPostgresStore(url, { migrate: options.migrate, url, queryTimeoutMs: options.queryTimeoutMs ?? 0 }), isPostgresOutage, options.onAvailability);
  }
  const file = sqliteFileOf(url);
  if (file === undefined || file.length === 0) throw new ConfigInvalidError(['--db: the SQLite file name is empty']);
  const [{ openSqliteStore }, { isSqliteOutage }] = await Promise.all([import('./sqlite/sqlite-store.js'), import('./sqlite/sqlite-outage.js')]);
  return watchAvailability(openSqliteStore(file, { migrate: options.migrate, url }), isSqliteOutage, options.onAvailability);
}

/** The SQLite file a store URL names, or undefined for PostgreSQL. */
export function sqliteFileOf(url: string): string | undefined {
  return /^postgres(ql)?:\/\//.test(url) ? undefined : url.replace(/^sqlite:(\/\/)?/, '');
}
