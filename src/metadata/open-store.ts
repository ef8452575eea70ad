import { ConfigInvalidError } from '../core/errors.js';
import type { MetadataStore } from './metadata-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

/** Opens the metadata store named by a URL: `sqlite:FILE`, `sqlite://FILE`, or a bare file path. */
export function openMetadataStore(url: string): MetadataStore {
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigInvalidError([`--db ${url}: PostgreSQL is not supported yet; use sqlite:FILE`]);
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file.length === 0) throw new ConfigInvalidError(['--db: the SQLite file name is empty']);
  return openSqliteStore(file);
}
