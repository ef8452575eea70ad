/**
 * A seeded simulation of placement and rebalancing at scale, on the product's own placement rule
 * (`choosePlacement`, `domainLimits` from src/core/placement.ts): nodes of mixed capacities on machines in
 * zones, objects of 1 KiB to 1 GiB (log-uniform), nodes joining in waves with a rebalance after each.
 * The rebalance is a model of src/jobs/rebalancer.ts's choice of moves — the largest shard of one of the
 * three fullest nodes that fits on the emptiest node without overshooting, on a node holding no other shard
 * of the part, within the part's failure-domain limits — without the copies.
 */
import { choosePlacement, domainLimits, fillSpread, moveKeepsDomains, type NodeLoad } from '../src/core/placement.js';
import { seeded } from '../test/helpers/seeded.js';

export interface SimulationOptions {
  readonly seed: number;
  readonly zones: number;
  readonly machinesPerZone: number;
  readonly nodesPerMachine: number;
  /** Node capacities in bytes, one picked per machine. */
  readonly capacities: readonly number[];
  /** Machines per zone present from the start; the rest join in waves of one machine per zone. */
  readonly initialMachinesPerZone: number;
  readonly initialObjects: number;
  /** Objects written after each wave's rebalance. */
  readonly objectsPerWave: number;
  readonly dataShards: number;
  readonly parityShards: number;
  readonly minObject: number;
  readonly maxObject: number;
  /** The rebalancer's target spread. */
  readonly stopAt: number;
}

export const FULL_SIMULATION: SimulationOptions = {
  seed: 20261203,
  zones: 5,
  machinesPerZone: 20,
  nodesPerMachine: 10,
  capacities: [4 * 2 ** 30, 8 * 2 ** 30, 16 * 2 ** 30],
  initialMachinesPerZone: 12,
  initialObjects: 16_000,
  objectsPerWave: 1_500,
  dataShards: 6,
  parityShards: 2,
  minObject: 1024,
  maxObject: 2 ** 30,
  stopAt: 0.05,
};

export interface WaveFigures {
  readonly nodes: number;
  readonly machines: number;
  readonly spreadBefore: number;
  readonly spreadAfter: number;
  readonly moves: number;
  readonly bytesMoved: number;
  /** What the new nodes hold at an even fill: the least any rebalance must move. */
  readonly fairShare: number;
}

export interface SimulationFigures {
  readonly nodes: number;
  readonly machines: number;
  readonly zones: number;
  readonly objects: number;
  readonly bytesStored: number;
  readonly waves: readonly WaveFigures[];
  /** Parts that a single machine's (zone's) loss would leave with fewer than k shards, over every machine (zone). */
  readonly unreadableOnMachineLoss: number;
  readonly unreadableOnZoneLoss: number;
  /** The most shards of one part on one machine (zone), over all parts. */
  readonly maxPerMachine: number;
  readonly maxPerZone: number;
  readonly finalSpread: number;
}

interface SimNode { id: string; capacity: number; used: number; host: string; zone: string; shards: Set<number> }
interface SimShard { part: number; size: number; node: string }


export function simulatePlacement(o: SimulationOptions): SimulationFigures {
  const random = seeded(o.seed);
  const nodes = new Map<string, SimNode>();
  const shards: SimShard[] = [];
  /** Per part, the indexes of its shards in `shards`. */
  const parts: number[][] = [];
  const total = o.dataShards + o.parityShards;
  let bytesStored = 0;

  const addMachine = (zone: number, machine: number) => {
    const capacity = o.capacities[Math.floor(random() * o.capacities.length)]!;
    for (let n = 0; n < o.nodesPerMachine; n++) {
      const id = `z${zone}-m${machine}-n${n}`;
      nodes.set(id, { id, capacity, used: 0, host: `z${zone}-m${machine}`, zone: `z${zone}`, shards: new Set() });
    }
  };
  const write = (count: number) => {
    const loads = () => [...nodes.values()];
    for (let i = 0; i < count; i++) {
      // Log-uniform sizes: as many 1–10 KiB objects as 100 MiB–1 GiB ones.
      const size = Math.round(Math.exp(Math.log(o.minObject) + random() * (Math.log(o.maxObject) - Math.log(o.minObject))));
      const shardBytes = Math.ceil(size / o.dataShards);
      const part = parts.length;
      parts.push([]);
      for (const id of choosePlacement(loads(), total, shardBytes, { random })) {
        const node = nodes.get(id)!;
        node.used += shardBytes;
        node.shards.add(shards.length);
        parts[part]!.push(shards.length);
        shards.push({ part, size: shardBytes, node: id });
      }
      bytesStored += size;
    }
  };
  const spread = () => fillSpread([...nodes.values()]);

  /** The rebalancer's model: moves until the spread is at most `stopAt` or no move helps. */
  const rebalance = (): { moves: number; bytesMoved: number } => {
    let moves = 0;
    let bytesMoved = 0;
    const all = [...nodes.values()];
    const fill = (n: NodeLoad) => n.used / n.capacity;
    const byId = (id: string) => nodes.get(id)!;
    // Every part has k + m shards and the nodes do not change during a pass: one set of limits.
    const limits = domainLimits(all, total);
    for (let guard = 0; guard < 10_000_000 && spread() > o.stopAt; guard++) {
      const byFill = [...all].sort((a, b) => fill(b) - fill(a));
      let moved = false;
      for (const from of byFill.slice(0, 3)) {
        for (const to of [...byFill].reverse()) {
          if (to.id === from.id || fill(to) >= fill(from)) break;
          const most = (fill(from) - fill(to)) / (1 / from.capacity + 1 / to.capacity);
          // The largest shard that fits, as the rebalancer reads a node's shards largest first.
          let best: number | undefined;
          for (const s of from.shards) {
            const shard = shards[s]!;
            if (shard.size > most || (best !== undefined && shards[best]!.size >= shard.size)) continue;
            const holders = parts[shard.part]!.map((i) => byId(shards[i]!.node));
            if (holders.some((h) => h.id === to.id)) continue;
            if (moveKeepsDomains(to, from, holders.filter((h) => h.id !== from.id), limits)) best = s;
          }
          if (best === undefined) continue;
          const shard = shards[best]!;
          from.shards.delete(best);
          from.used -= shard.size;
          to.shards.add(best);
          to.used += shard.size;
          shard.node = to.id;
          moves += 1;
          bytesMoved += shard.size;
          moved = true;
          break;
        }
        if (moved) break;
      }
      if (!moved) break;
    }
    return { moves, bytesMoved };
  };

  for (let z = 0; z < o.zones; z++) for (let m = 0; m < o.initialMachinesPerZone; m++) addMachine(z, m);
  write(o.initialObjects);
  const waves: WaveFigures[] = [];
  for (let wave = o.initialMachinesPerZone; wave < o.machinesPerZone; wave++) {
    const capacityBefore = [...nodes.values()].reduce((sum, n) => sum + n.capacity, 0);
    for (let z = 0; z < o.zones; z++) addMachine(z, wave);
    const all = [...nodes.values()];
    const capacityNow = all.reduce((sum, n) => sum + n.capacity, 0);
    const used = all.reduce((sum, n) => sum + n.used, 0);
    const spreadBefore = spread();
    const { moves, bytesMoved } = rebalance();
    waves.push({
      nodes: nodes.size,
      machines: new Set(all.map((n) => n.host)).size,
      spreadBefore,
      spreadAfter: spread(),
      moves,
      bytesMoved,
      fairShare: (used * (capacityNow - capacityBefore)) / capacityNow,
    });
    write(o.objectsPerWave);
  }
  rebalance();

  let unreadableOnMachineLoss = 0;
  let unreadableOnZoneLoss = 0;
  let maxPerMachine = 0;
  let maxPerZone = 0;
  for (const part of parts) {
    const holders = part.map((i) => nodes.get(shards[i]!.node)!);
    const most = (key: (n: SimNode) => string) => {
      const counts = new Map<string, number>();
      for (const h of holders) counts.set(key(h), (counts.get(key(h)) ?? 0) + 1);
      return Math.max(...counts.values());
    };
    const perMachine = most((n) => n.host);
    const perZone = most((n) => n.zone);
    maxPerMachine = Math.max(maxPerMachine, perMachine);
    maxPerZone = Math.max(maxPerZone, perZone);
    if (holders.length - perMachine < o.dataShards) unreadableOnMachineLoss += 1;
    if (holders.length - perZone < o.dataShards) unreadableOnZoneLoss += 1;
  }
  return {
    nodes: nodes.size,
    machines: new Set([...nodes.values()].map((n) => n.host)).size,
    zones: o.zones,
    objects: parts.length,
    bytesStored,
    waves,
    unreadableOnMachineLoss,
    unreadableOnZoneLoss,
    maxPerMachine,
    maxPerZone,
    finalSpread: spread(),
  };
}
