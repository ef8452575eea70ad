import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import type { ClusterState } from '../../src/processes/cluster.js';

test('the local cluster starts a dead child again, with back-off, and says why; cluster.json follows', async () => {
  const cluster = await LocalCluster.start(8, ['--restart', 'always']);
  const state = () => JSON.parse(readFileSync(join(cluster.dir, 'cluster.json'), 'utf8')) as ClusterState;
  try {
    assert.equal((await fetch(`${cluster.url}/sup/a`, { method: 'POST', body: 'kept' })).status, 201);
    const node = cluster.state.nodes[2]!;
    process.kill(node.pid, 'SIGKILL');
    await waitUntil(async () => state().nodes[2]!.pid !== node.pid, 10_000, 'node-3 started again');
    assert.match(cluster.output(), new RegExp(`node-3 \\(pid ${node.pid}\\) exited on SIGKILL; starting it again in 1 s`));
    const again = state().nodes[2]!;
    assert.equal(again.url, node.url, 'the same port and URL');
    await waitUntil(async () => (await cluster.nodes()).filter((n) => n.state === 'up').length === 8, 15_000, 'all nodes up');

    // Dying again soon after: the back-off doubles.
    process.kill(again.pid, 'SIGKILL');
    await waitUntil(async () => cluster.output().includes(`node-3 (pid ${again.pid}) exited on SIGKILL; starting it again in 2 s`), 10_000, 'a longer back-off');

    const gatewayPid = state().gateway.pid;
    process.kill(gatewayPid, 'SIGKILL');
    await waitUntil(async () => state().gateway.pid !== gatewayPid, 10_000, 'the gateway started again');
    await waitUntil(async () => (await fetch(`${cluster.url}/_health/live`).catch(() => undefined))?.status === 200, 20_000, 'the gateway answering');
    assert.equal(await (await fetch(`${cluster.url}/sup/a`)).text(), 'kept');
  } finally {
    await cluster.stop();
  }
});
