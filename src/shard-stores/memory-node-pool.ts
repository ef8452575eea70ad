import type { NodeLoad } from '../core/placement.js';
import type { NodePool, NodeView } from '../domain/node-pool.js';
import type { ShardStore } from '../domain/shard-store.js';
import type { NodeDrain } from '../domain/records.js';
import { MemoryShardStore } from './memory-shard-store.js';

/**
 * Storage nodes held in memory: the node pool the use cases and jobs are unit-tested on. A node is up
 * until a test stops it (`stop`), and is then last seen at that moment; placement reads its live usage.
 */
export class MemoryNodePool implements NodePool {
  private readonly nodes = new Map<string, { store: MemoryShardStore; firstSeen: number; lastSeen: number | undefined; zone: string | null; machine: string | null; drain: NodeDrain }>();
  private readonly failed = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a node (ids sort in the order added: `node-01`, `node-02`, …), in a zone and on a machine if given. */
  add(capacity = 1024 ** 4, id = `node-${String(this.nodes.size + 1).padStart(2, '0')}`, domains: { zone?: string; machine?: string } = {}): MemoryShardStore {
    const store = new MemoryShardStore(id, `memory://${id}`, capacity, this.now);
    this.nodes.set(id, { store, firstSeen: this.now(), lastSeen: undefined, zone: domains.zone ?? null, machine: domains.machine ?? null, drain: null });
    return store;
  }

  node(id: string): MemoryShardStore {
    const held = this.nodes.get(id);
    if (!held) throw new Error(`unknown node ${id}`);
    return held.store;
  }

  stores(): MemoryShardStore[] {
    return [...this.nodes.values()].map((n) => n.store);
  }

  /** The node stops answering now. */
  stop(id: string): void {
    const held = this.nodes.get(id)!;
    held.store.down = true;
    held.lastSeen = this.now();
  }

  /** New failure-domain labels, as a node restarted with other `--zone` / `--machine` would report. */
  relabel(id: string, domains: { zone?: string | null; machine?: string | null }): void {
    const held = this.nodes.get(id)!;
    if (domains.zone !== undefined) held.zone = domains.zone;
    if (domains.machine !== undefined) held.machine = domains.machine;
  }

  /** An operator's drain or retire (the gateway reads it from the registry). */
  setDrain(id: string, drain: NodeDrain): void {
    this.nodes.get(id)!.drain = drain;
  }

  /** The node answers again, and heartbeats. */
  start(id: string): void {
    const held = this.nodes.get(id)!;
    held.store.down = false;
    held.lastSeen = undefined;
    this.failed.delete(id);
  }

  async refresh(): Promise<void> {}

  list(): NodeView[] {
    return [...this.nodes.values()].filter((n) => n.drain !== 'retired').map(({ store, firstSeen, lastSeen, zone, machine, drain }) => ({
      id: store.id,
      url: store.url,
      capacity: store.capacity,
      used: store.used(),
      shards: store.ids().length,
      fsId: null,
      fsFree: null,
      zone,
      machine,
      drain,
      firstSeen,
      lastSeen: lastSeen ?? this.now(),
      state: store.down || this.failed.has(store.id) ? 'down' : 'up',
    }));
  }

  async listLive(): Promise<NodeView[]> {
    return this.list();
  }

  isUp(nodeId: string): boolean {
    return this.list().some((n) => n.id === nodeId && n.state === 'up');
  }

  placementCandidates(): NodeLoad[] {
    return this.list()
      .filter((n) => n.state === 'up' && n.drain === null)
      .map((n) => ({ id: n.id, capacity: n.capacity, used: n.used, zone: n.zone, host: n.machine }));
  }

  reserve(): void {
    // Usage is read live from the stores, so a placement counts as soon as its shard is written.
  }

  markFailed(nodeId: string): void {
    this.failed.add(nodeId);
  }

  store(nodeId: string): ShardStore {
    return this.node(nodeId);
  }
}
