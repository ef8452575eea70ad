import type { NodeLoad } from '../core/placement.js';
import type { NodeRecord, NodeReportRecord } from './records.js';
import type { ShardStore } from './shard-store.js';

export type NodeState = 'up' | 'down';

export interface NodeView extends NodeRecord {
  readonly state: NodeState;
}

/**
 * The storage nodes as the use cases and jobs see them: who is up, where new shards may go, and a
 * `ShardStore` per node. The gateway's implementation keeps the registry's picture fresh and adds the
 * bytes it has just placed; tests use one over in-memory stores.
 */
export interface NodePool {
  /** Reads the registry again now (placement and listings use the picture it leaves). */
  refresh(): Promise<void>;
  /** Every known node with its state, and its capacity as the file systems allow. */
  list(): NodeView[];
  /** The node list with usage read live from every up node; a node that does not answer keeps its registry values. */
  listLive(timeoutMs?: number): Promise<NodeView[]>;
  isUp(nodeId: string): boolean;
  /** Live nodes with their used bytes including the recent placements not yet in their reports. */
  placementCandidates(): NodeLoad[];
  /** Counts `bytes` just placed on a node until its own report includes them. */
  reserve(nodeId: string, bytes: number): void;
  /** Takes a node that just failed a request out of placement until its next heartbeat. */
  markFailed(nodeId: string): void;
  /** The node's shards; throws for an unknown node. */
  store(nodeId: string): ShardStore;
}

/** Makes the `ShardStore` that talks to the node at `url`; `close` ends its connections. */
export type ShardStoreFactory = (url: string) => ShardStore & { close(): Promise<void> };

/** Where the nodes' registrations and heartbeats arrive (the gateway's `POST /_nodes`). */
export interface NodeHeartbeats {
  /** Makes the node usable at once; returns whether the shared registry should be written now. */
  noteHeartbeat(report: NodeReportRecord, now: number): boolean;
  /** An operator retired this node: its heartbeats are refused. */
  isRetired(nodeId: string): boolean;
}
