import { choosePlacement } from '../core/placement.js';
import type { ReadServices, ReplaceServices } from '../objects/object-services.js';
import { replaceShards, throughSinks, type CopyMaker } from '../objects/shard-replacement.js';
import { rebuiltShards } from '../objects/shard-sources.js';
import type { PartRecord, PartRef, ShardLocation } from '../domain/records.js';
import type { Fence } from '../domain/metadata-store.js';
import { IntentGoneError, LeaseLostError } from '../core/errors.js';
import { shardFileBytes, stripeCount, totalShards } from '../core/erasure-scheme.js';
import type { Logger } from '../observability/logger.js';
import type { Worker } from './worker.js';

export interface RepairSummary {
  /** Nodes whose shards were treated as lost in this pass. */
  lostNodes: string[];
  partsChecked: number;
  shardsRebuilt: number;
  bytesRebuilt: number;
  /** Of those, the shards their new nodes made themselves from their peers (the rest went through the gateway). */
  shardsRebuiltOnNodes: number;
  /** Parts with fewer than k readable shards: their data is gone (kept in the metadata for forensics). */
  unrecoverable: number;
  /** Parts that could not be repaired now (no spare node, a read failed); a later pass retries them. */
  deferred: number;
  durationMs: number;
}

export interface RepairOptions {
  /** Treat every node that is down now (or does not answer a probe) as lost — `POST /_repair`. */
  readonly downNowIsLost?: boolean;
  /** The pass's lease, checked by every shard switch it commits. */
  readonly fence?: Fence;
}

const PARTS_PER_PASS = 1000;
const PROBE_TIMEOUT_MS = 1500;
/** Parts repaired at once: at least 4, and two per live node, so that a lost node's parts rebuild on every survivor. */
const MIN_PARALLEL_PARTS = 4;
/** Rebuilds one node works on at once. */
const REBUILDS_PER_NODE = 2;

/**
 * The repairer: finds parts with shards on lost nodes (down longer than `repairAfterMs`) or shards
 * reported damaged (a checksum that failed on a read, a file its node no longer has), rebuilds those
 * shards from the others onto live nodes that hold no other shard of the part, and switches the metadata
 * in one transaction per part. Idempotent: a crash midway leaves the old metadata and orphans.
 */
export class Repairer implements Worker<RepairSummary> {
  readonly name = 'repair';
  private current: RepairSummary | undefined;

  private readonly busy = new NodeSlots(REBUILDS_PER_NODE);

  constructor(
    private readonly svc: ReadServices & ReplaceServices,
    private readonly repairAfterMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Bytes per second each node writes a rebuilt shard at most (`--repair-rate`); 0: no limit. */
    private readonly bytesPerSecondPerNode = 0,
  ) {}

  progress(): RepairSummary | undefined {
    return this.current;
  }

  async runOnce(options: RepairOptions = {}): Promise<RepairSummary> {
    const started = this.now();
    const lost = await this.lostNodes(options.downNowIsLost ?? false);
    const summary: RepairSummary = {
      lostNodes: [...lost], partsChecked: 0, shardsRebuilt: 0, bytesRebuilt: 0, shardsRebuiltOnNodes: 0, unrecoverable: 0, deferred: 0, durationMs: 0,
    };
    this.current = summary;
    const damaged = await this.svc.metadata.placement.damaged(100_000);
    const targets = await this.svc.metadata.placement.partsToRepair([...lost], PARTS_PER_PASS);
    // A rebuild reads k shards and writes a few: several at once keep both the disks and the cores busy.
    const queue = [...targets];
    let fencedOut: LeaseLostError | undefined;
    const worker = async () => {
      for (let target = queue.shift(); target && !fencedOut; target = queue.shift()) {
        summary.partsChecked += 1;
        try {
          await this.repairPart(target, lost, damaged, summary, options.fence);
        } catch (error) {
          // The lease went to another holder: this pass stops, the other one carries on.
          if (error instanceof LeaseLostError) {
            fencedOut = error;
            return;
          }
          summary.deferred += 1;
          this.log.warn({ object: target.objectId, part: target.partNo, err: (error as Error).message }, 'repair of a part deferred');
        }
      }
    };
    const parallel = Math.max(MIN_PARALLEL_PARTS, REBUILDS_PER_NODE * this.svc.nodes.list().filter((n) => n.state === 'up').length);
    await Promise.all(Array.from({ length: parallel }, worker));
    if (fencedOut) {
      this.current = undefined;
      throw fencedOut;
    }
    summary.durationMs = this.now() - started;
    this.log.info({ ...summary }, 'repair pass done');
    this.current = undefined;
    return summary;
  }

  private async lostNodes(downNowIsLost: boolean): Promise<Set<string>> {
    await this.svc.nodes.refresh();
    const lost = new Set<string>();
    await Promise.all(
      this.svc.nodes.list().map(async (node) => {
        if (node.state === 'down') {
          if (downNowIsLost || this.now() - node.lastSeen > this.repairAfterMs) lost.add(node.id);
          return;
        }
        if (!downNowIsLost) return;
        // Asked to repair now: a node that heartbeats but does not answer is as good as lost.
        try {
          await this.svc.nodes.store(node.id).status(PROBE_TIMEOUT_MS);
        } catch {
          this.svc.nodes.markFailed(node.id);
          lost.add(node.id);
        }
      }),
    );
    return lost;
  }

  private async repairPart(target: PartRef, lost: Set<string>, damaged: Set<string>, summary: RepairSummary, fence?: Fence): Promise<void> {
    const object = await this.svc.metadata.objects.findById(target.objectId);
    const part = object?.parts.find((p) => p.partNo === target.partNo);
    if (!object || !part || object.expiresAt !== null) return;
    // Another object sharing these shards may have been repaired first: decide on what is there now.
    const bad = part.shards.filter((s) => lost.has(s.nodeId) || damaged.has(s.shardId));
    const present = new Set(part.shards.map((s) => s.index));
    const absent = [...Array(totalShards(part.scheme)).keys()].filter((i) => !present.has(i));
    if (bad.length === 0 && absent.length === 0) {
      await this.svc.metadata.placement.settle(target, fence);
      return;
    }
    const good = part.shards.filter((s) => !bad.includes(s));
    if (good.length < part.scheme.dataShards) {
      summary.unrecoverable += 1;
      this.log.error({ object: object.id, key: object.key, part: part.partNo, readable: good.length }, 'part has fewer than k readable shards');
      return;
    }
    const holders = new Set(good.map((s) => s.nodeId));
    const candidates = this.svc.nodes.placementCandidates().filter((n) => !holders.has(n.id) && !lost.has(n.id));
    const wanted = [...bad.map((s) => ({ index: s.index, from: s as ShardLocation | null })), ...absent.map((index) => ({ index, from: null }))];
    const count = Math.min(wanted.length, candidates.length);
    if (count === 0 && bad.length === 0) {
      // An under-replicated part on a cluster with no further node: it waits for one, every pass, quietly.
      summary.deferred += 1;
      return;
    }
    if (count === 0) throw new Error('no live node without a shard of this part is free');
    const shardBytes = shardFileBytes(part.scheme, part.size);
    // The shards the part keeps count toward their zones' and machines' share of it.
    const domains = new Map(this.svc.nodes.list().map((n) => [n.id, { zone: n.zone, host: n.machine }]));
    const keep = good.map((s) => ({ id: s.nodeId, ...domains.get(s.nodeId) }));
    const chosen = choosePlacement(candidates, count, shardBytes, { keep });
    const repairing = wanted.slice(0, count);
    const replacements = repairing.map((r, i) => ({ part: { ...target, index: r.index }, from: r.from, size: shardBytes, toNodeId: chosen[i]! }));
    const throughGateway = () =>
      replaceShards(this.svc, object, replacements, throughSinks(this.svc, rebuiltShards(this.svc, part, repairing.map((r) => r.index), bad.map((s) => s.index), new AbortController().signal)), fence);
    const onNodes = this.rebuildOnNodes(part, good, repairing.map((r) => r.index), chosen);
    let bytes: number;
    if (onNodes) {
      try {
        bytes = await replaceShards(this.svc, object, replacements, onNodes, fence);
        summary.shardsRebuiltOnNodes += repairing.length;
      } catch (error) {
        if (error instanceof LeaseLostError || error instanceof IntentGoneError) throw error;
        // A source that failed midway, a node that cannot rebuild: the gateway does it, as it always could.
        this.log.warn({ object: object.id, part: part.partNo, err: (error as Error).message }, 'rebuild on the nodes failed; rebuilding through the gateway');
        bytes = await throughGateway();
      }
    } else {
      bytes = await throughGateway();
    }
    summary.shardsRebuilt += repairing.length;
    summary.bytesRebuilt += bytes;
    this.log.info({ object: object.id, key: object.key, part: part.partNo, shards: repairing.map((r) => r.index), to: chosen }, 'shards rebuilt');
    if (count < wanted.length) summary.deferred += 1;
    else await this.svc.metadata.placement.settle(target, fence);
  }

  /**
   * Each new shard made by its own node from k of the part's good shards on live peers (data shards first),
   * at most REBUILDS_PER_NODE at a time per node; undefined when the nodes cannot (a target's store has no
   * rebuild, fewer than k good shards are on live nodes) or need not (an empty part).
   */
  private rebuildOnNodes(part: PartRecord, good: readonly ShardLocation[], indexes: readonly number[], targetNodes: readonly string[]): CopyMaker | undefined {
    if (targetNodes.some((id) => !this.svc.nodes.store(id).rebuild)) return undefined;
    const urls = new Map(this.svc.nodes.list().filter((n) => n.state === 'up').map((n) => [n.id, n.url]));
    const sources = good
      .filter((s) => urls.has(s.nodeId))
      .sort((a, b) => a.index - b.index)
      .map((s) => ({ index: s.index, url: urls.get(s.nodeId)!, shardId: s.shardId }));
    const stripes = stripeCount(part.scheme, part.size);
    if (sources.length < part.scheme.dataShards || stripes === 0) return undefined;
    const shardBytes = shardFileBytes(part.scheme, part.size);
    // Generous: a node answers only once the whole shard is written, and may be rate-limited.
    const timeoutMs = 60_000 + (shardBytes / Math.max(1_000_000, this.bytesPerSecondPerNode || 0)) * 1000;
    return async (targets) =>
      Promise.all(
        targets.map((t, j) =>
          this.busy.run(t.nodeId, () =>
            this.svc.nodes.store(t.nodeId).rebuild!(
              // The node's rate is shared by the rebuilds it runs at once.
              { shardId: t.shardId, index: indexes[j]!, scheme: part.scheme, stripes, sources, bytesPerSecond: Math.floor(this.bytesPerSecondPerNode / REBUILDS_PER_NODE) },
              timeoutMs,
            ),
          ),
        ),
      );
  }
}

/** At most `limit` tasks at once per node; the rest wait their turn. */
class NodeSlots {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly limit: number) {}

  async run<T>(nodeId: string, task: () => Promise<T>): Promise<T> {
    while ((this.running.get(nodeId) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(nodeId) ?? [];
        queue.push(resolve);
        this.waiting.set(nodeId, queue);
      });
    }
    this.running.set(nodeId, (this.running.get(nodeId) ?? 0) + 1);
    try {
      return await task();
    } finally {
      this.running.set(nodeId, this.running.get(nodeId)! - 1);
      const next = this.waiting.get(nodeId)?.shift();
      next?.();
    }
  }
}
