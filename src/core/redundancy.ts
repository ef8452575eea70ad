import { totalShards, type ErasureScheme } from './erasure-scheme.js';
import { choosePlacement, domainLossesSurvived, hostOf, zoneOf, type NodeLoad } from './placement.js';

/** What a new object gets with `liveNodes` nodes to put its shards on (each shard on a distinct node). */
export interface Redundancy {
  readonly liveNodes: number;
  /** Shards per new object: k + m capped by the live nodes; 0 when fewer than k nodes can take one. */
  readonly shardsPerObject: number;
  readonly parityShards: number;
  /** Node losses a new object survives: its parity shards. */
  readonly survivesNodeLosses: number;
  /** Machines and zones among the live nodes (a node without a machine label is a machine of its own). */
  readonly machines: number;
  readonly zones: number;
  /** Whole machines (zones) a new object survives losing, as placement spreads it over them. */
  readonly survivesMachineLosses: number;
  readonly survivesZoneLosses: number;
  /** At least k live nodes: uploads are accepted. */
  readonly writable: boolean;
  /** Every new object gets all k + m shards. */
  readonly full: boolean;
}

/**
 * With fewer than k + m live nodes an upload still stores its k data shards on k distinct nodes and as
 * many parity shards as there are further nodes; the part is recorded under-replicated and the repairer
 * adds the missing parity once nodes join or come back. Below k nodes nothing can be stored.
 */
export function redundancyWith(scheme: ErasureScheme, live: number | readonly NodeLoad[]): Redundancy {
  const nodes = typeof live === 'number' ? Array.from({ length: live }, (_, i) => ({ id: `n${i}`, capacity: 1, used: 0 })) : live;
  const liveNodes = nodes.length;
  const shards = Math.min(totalShards(scheme), liveNodes);
  const writable = shards >= scheme.dataShards;
  const parityShards = writable ? shards - scheme.dataShards : 0;
  // Where a new object's shards would go now (placement is deterministic given the loads and the tie-break).
  const holders = writable ? choosePlacement(nodes, shards, 0, { random: () => 0.5 }).map((id) => nodes.find((n) => n.id === id)!) : [];
  return {
    liveNodes,
    shardsPerObject: writable ? shards : 0,
    parityShards,
    survivesNodeLosses: parityShards,
    machines: new Set(nodes.map(hostOf)).size,
    zones: new Set(nodes.map(zoneOf)).size,
    survivesMachineLosses: writable ? domainLossesSurvived(holders.map(hostOf), scheme.dataShards) : 0,
    survivesZoneLosses: writable ? domainLossesSurvived(holders.map(zoneOf), scheme.dataShards) : 0,
    writable,
    full: shards === totalShards(scheme),
  };
}

/** One line for people: the start hint, `/_health/ready`, the console. */
export function describeRedundancy(scheme: ErasureScheme, r: Redundancy): string {
  const want = `${scheme.dataShards}+${scheme.parityShards}`;
  if (!r.writable) return `no redundancy: ${r.liveNodes} live nodes, uploads need at least ${scheme.dataShards} (scheme ${want}); uploads are refused`;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  let losses = `survives ${plural(r.survivesNodeLosses, 'node loss')}`;
  // Machines matter once several nodes share one of several machines: then a machine's loss is more than a
  // node's. (All on one machine, as a local cluster is, is said by the node count alone.)
  if (r.machines > 1 && r.machines < r.liveNodes) losses += `, ${plural(r.survivesMachineLosses, 'machine loss')} (${plural(r.liveNodes, 'node')} on ${plural(r.machines, 'machine')})`;
  if (r.zones > 1) losses += `, ${plural(r.survivesZoneLosses, 'zone loss')} (${plural(r.zones, 'zone')})`;
  if (r.full) return `redundancy: ${losses} (${want} on ${r.liveNodes} live nodes)`;
  return `redundancy: ${losses} (${r.liveNodes} live nodes for ${want}: new objects get ${r.parityShards} of ${scheme.parityShards} parity shards; the rest are added when nodes join)`;
}
