import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FULL_SIMULATION, simulatePlacement } from '../../bench/placement-simulation.js';

// The full simulation of `npm run bench:placement` (about 10 s): 1,000 nodes on 100 machines in 5 zones,
// mixed capacities, objects of 1 KiB–1 GiB, 40 machines joining in 8 waves.
test('placement at scale: even fill after every wave, moves close to the fair share, no single machine or zone loss loses a part', (t) => {
  const f = simulatePlacement(FULL_SIMULATION);
  assert.deepEqual([f.nodes, f.machines, f.zones], [1000, 100, 5]);
  for (const [i, w] of f.waves.entries()) {
    t.diagnostic(`wave ${i + 1}: ${w.nodes} nodes, spread ${(w.spreadBefore * 100).toFixed(1)} % -> ${(w.spreadAfter * 100).toFixed(2)} %, moved ${(w.bytesMoved / w.fairShare).toFixed(2)} x the fair share`);
    assert.ok(w.spreadAfter <= 0.05 + 1e-9, `wave ${i + 1}: fill spread ${w.spreadAfter} after the rebalance`);
    assert.ok(w.bytesMoved <= 1.2 * w.fairShare, `wave ${i + 1}: moved ${w.bytesMoved} for a fair share of ${w.fairShare}`);
  }
  assert.ok(f.finalSpread <= 0.05 + 1e-9);
  assert.equal(f.unreadableOnMachineLoss, 0);
  assert.equal(f.unreadableOnZoneLoss, 0);
  assert.ok(f.maxPerMachine <= FULL_SIMULATION.parityShards && f.maxPerZone <= FULL_SIMULATION.parityShards);
});

test('placement at scale, on too few machines: the part is still stored, as evenly as the machines allow', () => {
  // 3 machines for 6 + 2: one machine must hold 3 shards of a part; the simulation says how many parts a loss would cost.
  const f = simulatePlacement({ ...FULL_SIMULATION, zones: 1, machinesPerZone: 4, initialMachinesPerZone: 3, nodesPerMachine: 4, initialObjects: 500, objectsPerWave: 100 });
  assert.equal(f.maxPerMachine, 3, 'never more than ⌈8 / 3⌉ while there were three machines');
  assert.ok(f.objects === 600);
});
