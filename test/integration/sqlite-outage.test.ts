import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalCluster } from '../helpers/local-cluster.js';

test('a SQLite file locked by another process: uploads get 503 METADATA_UNAVAILABLE with Retry-After, then work again', async () => {
  const cluster = await LocalCluster.start(8);
  const intruder = new Database(join(cluster.dir, 'meta.db'));
  try {
    assert.equal((await fetch(`${cluster.url}/lock/before`, { method: 'POST', body: 'x' })).status, 201);
    // A write lock held past the gateway's busy timeout (5 s), as a backup tool or a stray sqlite3 shell might.
    intruder.exec('BEGIN EXCLUSIVE');
    const res = await fetch(`${cluster.url}/lock/during`, { method: 'POST', body: 'y' });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '2');
    assert.equal(((await res.json()) as { error: string }).error, 'METADATA_UNAVAILABLE');
    intruder.exec('ROLLBACK');
    assert.equal((await fetch(`${cluster.url}/lock/after`, { method: 'POST', body: 'z' })).status, 201);
    assert.equal(await (await fetch(`${cluster.url}/lock/before`)).text(), 'x');
    assert.equal((await fetch(`${cluster.url}/_health`)).status, 200, 'the gateway lives on');
  } finally {
    intruder.close();
    await cluster.stop();
  }
});
