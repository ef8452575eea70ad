import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { metadataStoreContract, PREVIOUS_SCHEMA_ROWS, schemaUpgradeContract } from '../metadata-store.contract.js';
import { openSqliteStore } from './sqlite-store.js';
import { migrateSqlite } from './sqlite-migrator.js';
import { SQLITE_SCHEMA_VERSION } from './sqlite-migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'shardstore-sqlite-'));
let n = 0;
metadataStoreContract('sqlite', async () => openSqliteStore(join(dir, `meta-${n++}.db`)));
schemaUpgradeContract('sqlite', {
  async empty() {
    return `sqlite:${join(dir, `empty-${n++}.db`)}`;
  },
  async previousWithRows() {
    const file = join(dir, `previous-${n++}.db`);
    const db = new Database(file);
    migrateSqlite(db, SQLITE_SCHEMA_VERSION - 1);
    db.exec(PREVIOUS_SCHEMA_ROWS);
    db.close();
    return `sqlite:${file}`;
  },
  async open(url, options) {
    return openSqliteStore(url.slice('sqlite:'.length), { ...options, url });
  },
});

test('sqlite: migrations are idempotent and recorded', () => {
  const db = new Database(join(dir, 'migrate.db'));
  assert.deepEqual(migrateSqlite(db).map((m) => m.version), Array.from({ length: SQLITE_SCHEMA_VERSION }, (_, i) => i + 1));
  assert.deepEqual(migrateSqlite(db), []);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'delete', 'the migrator leaves connection settings alone');
  db.close();
});

test('sqlite: the store uses WAL on a real file', async () => {
  const store = openSqliteStore(join(dir, 'wal.db'));
  await store.close();
  const db = new Database(join(dir, 'wal.db'));
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('sqlite: the metadata file, which holds the S3 secret keys, is readable by its owner only', async () => {
  const file = join(dir, `private-${n++}.db`);
  const store = openSqliteStore(file);
  try {
    await store.accessKeys.create({ accessKey: 'SSAKTEST', secretKey: 'the-secret', name: '', createdAt: 1, admin: false });
    for (const f of [file, `${file}-wal`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
  } finally {
    await store.close();
  }
});
