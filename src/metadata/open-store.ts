import { ConfigInvalidError } from '../core/errors.js';
import type { MetadataStore } from './metadata-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import { openPostgresStore } from './postgres/postgres-store.js';

/**
 * Opens the metadata store named by a URL: `postgres://…` / `postgresql://…`, or `sqlite:FILE`,
 * `sqlite://FILE`, or a bare file path. With `migrate` it creates or upgrades the schema first; without,
 * it refuses a schema older than this code (SchemaTooOldError naming `shardstore migrate`).
 */
export async function openMetadataStore(url: string, options: { migrate: boolean }): Promise<MetadataStore> {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgresStore(url, { ...options, url });
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file.length === 0) throw new ConfigInvalidError(['--db: the SQLite file name is empty']);
  return openSqliteStore(file, { ...options, url });
}
