/** A node as it reported itself: declared (or disk-derived) capacity, bytes of shards, its file system. */
export interface ReportedNode {
  readonly id: string;
  readonly capacity: number;
  readonly used: number;
  /** Host and device of the file system that holds the node's directory; null from nodes that do not say. */
  readonly fsId: string | null;
  /** Bytes free on that file system at the node's last report. */
  readonly fsFree: number | null;
}

/**
 * The capacity each node really has. Nodes whose directories share one file system (several nodes on one
 * disk, as the local cluster runs them) each see that disk's whole free space; counted per node, nine nodes
 * on an 80 GB disk claimed 691 GiB. Here a file system's free bytes are counted once, split evenly among its
 * nodes: a node's capacity is its shards plus its share of the free space, and never more than it declared.
 * The same cap makes a node whose disk is full (whatever it declared) a node without room.
 */
export function effectiveCapacities<T extends ReportedNode>(nodes: readonly T[]): Map<string, number> {
  const groups = new Map<string, T[]>();
  for (const n of nodes) {
    if (n.fsId === null || n.fsFree === null) continue;
    const group = groups.get(n.fsId) ?? [];
    group.push(n);
    groups.set(n.fsId, group);
  }
  const capacities = new Map<string, number>();
  for (const n of nodes) capacities.set(n.id, n.capacity);
  for (const group of groups.values()) {
    // Reports arrive at different moments: the smallest free figure is the safest one to share.
    const free = Math.min(...group.map((n) => n.fsFree!));
    const share = Math.floor(free / group.length);
    for (const n of group) capacities.set(n.id, Math.min(n.capacity, n.used + share));
  }
  return capacities;
}
