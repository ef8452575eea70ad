/**
 * `npm run bench:placement`: the seeded placement simulation (bench/placement-simulation.ts) at full size —
 * 1,000 nodes on 100 machines in 5 zones, mixed capacities, objects of 1 KiB–1 GiB, 40 machines joining in
 * 8 waves — and its figures: fill spread after each rebalance, bytes moved per join against the new nodes'
 * fair share, and the parts a single machine's or zone's loss would make unreadable. `--json` for the raw figures.
 */
import { FULL_SIMULATION, simulatePlacement } from './placement-simulation.js';

const started = performance.now();
const figures = simulatePlacement(FULL_SIMULATION);
const seconds = (performance.now() - started) / 1000;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(figures, null, 2));
} else {
  const GiB = 2 ** 30;
  console.log(`${figures.nodes} nodes on ${figures.machines} machines in ${figures.zones} zones; ${figures.objects.toLocaleString('en')} objects, ${(figures.bytesStored / 2 ** 40).toFixed(2)} TiB (simulated in ${seconds.toFixed(1)} s, seed ${FULL_SIMULATION.seed})`);
  console.log('wave  nodes  spread before -> after  moves    moved GiB  fair share GiB  moved / fair');
  figures.waves.forEach((w, i) =>
    console.log(
      `${String(i + 1).padStart(4)}  ${String(w.nodes).padStart(5)}  ${(w.spreadBefore * 100).toFixed(1).padStart(8)} % -> ${(w.spreadAfter * 100).toFixed(1).padStart(4)} %  ${String(w.moves).padStart(6)}  ${(w.bytesMoved / GiB).toFixed(1).padStart(10)}  ${(w.fairShare / GiB).toFixed(1).padStart(14)}  ${(w.bytesMoved / w.fairShare).toFixed(2).padStart(12)}`,
    ),
  );
  console.log(`final fill spread ${(figures.finalSpread * 100).toFixed(2)} %`);
  console.log(`most shards of one part: ${figures.maxPerMachine} on a machine, ${figures.maxPerZone} in a zone`);
  console.log(`parts unreadable after any one machine's loss: ${figures.unreadableOnMachineLoss}; after any one zone's loss: ${figures.unreadableOnZoneLoss}`);
}
