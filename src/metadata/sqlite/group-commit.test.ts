import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';

test('writes queued in one turn commit together; a failing one is rolled back alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-group-'));
  const db = new Database(join(dir, 'g.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
    const group = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    const writes = ['a', 'b', 'a', 'c'].map((k, i) =>
      group.durably(() => {
        insert.run(k, i);
        // A write made of several statements is all or nothing within the batch.
        if (k === 'c') insert.run('d', i);
        return k;
      }),
    );
    const failing = group.durably(() => {
      insert.run('e', 9);
      throw new Error('refused');
    });
    const results = await Promise.allSettled([...writes, failing]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    assert.match(String((results[2] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.deepEqual(db.prepare('SELECT k, v FROM t ORDER BY k').all(), [{ k: 'a', v: 0 }, { k: 'b', v: 1 }, { k: 'c', v: 3 }, { k: 'd', v: 3 }]);
    assert.deepEqual(group.stats, { batches: 1, writes: 5 }, 'one transaction, one fsync for all five');
    assert.equal(db.pragma('synchronous', { simple: true }), 1, 'back to NORMAL between batches');
    await group.durably(() => insert.run('f', 1));
    assert.equal(group.stats.batches, 2);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
