import type { NodeRegistry } from '../domain/metadata-store.js';
import type { NodeRecord, NodeReportRecord } from '../domain/records.js';
import type { NodeLoad } from '../core/placement.js';
import type { ShardStore } from '../domain/shard-store.js';
import type { NodeHeartbeats, NodePool, NodeState, NodeView, ShardStoreFactory } from '../domain/node-pool.js';
import { effectiveCapacities } from '../core/shared-filesystems.js';

function withSharedFilesystems(nodes: NodeView[]): NodeView[] {
  const capacities = effectiveCapacities(nodes);
  return nodes.map((n) => ({ ...n, capacity: capacities.get(n.id)! }));
}

export type { NodeState, NodeView } from '../domain/node-pool.js';

/** How often a node's heartbeat through this gateway is written to the shared registry. */
const PERSIST_EVERY_MS = 2000;

/** How long a placement this gateway made counts on top of the node's own report. */
const RESERVATION_TTL_MS = 3000;

/**
 * The gateway's live picture of the storage nodes: the registry (shared through the metadata store)
 * refreshed every second, a connection pool per node, and the bytes this gateway has just placed on
 * each node that its last heartbeat cannot have counted yet — without those, concurrent uploads would
 * all pick the same "emptiest" nodes between two heartbeats.
 */
export class NodeDirectory implements NodePool, NodeHeartbeats {
  private nodes = new Map<string, NodeRecord>();
  private readonly stores = new Map<string, { url: string; store: ReturnType<ShardStoreFactory> }>();
  /** Per node, oldest first, with their sum: placement reads the sum for every object. */
  private readonly reservations = new Map<string, { list: { at: number; bytes: number }[]; total: number }>();
  private readonly failedAt = new Map<string, number>();
  private readonly persistedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: NodeRegistry,
    /** Builds the store for a node's URL (the composition root decides the transport and its credentials). */
    private readonly storeFor: ShardStoreFactory,
    private readonly downAfterMs: number,
    private readonly now: () => number = Date.now,
    /** Told when a periodic refresh of the registry fails (the last known picture stays in use meanwhile). */
    private readonly onRefreshError: (error: unknown) => void = () => undefined,
  ) {}

  async start(refreshMs = 1000): Promise<void> {
    await this.refresh();
    const tick = async () => {
      await this.refresh().catch(this.onRefreshError);
      this.timer = setTimeout(tick, refreshMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, refreshMs);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    const list = await this.registry.list();
    // Heartbeats received here are newer than what the registry holds until they are written.
    this.nodes = new Map(
      list.map((n) => {
        const mine = this.nodes.get(n.id);
        // An operator's drain or retire lives in the registry alone.
        return [n.id, mine && mine.lastSeen > n.lastSeen ? { ...mine, drain: n.drain } : n];
      }),
    );
    const now = this.now();
    for (const [id, rs] of this.reservations) {
      const node = this.nodes.get(id);
      const kept = rs.list.filter((r) => r.at > (node?.lastSeen ?? 0) - RESERVATION_TTL_MS && r.at > now - 60_000);
      if (kept.length) this.reservations.set(id, { list: kept, total: kept.reduce((sum, r) => sum + r.bytes, 0) });
      else this.reservations.delete(id);
    }
  }

  /**
   * Called when a node registers or heartbeats through this gateway, so it is usable at once.
   * Returns whether the registry should be written: on a new node, a new URL or capacity, and otherwise
   * at most every PERSIST_EVERY_MS — a synchronous, fsynced write per node per second would stall the
   * event loop for nothing, since this gateway already has the fresh values in memory.
   */
  noteHeartbeat(report: NodeReportRecord, now: number): boolean {
    const known = this.nodes.get(report.id);
    this.nodes.set(report.id, { ...report, drain: known?.drain ?? null, firstSeen: known?.firstSeen ?? now, lastSeen: now });
    this.failedAt.delete(report.id);
    const persisted = this.persistedAt.get(report.id) ?? 0;
    // Capacity and free space change with every report of a node on a live disk: they ride the periodic write.
    const persist = !known || known.url !== report.url || known.zone !== report.zone || known.machine !== report.machine || now - persisted >= PERSIST_EVERY_MS;
    if (persist) this.persistedAt.set(report.id, now);
    return persist;
  }

  isRetired(nodeId: string): boolean {
    return this.nodes.get(nodeId)?.drain === 'retired';
  }

  stateOf(node: NodeRecord): NodeState {
    const now = this.now();
    if (now - node.lastSeen > this.downAfterMs) return 'down';
    // A node that just refused a connection stays out of placement until its next heartbeat.
    const failed = this.failedAt.get(node.id);
    if (failed !== undefined && failed >= node.lastSeen) return 'down';
    return 'up';
  }

  /** Every known node with its state, and its capacity as the file systems allow (see effectiveCapacities). */
  list(): NodeView[] {
    return withSharedFilesystems(this.serving().map((n) => ({ ...n, state: this.stateOf(n) })));
  }

  /** Every node but the retired ones: those are out of placement, listings and repair for good. */
  private serving(): NodeRecord[] {
    return [...this.nodes.values()].filter((n) => n.drain !== 'retired');
  }

  /**
   * The node list with usage read live from every up node (the registry's copy is up to a heartbeat
   * old); a node that does not answer within `timeoutMs` keeps its registry values.
   */
  async listLive(timeoutMs = 1000): Promise<NodeView[]> {
    const live = await Promise.all(
      this.serving().map(async (record): Promise<NodeView> => {
        const n = { ...record, state: this.stateOf(record) };
        if (n.state !== 'up') return n;
        try {
          const s = await this.store(n.id).status(timeoutMs);
          return { ...n, capacity: s.capacity, used: s.used, shards: s.shards, fsId: s.fsId ?? n.fsId, fsFree: s.fsFree ?? n.fsFree };
        } catch {
          return n;
        }
      }),
    );
    return withSharedFilesystems(live);
  }

  isUp(nodeId: string): boolean {
    const node = this.nodes.get(nodeId);
    return node !== undefined && node.drain !== 'retired' && this.stateOf(node) === 'up';
  }

  /** Live nodes with their used bytes including this gateway's recent placements. */
  placementCandidates(): NodeLoad[] {
    return this.list()
      // A draining node takes no new shard.
      .filter((n) => n.state === 'up' && n.drain === null)
      .map((n) => ({
        id: n.id,
        capacity: n.capacity,
        used: n.used + (this.reservations.get(n.id)?.total ?? 0),
        zone: n.zone,
        host: n.machine,
      }));
  }

  reserve(nodeId: string, bytes: number): void {
    const rs = this.reservations.get(nodeId) ?? { list: [], total: 0 };
    rs.list.push({ at: this.now(), bytes });
    rs.total += bytes;
    this.reservations.set(nodeId, rs);
  }

  markFailed(nodeId: string): void {
    this.failedAt.set(nodeId, this.now());
  }

  store(nodeId: string): ShardStore {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`unknown node ${nodeId}`);
    let held = this.stores.get(nodeId);
    if (!held || held.url !== node.url) {
      void held?.store.close();
      held = { url: node.url, store: this.storeFor(node.url) };
      this.stores.set(nodeId, held);
    }
    return held.store;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.stores.values()].map((s) => s.store.close()));
  }
}
