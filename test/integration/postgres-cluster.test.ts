import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { CLI, LocalCluster, waitUntil, type NodeListing } from '../helpers/local-cluster.js';
import { TestDatabases } from '../helpers/postgres.js';
import { pause } from '../helpers/wait.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());

describe('two gateways on one PostgreSQL and one set of nodes', () => {
  const databases = new TestDatabases();
  let cluster: LocalCluster;
  let db: string;
  let a: string;
  let b: string;
  const adminOf = (gateway: string, path: string, init: RequestInit = {}) =>
    fetch(gateway + path, { ...init, headers: { ...init.headers, authorization: `Bearer ${cluster.state.adminToken}` } });

  before(async () => {
    db = await databases.fresh();
    // Both gateways run the cleaner every second: the lease must keep it to one of them at a time.
    cluster = await LocalCluster.start(8, ['--db', db, '--gc-interval', '1']);
    a = cluster.url;
    b = await cluster.addGateway(db, ['--gc-interval', '1']);
  });
  after(async () => {
    await cluster.stop();
    await databases.dropAll();
  });

  test('the second gateway sees every node through the shared registry', async () => {
    await waitUntil(async () => {
      const nodes = ((await (await adminOf(b, '/_nodes')).json()) as { nodes: NodeListing[] }).nodes;
      return nodes.length === 8 && nodes.every((n) => n.state === 'up');
    }, 10_000, 'gateway B to see 8 live nodes');
  });

  test('what one gateway stores the other serves: path objects, file store ids, the log', async () => {
    const data = randomBytes(3_000_000);
    assert.equal((await fetch(`${a}/shared/x.bin`, { method: 'POST', body: data })).status, 201);
    assert.ok((await bytesOf(await fetch(`${b}/shared/x.bin`))).equals(data));
    assert.equal((await fetch(`${b}/shared/x.bin`, { method: 'POST', body: data })).status, 405, 'write-once across gateways');

    const file = (await (await fetch(`${b}/filestore`, { method: 'POST', body: data })).json()) as { id: string; owner_key: string };
    assert.equal((await fetch(`${a}/fileinfo/${file.id}`)).status, 200);
    assert.ok((await bytesOf(await fetch(`${a}/filestore/${file.id}`))).equals(data));
    assert.equal((await fetch(`${a}/filestore/${file.id}?owner_key=${file.owner_key}`, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(`${b}/filestore/${file.id}`)).status, 410);
    await waitUntil(async () => {
      const log = (await (await adminOf(b, `/_log?object=${file.id}`)).json()) as { entries: { action: string }[] };
      return log.entries.some((e) => e.action === 'purge');
    }, 15_000, 'one of the cleaners to purge the file');
    const log = (await (await adminOf(a, `/_log?object=${file.id}`)).json()) as { entries: { action: string; time: string }[] };
    // Each gateway flushes its own entries in batches, so ids follow arrival; the event times tell the story.
    const byTime = [...log.entries].sort((x, y) => Date.parse(x.time) - Date.parse(y.time));
    assert.deepEqual(byTime.map((e) => e.action).filter((x) => x !== 'download'), ['create', 'expire', 'purge'], 'purged once');
  });

  test('racing POSTs of one new path through both gateways: exactly one 201', async () => {
    for (let round = 0; round < 8; round++) {
      const statuses = await Promise.all(
        [a, b, a, b].map((gw) => fetch(`${gw}/race/${round}`, { method: 'POST', body: randomBytes(200_000) }).then((r) => r.status)),
      );
      assert.deepEqual(statuses.sort(), [201, 405, 405, 405], `round ${round}`);
    }
  });

  test('the cleaner runs in one gateway at a time, and on demand in either', async () => {
    const pool = new pg.Pool({ connectionString: db });
    try {
      const holders = new Set<string>();
      // Watched for 3 s, over several passes of the one-second interval.
      for (const until = Date.now() + 3000; Date.now() < until; await pause(100)) {
        const { rows } = await pool.query<{ holder: string }>(`SELECT holder FROM leases WHERE name = 'cleaner' AND expires_at > $1`, [Date.now()]);
        assert.ok(rows.length <= 1);
        if (rows[0]) holders.add(rows[0].holder);
      }
      assert.equal(holders.size, 1, 'one gateway keeps the lease from pass to pass');
    } finally {
      await pool.end();
    }
    // On demand in either gateway; while a pass runs in the other, 409 with the holder, then it runs here.
    const passUntilRun = async (gateway: string) => {
      const seen: number[] = [];
      for (let i = 0; i < 50 && !seen.includes(200); i++) {
        const res = await adminOf(gateway, '/_gc', { method: 'POST' });
        seen.push(res.status);
        if (res.status === 409) await pause(100);
        await res.arrayBuffer();
      }
      return seen;
    };
    for (const seen of await Promise.all([passUntilRun(a), passUntilRun(b)])) {
      assert.ok(seen.every((s) => s === 200 || s === 409) && seen.at(-1) === 200, `asked on demand: ${seen.join(' ')}`);
    }
  });

  test('a gateway refuses a database without the current schema and names the command to run', async () => {
    const empty = await databases.fresh();
    const run = spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, 'gateway', '--port', '0', '--db', empty,
      '--node-secret', cluster.state.nodeSecret, '--admin-token', cluster.state.adminToken], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /has no Shardstore schema yet.*shardstore migrate --db postgres:/s);
    const migrate = spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, 'migrate', '--db', empty], { encoding: 'utf8' });
    assert.equal(migrate.status, 0, migrate.stderr);
    assert.match(migrate.stdout, /^applied \d+ migrations to postgres:.*\n  1  initial schema\n/s, 'it says what it applied');
    assert.doesNotMatch(migrate.stdout, /up to date/);
    const again = spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, 'migrate', '--db', empty], { encoding: 'utf8' });
    assert.equal(again.status, 0, 'migrate is idempotent');
    assert.match(again.stdout, /is up to date; no migration to apply/);
  });
});
