import { choosePlacement } from '../core/placement.js';
import type { ReadServices, ReplaceServices } from '../objects/object-services.js';
import { replaceShards } from '../objects/shard-replacement.js';
import { rebuiltShards } from '../objects/shard-sources.js';
import type { PartRef, ShardLocation } from '../domain/records.js';
import type { Fence } from '../domain/metadata-store.js';
import { LeaseLostError } from '../core/errors.js';
import { shardFileBytes, totalShards } from '../core/erasure-scheme.js';
import type { Logger } from '../observability/logger.js';
import type { Worker } from './worker.js';

export interface RepairSummary {
  /** Nodes whose shards were treated as lost in this pass. */
  lostNodes: string[];
  partsChecked: number;
  shardsRebuilt: number;
  bytesRebuilt: number;
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
const PARALLEL_PARTS = 4;

/**
 * The repairer: finds parts with shards on lost nodes (down longer than `repairAfterMs`) or shards
 * reported damaged (a checksum that failed on a read, a file its node no longer has), rebuilds those
 * shards from the others onto live nodes that hold no other shard of the part, and switches the metadata
 * in one transaction per part. Idempotent: a crash midway leaves the old metadata and orphans.
 */
export class Repairer implements Worker<RepairSummary> {
  readonly name = 'repair';
  private current: RepairSummary | undefined;

  constructor(
    private readonly svc: ReadServices & ReplaceServices,
    private readonly repairAfterMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  progress(): RepairSummary | undefined {
    return this.current;
  }

  async runOnce(options: RepairOptions = {}): Promise<RepairSummary> {
    const started = this.now();
    const lost = await this.lostNodes(options.downNowIsLost ?? false);
    const summary: RepairSummary = {
      lostNodes: [...lost], partsChecked: 0, shardsRebuilt: 0, bytesRebuilt: 0, unrecoverable: 0, deferred: 0, durationMs: 0,
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
    await Promise.all(Array.from({ length: PARALLEL_PARTS }, worker));
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
    const signal = new AbortController().signal;
    const bytes = await replaceShards(
      this.svc,
      object,
      repairing.map((r, i) => ({ part: { ...target, index: r.index }, from: r.from, size: shardBytes, toNodeId: chosen[i]! })),
      rebuiltShards(this.svc, part, repairing.map((r) => r.index), bad.map((s) => s.index), signal),
      fence,
    );
    summary.shardsRebuilt += repairing.length;
    summary.bytesRebuilt += bytes;
    this.log.info({ object: object.id, key: object.key, part: part.partNo, shards: repairing.map((r) => r.index), to: chosen }, 'shards rebuilt');
    if (count < wanted.length) summary.deferred += 1;
    else await this.svc.metadata.placement.settle(target, fence);
  }
}
