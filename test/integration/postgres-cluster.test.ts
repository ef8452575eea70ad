import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { CLI, LocalCluster } from '../helpers/local-cluster.js';
import { TestDatabases } from '../helpers/postgres.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

describe('a cluster on PostgreSQL metadata', () => {
  const databases = new TestDatabases();
  let cluster: LocalCluster;
  let db: string;
  before(async () => {
    db = await databases.fresh();
    cluster = await LocalCluster.start(8, ['--db', db]);
  });
  after(async () => {
    await cluster.stop();
    await databases.dropAll();
  });

  test('path API, file store, cleaner and log work the same', async () => {
    const data = randomBytes(2_000_000);
    assert.equal((await fetch(`${cluster.url}/pg/a.bin`, { method: 'POST', body: data })).status, 201);
    assert.equal((await fetch(`${cluster.url}/pg/a.bin`, { method: 'POST', body: data })).status, 405);
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/pg/a.bin`)).arrayBuffer()).equals(data));
    const statuses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${cluster.url}/pg/race.bin`, { method: 'POST', body: randomBytes(50_000) }).then((r) => r.status)));
    assert.equal(statuses.filter((s) => s === 201).length, 1, `one winner: ${statuses}`);

    const file = (await (await fetch(`${cluster.url}/filestore`, { method: 'POST', body: data })).json()) as { id: string; owner_key: string };
    assert.equal((await fetch(`${cluster.url}/filestore/${file.id}?owner_key=${file.owner_key}`, { method: 'DELETE' })).status, 200);
    const gc = (await (await cluster.admin('/_gc', { method: 'POST' })).json()) as { purged: number };
    assert.equal(gc.purged, 1);
    const log = (await (await cluster.admin(`/_log?object=${file.id}`)).json()) as { entries: { action: string }[] };
    assert.deepEqual(log.entries.map((e) => e.action), ['purge', 'expire', 'create']);
    assert.equal((await cluster.nodes()).length, 8);
  });

  test('shardstore migrate is idempotent against a live database', () => {
    const out = execFileSync(process.execPath, [...RUNTIME_FLAGS, CLI, 'migrate', '--db', db], { encoding: 'utf8' });
    assert.match(out, /up to date/);
  });
});
