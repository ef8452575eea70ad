import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CLI, LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { POSTGRES_SERVER, TestDatabases } from '../helpers/postgres.js';
import { freePort } from '../../src/processes/ports.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

const run = (...args: string[]) => spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, ...args], { encoding: 'utf8' });
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A SQL error's SQLSTATE and message, for assert.rejects. */
const sqlError = (code: string, message: RegExp) => (error: unknown) => {
  const e = error as { code?: string; message: string };
  assert.equal(e.code, code, `SQLSTATE of: ${e.message}`);
  assert.match(e.message, message);
  assert.doesNotMatch(e.message, /plpy|Traceback/, 'a plain SQL error, not a Python one');
  return true;
};

/** Drops the test's login roles and the role the install made (kept if another database still uses it: 2BP01). */
async function dropRoles(...logins: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: `${POSTGRES_SERVER}/postgres` });
  await admin.connect();
  try {
    for (const login of logins) await admin.query(`DROP ROLE IF EXISTS ${login}`);
    await admin.query('DROP ROLE IF EXISTS shardstore_operator').catch((error: { code?: string }) => {
      if (error.code !== '2BP01') throw error;
    });
  } finally {
    await admin.end();
  }
}

describe('the path store as SQL functions in PostgreSQL: import, exist, export, delete, deduplicate', () => {
  const databases = new TestDatabases();
  // Files of the database host: the server runs as the postgres user, so the directory is open to it.
  const work = mkdtempSync(join(tmpdir(), 'shardstore-sql-'));
  const operator = `shardstore_test_op_${randomBytes(4).toString('hex')}`;
  let cluster: LocalCluster;
  let db: string;
  let owner: pg.Client;
  let user: pg.Client;
  let tokenFile: string;

  const install = (...flags: string[]) => run('sql-functions', 'install', '--db', db, '--token-file', tokenFile, ...flags);
  const usedOnNodes = async () => (await cluster.nodes()).reduce((sum, n) => sum + n.used, 0);
  const liveRows = async (key: string) =>
    Number((await owner.query<{ n: string }>(`SELECT count(*) AS n FROM objects WHERE key = $1 AND expires_at IS NULL`, [key])).rows[0]!.n);

  before(async () => {
    chmodSync(work, 0o777);
    db = await databases.fresh();
    cluster = await LocalCluster.start(8, ['--db', db, '--gc-interval', '1', '--gc-grace', '2']);
    tokenFile = join(work, 'token');
    writeFileSync(tokenFile, `${cluster.state.adminToken}\n`, { mode: 0o600 });
    owner = new pg.Client({ connectionString: db });
    await owner.connect();
    await owner.query(`CREATE ROLE ${operator} LOGIN`);
    user = new pg.Client({ connectionString: `${POSTGRES_SERVER.replace('postgres@', `${operator}@`)}/${new URL(db).pathname.slice(1)}` });
    await user.connect();
  });
  after(async () => {
    await user?.end();
    await owner?.end();
    await cluster?.stop();
    await databases.dropAll();
    await dropRoles(operator);
    rmSync(work, { recursive: true, force: true });
  });

  test('install: refuses what it cannot use — no superuser, a wrong token, a gateway that does not answer — and then installs', async () => {
    const nonSuper = run('sql-functions', 'install', '--db', db.replace('postgres@', `${operator}@`), '--gateway', cluster.url, '--token-file', tokenFile);
    assert.equal(nonSuper.status, 2);
    assert.match(nonSuper.stderr, /connect as a superuser/);
    writeFileSync(join(work, 'wrong'), 'not-the-token\n');
    const wrongToken = run('sql-functions', 'install', '--db', db, '--gateway', cluster.url, '--token-file', join(work, 'wrong'));
    assert.equal(wrongToken.status, 2);
    assert.match(wrongToken.stderr, /^shardstore sql-functions: shardstore: checking the gateway: the gateway answered 401/);
    const down = install('--gateway', `http://127.0.0.1:${await freePort('127.0.0.1')}`);
    assert.equal(down.status, 2);
    assert.match(down.stderr, /the gateway at http:\/\/127\.0\.0\.1:\d+ cannot be reached: .*Connection refused/);
    const relative = install('--gateway', cluster.url, '--files-under', 'data');
    assert.equal(relative.status, 2);
    assert.match(relative.stderr, /--files-under: data must be an absolute path on the database host/);
    const functions = await owner.query(`SELECT 1 FROM pg_proc WHERE proname = 'import'`);
    assert.equal(functions.rowCount, 0, 'a refused install leaves nothing');

    const installed = install('--gateway', cluster.url);
    assert.equal(installed.status, 0, installed.stderr);
    assert.match(installed.stdout, /import\(\), export\(\), deduplicate\(\), exist\(\), delete\(\)/);
    assert.match(installed.stdout, /GRANT shardstore_operator TO/);
    assert.equal(install('--gateway', cluster.url).status, 0, 'a second install replaces the first');
  });

  test('rights: a role not granted shardstore_operator may call none of the five, nor read the gateway token', async () => {
    for (const call of [`exist('a')`, `delete('a')`, `import('a', '${work}/x')`, `export('a', '${work}/y')`, `deduplicate()`]) {
      await assert.rejects(user.query(`SELECT ${call}`), (e: { code?: string }) => e.code === '42501', call);
    }
    await assert.rejects(user.query('SELECT token FROM shardstore_gateway'), (e: { code?: string }) => e.code === '42501');
    await owner.query(`GRANT shardstore_operator TO ${operator}`);
    assert.equal((await user.query<{ e: boolean }>(`SELECT exist('a') AS e`)).rows[0]!.e, false);
    await assert.rejects(user.query('SELECT token FROM shardstore_gateway'), (e: { code?: string }) => e.code === '42501', 'the token stays the owner\'s');
  });

  test('import, exist, export, deduplicate (disk use drops after the cleaner), delete, exist — from a role granted shardstore_operator', async () => {
    const base = await usedOnNodes();
    const data = randomBytes(9_000_000);
    const source = join(work, 'report.bin');
    writeFileSync(source, data);
    chmodSync(source, 0o644);
    const imported = await user.query<{ size: string; sha256: string }>(`SELECT * FROM import('sql/report.bin', $1)`, [source]);
    assert.deepEqual(imported.rows[0], { size: String(data.length), sha256: sha256(data) });
    assert.equal((await user.query<{ e: boolean }>(`SELECT exist('sql/report.bin') AS e`)).rows[0]!.e, true);
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/sql/report.bin`)).arrayBuffer()).equals(data), 'the path API serves what SQL imported');

    const target = join(work, 'out', 'report.copy');
    mkdirSync(join(work, 'out'), { mode: 0o777 });
    chmodSync(join(work, 'out'), 0o777);
    const exported = await user.query<{ export: string }>(`SELECT export('sql/report.bin', $1)`, [target]);
    assert.equal(exported.rows[0]!.export, String(data.length));
    assert.ok(readFileSync(target).equals(data), 'the exported file holds the bytes imported');
    assert.deepEqual(readdirSync(join(work, 'out')), ['report.copy'], 'no temporary file left');

    await user.query(`SELECT * FROM import('sql/report-again.bin', $1)`, [source]);
    // Two copies of 6 data shards and 2 parity: the nodes report them with their next heartbeats.
    const twoCopies = 2 * data.length * (8 / 6);
    await waitUntil(async () => (await usedOnNodes()) - base >= twoCopies, 30_000, 'the nodes to report both copies');
    const before = await usedOnNodes();
    const pass = await user.query<{ groups: string; objects_shared: string; bytes_freed: string }>('SELECT * FROM deduplicate()');
    assert.equal(pass.rows[0]!.groups, '1');
    assert.equal(pass.rows[0]!.objects_shared, '1');
    const freed = Number(pass.rows[0]!.bytes_freed);
    assert.ok(freed > data.length, `the second copy's shards with parity are freed (${freed} bytes)`);
    await cluster.admin('/_gc', { method: 'POST' });
    await waitUntil(async () => before - (await usedOnNodes()) >= freed * 0.95, 30_000, 'the nodes to report the freed bytes');
    assert.ok(Buffer.from(await (await fetch(`${cluster.url}/sql/report-again.bin`)).arrayBuffer()).equals(data), 'the deduplicated copy still reads');

    assert.equal((await user.query<{ d: boolean }>(`SELECT delete('sql/report.bin') AS d`)).rows[0]!.d, true);
    assert.equal((await user.query<{ e: boolean }>(`SELECT exist('sql/report.bin') AS e`)).rows[0]!.e, false);
    assert.equal((await user.query<{ d: boolean }>(`SELECT delete('sql/report.bin') AS d`)).rows[0]!.d, false, 'already deleted');
    assert.equal((await fetch(`${cluster.url}/sql/report.bin`)).status, 404);
    const [entry] = (await owner.query<{ client: string }>(`SELECT client FROM audit_log WHERE key = 'sql/report.bin' AND action = 'expire'`)).rows;
    assert.equal(entry!.client, `sql:${operator}`, 'the audit log names the role that called delete()');
  });

  test('each error is a SQL error with its SQLSTATE and a clear message; a failed import stores nothing', async () => {
    const source = join(work, 'small.bin');
    writeFileSync(source, randomBytes(100_000));
    chmodSync(source, 0o644);
    await user.query(`SELECT * FROM import('sql/small.bin', $1)`, [source]);
    await assert.rejects(user.query(`SELECT * FROM import('sql/small.bin', $1)`, [source]), sqlError('23505', /an object already exists at key 'sql\/small\.bin'/));
    await assert.rejects(user.query(`SELECT export('sql/none.bin', $1)`, [join(work, 'out', 'none')]), sqlError('P0002', /no object at key 'sql\/none\.bin'/));
    await assert.rejects(user.query(`SELECT export('sql/small.bin', $1)`, [source]), sqlError('58P02', /cannot write .*small\.bin: the file exists/));
    await assert.rejects(user.query(`SELECT * FROM import('sql/a.bin', $1)`, [join(work, 'missing.bin')]), sqlError('58P01', /cannot read .*missing\.bin: No such file or directory/));
    await assert.rejects(user.query(`SELECT * FROM import('sql/a.bin', $1)`, [work]), sqlError('58030', /cannot read .*: Is a directory/));
    const secret = join(work, 'secret.bin');
    writeFileSync(secret, randomBytes(1000), { mode: 0o600 });
    if (process.getuid?.() === 0) {
      // Owned by root and private: the server, running as postgres, may not read it.
      await assert.rejects(user.query(`SELECT * FROM import('sql/a.bin', $1)`, [secret]), sqlError('42501', /cannot read .*secret\.bin: Permission denied/));
    }
    await assert.rejects(user.query(`SELECT * FROM import('sql//a.bin', $1)`, [source]), sqlError('22023', /the gateway answered 400: .*empty path segment/));
    assert.equal(await liveRows('sql/a.bin'), 0, 'no failed import stored an object');
    assert.equal(existsSync(join(work, 'out', 'none')), false, 'a failed export leaves no file');

    // Only below --files-under.
    assert.equal(install('--gateway', cluster.url, '--files-under', join(work, 'out')).status, 0);
    await assert.rejects(user.query(`SELECT * FROM import('sql/b.bin', $1)`, [source]), sqlError('42501', /is outside the directories the SQL functions may read: .*out/));
    await assert.rejects(user.query(`SELECT export('sql/small.bin', $1)`, [join(work, 'out', '..', 'escape.bin')]), sqlError('42501', /outside the directories the SQL functions may write/));
    assert.equal((await user.query<{ export: string }>(`SELECT export('sql/small.bin', $1)`, [join(work, 'out', 'small.copy')])).rows[0]!.export, '100000');

    // The gateway down: installed without the check, as an operator might before the gateway starts.
    const down = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
    assert.equal(install('--gateway', down, '--no-check').status, 0);
    await assert.rejects(user.query(`SELECT * FROM import('sql/c.bin', $1)`, [source]), sqlError('08006', /the gateway at http:\/\/127\.0\.0\.1:\d+ cannot be reached/));
    await assert.rejects(user.query(`SELECT export('sql/small.bin', $1)`, [join(work, 'out', 'c')]), sqlError('08006', /cannot be reached/));
    await assert.rejects(user.query('SELECT * FROM deduplicate()'), sqlError('08006', /cannot be reached/));
    assert.equal(await liveRows('sql/c.bin'), 0);
    assert.equal(install('--gateway', cluster.url).status, 0);
  });

  test('the hash-partitioned objects table: a lookup by key reads one partition, and rows live in the partitions only', async () => {
    const keys = ['sql/small.bin', 'sql/report-again.bin'];
    for (const key of keys) {
      const plan = (await owner.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT 1 FROM objects WHERE key = '${key}' AND bucket = '_paths' AND expires_at IS NULL`)).rows
        .map((r) => r['QUERY PLAN']).join('\n');
      const scanned = [...new Set(plan.match(/objects_p\d+/g))];
      assert.equal(scanned.length, 1, `one partition in:\n${plan}`);
      const holder = (await owner.query<{ t: string }>(`SELECT tableoid::regclass::text AS t FROM objects WHERE key = $1 LIMIT 1`, [key])).rows[0]!.t;
      assert.equal(scanned[0], holder, 'the partition the plan reads is the one holding the row');
    }
    assert.equal(Number((await owner.query<{ n: string }>('SELECT count(*) AS n FROM ONLY objects')).rows[0]!.n), 0, 'the parent table holds no rows');
    const spread = await owner.query<{ t: string }>('SELECT DISTINCT tableoid::regclass::text AS t FROM objects');
    assert.ok(spread.rows.every((r) => /^objects_p\d+$/.test(r.t)), 'every row is in a partition');
  });
});

describe('the SQL functions through a gateway that speaks HTTPS (shardstore cluster --tls)', () => {
  const databases = new TestDatabases();
  const work = mkdtempSync(join(tmpdir(), 'shardstore-sql-tls-'));
  let cluster: LocalCluster;
  let db: string;

  before(async () => {
    chmodSync(work, 0o777);
    db = await databases.fresh();
    cluster = await LocalCluster.start(8, ['--tls', '--db', db]);
  });
  after(async () => {
    await cluster?.stop();
    await databases.dropAll();
    await dropRoles();
    rmSync(work, { recursive: true, force: true });
  });

  test('install checks the certificate against --ca (a file of the database host); import and export go over HTTPS', async () => {
    const tokenFile = join(work, 'token');
    writeFileSync(tokenFile, `${cluster.state.adminToken}\n`, { mode: 0o600 });
    // The cluster's directory is private: the server reads its own copy of the CA.
    const ca = join(work, 'ca.crt');
    writeFileSync(ca, readFileSync(cluster.state.caFile!), { mode: 0o644 });
    assert.match(cluster.url, /^https:/);
    const unchecked = run('sql-functions', 'install', '--db', db, '--gateway', cluster.url, '--token-file', tokenFile);
    assert.equal(unchecked.status, 2, 'the system CAs do not know the cluster CA');
    assert.match(unchecked.stderr, /cannot be reached: .*CERTIFICATE_VERIFY_FAILED/);
    const installed = run('sql-functions', 'install', '--db', db, '--gateway', cluster.url, '--token-file', tokenFile, '--ca', ca);
    assert.equal(installed.status, 0, installed.stderr);

    const data = randomBytes(2_000_000);
    const source = join(work, 'in.bin');
    writeFileSync(source, data, { mode: 0o644 });
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      const imported = await client.query<{ sha256: string }>(`SELECT * FROM import('tls/in.bin', $1)`, [source]);
      assert.equal(imported.rows[0]!.sha256, sha256(data));
      const target = join(work, 'out.bin');
      assert.equal((await client.query<{ export: string }>(`SELECT export('tls/in.bin', $1)`, [target])).rows[0]!.export, String(data.length));
      assert.ok(readFileSync(target).equals(data));
    } finally {
      await client.end();
    }
  });
});
