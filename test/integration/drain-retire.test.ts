import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { CLI, LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

interface Listed { id: string; url: string; state: string; drain: string | null; drainRemaining?: number; activity: string | null }

test('drain and retire: a running node is emptied and retired; a dead one is retired once repaired', async () => {
  const cluster = await LocalCluster.start(10);
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, ...args], {
      env: { ...process.env, SHARDSTORE_GATEWAY: cluster.url, SHARDSTORE_TOKEN: cluster.state.adminToken },
      encoding: 'utf8',
    });
  const listed = async () => ((await (await cluster.admin('/_nodes')).json()) as { nodes: Listed[] }).nodes;
  try {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const body = randomBytes(i % 3 ? 200_000 : 2_500_000);
      bodies.set(`dr/${i}`, body);
      assert.equal((await fetch(`${cluster.url}/dr/${i}`, { method: 'POST', body })).status, 201);
    }
    const readAll = async (when: string) => {
      for (const [key, body] of bodies) {
        const res = await fetch(`${cluster.url}/${key}`);
        assert.equal(res.status, 200, `${key} ${when}`);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(body), `${key} exact ${when}`);
      }
    };

    // A running node: retire is refused while it holds shards, drain empties it, then retire forgets it.
    const victim = cluster.state.nodes[2]!;
    const refused = cli(['nodes', 'retire', victim.id]);
    assert.equal(refused.status, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /still holds \d+ shards? of live objects: drain it/);
    const drain = cli(['nodes', 'drain', victim.id]);
    assert.equal(drain.status, 0, drain.stderr);
    assert.match(drain.stdout, new RegExp(`node ${victim.id} is draining: \\d+ shards? to move`));
    let row = (await listed()).find((n) => n.id === victim.id)!;
    assert.equal(row.drain, 'draining');
    assert.equal(row.activity, 'draining');
    // New uploads avoid it at once.
    assert.equal((await fetch(`${cluster.url}/dr/new`, { method: 'POST', body: randomBytes(500_000) })).status, 201);
    const map = (await (await cluster.admin('/_objects/dr/new')).json()) as { parts: { shards: { node: string }[] }[] };
    assert.ok(!map.parts[0]!.shards.some((s) => s.node === victim.id), 'no new shard on a draining node');
    assert.equal((await cluster.admin('/_rebalance', { method: 'POST' })).status, 202);
    await waitUntil(async () => (await listed()).find((n) => n.id === victim.id)!.drainRemaining === 0, 60_000, 'the drained node to hold nothing');
    await readAll('after the drain');
    const retire = cli(['nodes', 'retire', victim.id]);
    assert.equal(retire.status, 0, retire.stderr);
    assert.ok(!(await listed()).some((n) => n.id === victim.id), 'a retired node leaves the listing');
    // Its heartbeats are refused from now on.
    const beat = await fetch(`${cluster.url}/_nodes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cluster.state.nodeSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: victim.id, url: victim.url, capacity: 1, used: 0, shards: 0 }),
    });
    assert.equal(beat.status, 403);
    // Undrain of an unknown or retired node is a clear error.
    assert.equal((await cluster.admin(`/_nodes/${victim.id}/drain`, { method: 'DELETE' })).status, 400);
    assert.equal((await cluster.admin('/_nodes/00000000-0000-4000-8000-000000000000/drain', { method: 'POST' })).status, 404);

    // A dead node: refused until its shards are repaired elsewhere, then retired.
    const dead = 5;
    const deadId = cluster.state.nodes[dead]!.id;
    cluster.killNode(dead);
    await cluster.nodeGone(dead);
    assert.equal((await cluster.admin(`/_nodes/${deadId}/retire`, { method: 'POST' })).status, 409);
    const repair = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as { lostNodes: string[]; unrecoverable: number };
    assert.ok(repair.lostNodes.includes(deadId));
    assert.equal(repair.unrecoverable, 0);
    assert.equal((await cluster.admin(`/_nodes/${deadId}/retire`, { method: 'POST' })).status, 200);
    const after = (await (await cluster.admin('/_repair', { method: 'POST' })).json()) as { lostNodes: string[] };
    assert.ok(!after.lostNodes.includes(deadId), 'a retired node is no longer lost');
    await readAll('after the retirements');
  } finally {
    await cluster.stop();
  }
});
