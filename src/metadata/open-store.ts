import { ConfigInvalidError } from '../core/errors.js';
import type { MetadataStore } from './metadata-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import { openPostgresStore } from './postgres/postgres-store.js';

/**
 * Opens (and migrates) the metadata store named by a URL: `postgres://…` / `postgresql://…`, or
 * `sqlite:FILE`, `sqlite://FILE`, or a bare file path.
 */
export async function openMetadataStore(url: string): Promise<MetadataStore> {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgresStore(url);
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file.length === 0) throw new ConfigInvalidError(['--db: the SQLite file name is empty']);
  return openSqliteStore(file);
}
