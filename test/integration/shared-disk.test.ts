import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { LocalCluster, waitUntil } from '../helpers/local-cluster.js';

test('nodes on one file system count its free space once, not once per node', async () => {
  const cluster = await LocalCluster.start(6);
  try {
    await waitUntil(async () => (await cluster.nodes()).every((n) => n.fsId), 10_000, 'file systems reported');
    const nodes = await cluster.nodes();
    assert.equal(new Set(nodes.map((n) => n.fsId)).size, 1, 'all six nodes report the same file system');
    const fs = statfsSync(cluster.dir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    const room = nodes.reduce((sum, n) => sum + (n.capacity - n.used), 0);
    // Free space moves while the test runs (other writers on the disk): within a few percent of it, not 6 ×.
    assert.ok(room <= free * 1.05 && room >= free * 0.9, `room counted ${room}, disk free ${free}`);
    const shares = nodes.map((n) => n.capacity - n.used);
    assert.ok(Math.max(...shares) - Math.min(...shares) <= free * 0.05, 'split evenly');
  } finally {
    await cluster.stop();
  }
});
