import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, LocalCluster } from '../helpers/local-cluster.js';
import { pause, waitUntil } from '../helpers/wait.js';
import { freePort } from '../../src/processes/ports.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

/** Debian's real nginx (`.ci/run` installs it), with the configuration `shardstore nginx-conf` prints. */
const NGINX = '/usr/sbin/nginx';

/** nginx with the configuration `shardstore nginx-conf` prints for `gateway` (and the extra flags), on a free port. */
async function startFront(gateway: string, flags: string[] = []): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-nginx-'));
  chmodSync(dir, 0o755); // nginx's workers run unprivileged and must reach the cache
  const port = await freePort('127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const conf = spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, 'nginx-conf', '--gateway', gateway, '--listen', `127.0.0.1:${port}`,
    '--cache-dir', join(dir, 'cache'), '--pid', join(dir, 'nginx.pid'), ...flags], { encoding: 'utf8' });
  assert.equal(conf.status, 0, conf.stderr);
  writeFileSync(join(dir, 'nginx.conf'), conf.stdout);
  execFileSync(NGINX, ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'pipe' });
  // nginx daemonizes; its master keeps whatever stdio it is given, so give it none.
  execFileSync(NGINX, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const stop = async () => {
    let nginxPid: number | undefined;
    try {
      nginxPid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
      process.kill(nginxPid, 'SIGQUIT');
    } catch {
      // never started: nothing to stop
    }
    // Its cache directory goes once nginx has quit (a graceful quit finishes what its workers do).
    const gone = (pid: number) => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    if (nginxPid !== undefined) await waitUntil(() => gone(nginxPid), 10_000, 'nginx to quit').catch(() => pause(200));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(() => fetch(`${url}/_health`).then(() => true, () => false), 10_000, 'nginx to answer');
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

describe('the caching nginx front', () => {
  let cluster: LocalCluster;
  let front: { url: string; stop: () => Promise<void> } | undefined;
  let url: string;
  before(async () => {
    cluster = await LocalCluster.start(8);
    front = await startFront(cluster.url);
    url = front.url;
  });
  after(async () => {
    try {
      await front?.stop();
    } finally {
      // Even when nginx never started, the cluster must stop, or the test process never ends.
      await cluster.stop();
    }
  });

  test('uploads pass through; the second GET is a cache HIT, also with a query string and with the gateway stopped', async () => {
    const data = randomBytes(3_000_000);
    assert.equal((await fetch(`${url}/images/ololo/file.jpg`, { method: 'POST', body: data })).status, 201);
    assert.equal((await fetch(`${url}/images/ololo/file.jpg`, { method: 'POST', body: data })).status, 405);
    const first = await fetch(`${url}/images/ololo/file.jpg`);
    assert.equal(first.headers.get('x-cache-status'), 'MISS');
    assert.ok(Buffer.from(await first.arrayBuffer()).equals(data));
    const second = await fetch(`${url}/images/ololo/file.jpg?version=12`);
    assert.equal(second.headers.get('x-cache-status'), 'HIT', 'the query string is not part of the key');
    assert.ok(Buffer.from(await second.arrayBuffer()).equals(data));
    assert.equal((await fetch(`${url}/images/ololo/file1.jpg`)).status, 404);

    process.kill(cluster.state.gateway.pid, 'SIGSTOP');
    try {
      const stopped = await fetch(`${url}/images/ololo/file.jpg`, { signal: AbortSignal.timeout(5000) });
      assert.equal(stopped.status, 200);
      assert.ok(Buffer.from(await stopped.arrayBuffer()).equals(data), 'served from the cache alone');
    } finally {
      process.kill(cluster.state.gateway.pid, 'SIGCONT');
    }
  });

  test('a chunked upload of a large body streams through, and file store answers are not cached', async () => {
    const big = randomBytes(40_000_000);
    const res = await fetch(`${url}/big/chunked.bin`, {
      method: 'POST',
      body: new ReadableStream({ start(c) { for (let at = 0; at < big.length; at += 4_000_000) c.enqueue(big.subarray(at, at + 4_000_000)); c.close(); } }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 201);
    assert.ok(Buffer.from(await (await fetch(`${url}/big/chunked.bin`)).arrayBuffer()).equals(big));
    const file = (await (await fetch(`${url}/filestore`, { method: 'POST', body: big.subarray(0, 1000) })).json()) as { id: string };
    await fetch(`${url}/filestore/${file.id}`);
    const again = await fetch(`${url}/filestore/${file.id}`);
    assert.equal(again.headers.get('x-cache-status'), null, 'file store downloads bypass the cache');
  });
});

test('the front of a gateway that speaks TLS checks its certificate against the cluster CA', async () => {
  const cluster = await LocalCluster.start(8, ['--tls']);
  const fronts: { url: string; stop: () => Promise<void> }[] = [];
  try {
    const data = randomBytes(1_500_000);
    assert.equal((await fetch(`${cluster.url}/tls-front/a.bin`, { method: 'POST', body: data })).status, 201);
    // nginx checks DNS names only; the local cluster's certificates hold `localhost` beside the address.
    const front = await startFront(cluster.url, ['--gateway-ca', cluster.state.caFile!, '--gateway-name', 'localhost']);
    fronts.push(front);
    const first = await fetch(`${front.url}/tls-front/a.bin`);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-cache-status'), 'MISS');
    assert.ok(Buffer.from(await first.arrayBuffer()).equals(data));
    const second = await fetch(`${front.url}/tls-front/a.bin`);
    assert.equal(second.headers.get('x-cache-status'), 'HIT');
    assert.ok(Buffer.from(await second.arrayBuffer()).equals(data));
    assert.equal((await fetch(`${front.url}/tls-front/b.bin`, { method: 'POST', body: data })).status, 201, 'uploads pass through');
    // Trusting only the system's authorities, the front refuses the gateway's certificate: 502, nothing served.
    const untrusting = await startFront(cluster.url, ['--gateway-name', 'localhost']);
    fronts.push(untrusting);
    assert.equal((await fetch(`${untrusting.url}/tls-front/a.bin`)).status, 502);
  } finally {
    for (const f of fronts) await f.stop();
    await cluster.stop();
  }
});
