import { NotEnoughNodesError } from './errors.js';

/** What placement needs to know about a node. */
export interface NodeLoad {
  readonly id: string;
  readonly capacity: number;
  /** Bytes used, including shards this gateway has placed that the node has not reported yet. */
  readonly used: number;
}

export const fillRatio = (n: NodeLoad): number => (n.capacity > 0 ? n.used / n.capacity : 1);

/**
 * Chooses `count` distinct nodes for the shards of one object, `shardBytes` each.
 *
 * Greedy least-fill: the nodes whose fill ratio after taking a shard would be lowest win, ties broken
 * at random. This keeps fill ratios together on a steady cluster and sends a newly joined, empty node
 * a shard of every object until it has caught up — which is what "favour free space" means when
 * every object needs k + m distinct nodes. Nodes without room for a shard are never chosen.
 */
export function choosePlacement(
  nodes: readonly NodeLoad[],
  count: number,
  shardBytes: number,
  random: () => number = Math.random,
): string[] {
  const candidates = nodes
    .filter((n) => n.capacity - n.used >= shardBytes)
    .map((n) => ({ id: n.id, score: (n.used + shardBytes) / n.capacity, tie: random() }));
  if (candidates.length < count) throw new NotEnoughNodesError(count, candidates.length);
  candidates.sort((a, b) => a.score - b.score || a.tie - b.tie);
  return candidates.slice(0, count).map((c) => c.id);
}

/** Relative spread of fill ratios, (max − min) / mean, the figure the product's balance target uses. */
export function fillSpread(nodes: readonly NodeLoad[]): number {
  if (nodes.length === 0) return 0;
  const fills = nodes.map(fillRatio);
  const mean = fills.reduce((a, b) => a + b, 0) / fills.length;
  if (mean === 0) return 0;
  return (Math.max(...fills) - Math.min(...fills)) / mean;
}

/**
 * Nodes that are joining: up, and fuller nodes are waiting to hand them shards — their fill is below the mean
 * by more than `threshold` of the mean (the rebalancer's automatic start, 0.1): a node just added, until the
 * rebalancer has filled it.
 */
export function joiningNodes(nodes: readonly NodeLoad[], threshold: number): Set<string> {
  if (nodes.length < 2) return new Set();
  const mean = nodes.map(fillRatio).reduce((a, b) => a + b, 0) / nodes.length;
  if (mean === 0) return new Set();
  return new Set(nodes.filter((n) => (mean - fillRatio(n)) / mean > threshold).map((n) => n.id));
}
