import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { freePort } from '../../src/processes/ports.js';
import { GATEWAY_RUNTIME_FLAGS, RUNTIME_ENV } from '../../src/processes/runtime-flags.js';

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
const privateMode = (path: string) => (statSync(path).mode & 0o077) === 0;

test('the local cluster keeps its secrets out of argv and its files private', async () => {
  const cluster = await LocalCluster.start(8);
  try {
    assert.equal((await fetch(`${cluster.url}/s/a`, { method: 'POST', body: 'secret data' })).status, 201);
    const { adminToken, nodeSecret } = cluster.state;
    for (const pid of [cluster.state.gateway.pid, ...cluster.state.nodes.map((n) => n.pid)]) {
      const line = cmdline(pid);
      assert.ok(!line.includes(adminToken) && !line.includes(nodeSecret), `pid ${pid}: ${line.replaceAll('\0', ' ')}`);
    }
    assert.doesNotMatch(cluster.startOutput, new RegExp(adminToken), 'the start hint points at cluster.json instead');
    const files = ['meta.db', 'meta.db-wal', 'cluster.json', ...readdirSync(join(cluster.dir, 'logs')).map((f) => join('logs', f))];
    for (const f of files) assert.ok(privateMode(join(cluster.dir, f)), `${f} is ${statSync(join(cluster.dir, f)).mode.toString(8)}`);
    for (const node of cluster.state.nodes) assert.ok(privateMode(node.dir), `${node.dir} is private`);
  } finally {
    await cluster.stop();
  }
});

test('a gateway reads its secrets from files given by --admin-token-file and --node-secret-file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-secret-'));
  writeFileSync(join(dir, 'admin'), 'admin-token-from-file\n', { mode: 0o600 });
  writeFileSync(join(dir, 'nodes'), 'node-secret-from-file\n', { mode: 0o600 });
  const db = `sqlite:${join(dir, 'meta.db')}`;
  const migrate = spawnSync(process.execPath, [CLI, 'migrate', '--db', db], { env: { ...process.env, ...RUNTIME_ENV } });
  assert.equal(migrate.status, 0);
  const port = await freePort('127.0.0.1');
  const child = spawn(
    process.execPath,
    [...GATEWAY_RUNTIME_FLAGS, CLI, 'gateway', '--port', String(port), '--s3-port', '0', '--db', db,
      '--admin-token-file', join(dir, 'admin'), '--node-secret-file', join(dir, 'nodes')],
    { stdio: 'ignore', env: { ...process.env, ...RUNTIME_ENV } },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${url}/_health/live`).catch(() => undefined))?.status === 200, 20_000, 'the gateway');
    assert.equal((await fetch(`${url}/_nodes`, { headers: { authorization: 'Bearer admin-token-from-file' } })).status, 200);
    assert.equal((await fetch(`${url}/_nodes`, { headers: { authorization: 'Bearer admin-token-from-fil' } })).status, 401);
    const report = { id: '0195a3b2-1111-7000-8000-000000000001', url: 'http://127.0.0.1:9', capacity: 1, used: 0, shards: 0 };
    const beat = await fetch(`${url}/_nodes`, { method: 'POST', body: JSON.stringify(report), headers: { authorization: 'Bearer node-secret-from-file', 'content-type': 'application/json' } });
    assert.equal(beat.status, 200, 'the node secret came from its file');
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
