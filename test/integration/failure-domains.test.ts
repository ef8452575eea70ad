import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { CLI, LocalCluster, waitUntil } from '../helpers/local-cluster.js';
import { RUNTIME_FLAGS } from '../../src/processes/runtime-flags.js';

interface ShardMap { parts: { shards: { index: number; node: string }[] }[] }
interface Listed { id: string; state: string; zone: string | null; machine: string | null }
interface Ready { redundancy: { machines: number; survivesNodeLosses: number; survivesMachineLosses: number }; message: string }

test('failure domains: nodes on four machines hold at most two shards of a part each, and a whole machine can die', async () => {
  const cluster = await LocalCluster.start(8, ['--machines', '4']);
  try {
    // The labels travel with the heartbeats to /_nodes, `shardstore nodes` and the readiness report.
    const nodes = ((await (await cluster.admin('/_nodes')).json()) as { nodes: Listed[] }).nodes;
    assert.deepEqual([...new Set(nodes.map((n) => n.machine))].sort(), ['machine-1', 'machine-2', 'machine-3', 'machine-4']);
    assert.ok(nodes.every((n) => n.zone === 'default'));
    const table = spawnSync(process.execPath, [...RUNTIME_FLAGS, CLI, 'nodes'], {
      env: { ...process.env, SHARDSTORE_GATEWAY: cluster.url, SHARDSTORE_TOKEN: cluster.state.adminToken },
      encoding: 'utf8',
    });
    assert.equal(table.stdout.split('\n').filter((l) => /default\/machine-\d/.test(l)).length, 8, table.stdout);
    const ready = (await (await fetch(`${cluster.url}/_health/ready`)).json()) as Ready;
    assert.deepEqual([ready.redundancy.machines, ready.redundancy.survivesNodeLosses, ready.redundancy.survivesMachineLosses], [4, 2, 1]);
    assert.match(ready.message, /survives 2 node losses, 1 machine loss \(8 nodes on 4 machines\)/);

    const machineOf = new Map(nodes.map((n) => [n.id, n.machine!]));
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 10; i++) {
      const body = randomBytes(i % 2 ? 3_000_000 : 40_000);
      bodies.set(`fd/${i}.bin`, body);
      assert.equal((await fetch(`${cluster.url}/fd/${i}.bin`, { method: 'POST', body })).status, 201);
      const shards = ((await (await cluster.admin(`/_objects/fd/${i}.bin`)).json()) as ShardMap).parts[0]!.shards;
      const perMachine = new Map<string, number>();
      for (const s of shards) perMachine.set(machineOf.get(s.node)!, (perMachine.get(machineOf.get(s.node)!) ?? 0) + 1);
      assert.deepEqual([...perMachine.values()], [2, 2, 2, 2], `fd/${i}.bin: two shards on each machine`);
    }

    const audit = (await (await cluster.admin('/_placement-audit', { method: 'POST' })).json()) as { machines: number; partsOverLimit: number };
    assert.deepEqual([audit.machines, audit.partsOverLimit], [4, 0], 'the audit finds every part within the limits');

    // machine-1 dies whole (nodes 1 and 5): everything reads, and uploads go on.
    const dead = cluster.state.nodes.map((n, i) => ({ n, i })).filter(({ n }) => machineOf.get(n.id) === 'machine-1');
    assert.equal(dead.length, 2);
    for (const { i } of dead) cluster.killNode(i);
    for (const { i } of dead) await cluster.nodeGone(i);
    for (const [key, body] of bodies) {
      const res = await fetch(`${cluster.url}/${key}`);
      assert.equal(res.status, 200, key);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(body), `${key} exact without machine-1`);
    }
    await waitUntil(async () => (await cluster.nodes()).filter((n) => n.state === 'up').length === 6, 15_000, 'six nodes up');
    assert.equal((await fetch(`${cluster.url}/fd/after.bin`, { method: 'POST', body: randomBytes(100_000) })).status, 201);
  } finally {
    await cluster.stop();
  }
});
