import { totalShards, type ErasureScheme } from './erasure-scheme.js';

/** What a new object gets with `liveNodes` nodes to put its shards on (each shard on a distinct node). */
export interface Redundancy {
  readonly liveNodes: number;
  /** Shards per new object: k + m capped by the live nodes; 0 when fewer than k nodes can take one. */
  readonly shardsPerObject: number;
  readonly parityShards: number;
  /** Node losses a new object survives: its parity shards. */
  readonly survivesNodeLosses: number;
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
export function redundancyWith(scheme: ErasureScheme, liveNodes: number): Redundancy {
  const shards = Math.min(totalShards(scheme), liveNodes);
  const writable = shards >= scheme.dataShards;
  const parityShards = writable ? shards - scheme.dataShards : 0;
  return {
    liveNodes,
    shardsPerObject: writable ? shards : 0,
    parityShards,
    survivesNodeLosses: parityShards,
    writable,
    full: shards === totalShards(scheme),
  };
}

/** One line for people: the start hint, `/_health/ready`, the console. */
export function describeRedundancy(scheme: ErasureScheme, r: Redundancy): string {
  const want = `${scheme.dataShards}+${scheme.parityShards}`;
  if (!r.writable) return `no redundancy: ${r.liveNodes} live nodes, uploads need at least ${scheme.dataShards} (scheme ${want}); uploads are refused`;
  const losses = `survives ${r.survivesNodeLosses} node loss${r.survivesNodeLosses === 1 ? '' : 'es'}`;
  if (r.full) return `redundancy: ${losses} (${want} on ${r.liveNodes} live nodes)`;
  return `redundancy: ${losses} (${r.liveNodes} live nodes for ${want}: new objects get ${r.parityShards} of ${scheme.parityShards} parity shards; the rest are added when nodes join)`;
}
