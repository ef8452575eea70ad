import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LocalCluster } from '../helpers/local-cluster.js';
import { TestDatabases } from '../helpers/postgres.js';

interface Pass { startedAt: string; finishedAt: string; holder: string }

/**
 * Two gateways on one PostgreSQL, operators hammering the manual endpoints of both while the periodic passes
 * run too: the passes of one job never overlap, as the jobs' own records (every gateway's pass history) show.
 */
test('background jobs are exclusive across gateways: manual and periodic passes never overlap', async () => {
  const databases = new TestDatabases();
  const db = await databases.fresh();
  const cluster = await LocalCluster.start(8, ['--db', db, '--gc-interval', '1']);
  try {
    const gateways = [cluster.url, await cluster.addGateway(db, ['--gc-interval', '1'])];
    // Something for the passes to look at, so that they take a while.
    for (let i = 0; i < 40; i++) assert.equal((await fetch(`${cluster.url}/jobs/${i}`, { method: 'POST', body: randomBytes(300_000) })).status, 201);
    const admin = (gateway: string, path: string, method = 'GET') =>
      fetch(gateway + path, { method, headers: { authorization: `Bearer ${cluster.state.adminToken}` } });

    const statuses = new Map<string, number>();
    const deadline = Date.now() + 6000;
    const hammer = async (gateway: string, path: string) => {
      while (Date.now() < deadline) {
        const res = await admin(gateway, path, 'POST');
        const key = `${path} ${res.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (res.status === 409) assert.match(((await res.json()) as { message: string }).message, /running in another gateway/);
        else await res.arrayBuffer();
      }
    };
    await Promise.all(gateways.flatMap((g) => ['/_repair', '/_rebalance', '/_gc', '/_repair', '/_gc'].map((path) => hammer(g, path))));
    // The background rebalance passes answered 202: wait for the last ones to end.
    for (let i = 0; i < 100; i++) {
      const running = await Promise.all(gateways.map(async (g) => ((await (await admin(g, '/_rebalance')).json()) as { running: boolean }).running));
      if (!running.includes(true)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const seen = JSON.stringify(Object.fromEntries(statuses));
    for (const [key] of statuses) assert.match(key, / (200|202|409)$/, `only 200, 202 or 409 (${seen})`);
    assert.ok([...statuses.keys()].some((k) => k.endsWith(' 409')), `concurrent asks were refused (${seen})`);
    for (const path of ['/_repair', '/_rebalance', '/_gc']) {
      const passes: Pass[] = [];
      for (const g of gateways) passes.push(...((await (await admin(g, path)).json()) as { history: Pass[] }).history);
      assert.ok(new Set(passes.map((p) => p.holder)).size === 2, `${path}: both gateways ran passes`);
      passes.sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt));
      for (let i = 1; i < passes.length; i++) {
        const before = passes[i - 1]!;
        const after = passes[i]!;
        assert.ok(Date.parse(before.finishedAt) <= Date.parse(after.startedAt), `${path}: a pass of ${before.holder} (${before.startedAt}–${before.finishedAt}) overlaps one of ${after.holder} from ${after.startedAt}`);
      }
    }
  } finally {
    await cluster.stop();
    await databases.dropAll();
  }
});
