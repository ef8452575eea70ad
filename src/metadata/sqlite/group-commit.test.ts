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
    assert.deepEqual(group.stats, { batches: 1, writes: 5, soon: 0 }, 'one transaction, one fsync for all five');
    assert.equal(db.pragma('synchronous', { simple: true }), 1, 'back to NORMAL between batches');
    await group.durably(() => insert.run('f', 1));
    assert.equal(group.stats.batches, 2);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writes that need no fsync share one NORMAL transaction per turn, ahead of the durable batch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-group-'));
  const db = new Database(join(dir, 'g.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, sync INTEGER NOT NULL)');
    const group = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (k, sync) VALUES (?, ?)');
    // Each write records the synchronous level its transaction runs under: 1 NORMAL, 2 FULL.
    const level = () => db.pragma('synchronous', { simple: true }) as number;
    const order: string[] = [];
    const write = (k: string) => () => (order.push(k), insert.run(k, level()));
    const results = await Promise.allSettled([
      group.durably(write('durable')),
      group.soon(write('a')),
      group.soon(write('a')),
      group.soon(write('b')),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'], 'a failing write is rolled back alone');
    assert.deepEqual(order, ['a', 'a', 'b', 'durable'], 'the light writes commit first');
    assert.deepEqual(db.prepare('SELECT k, sync FROM t ORDER BY k').all(), [
      { k: 'a', sync: 1 },
      { k: 'b', sync: 1 },
      { k: 'durable', sync: 2 },
    ]);
    assert.deepEqual(group.stats, { batches: 1, writes: 1, soon: 3 });
    await group.soon(write('c'));
    assert.deepEqual(group.stats, { batches: 1, writes: 1, soon: 4 }, 'light writes alone make no durable batch');
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
