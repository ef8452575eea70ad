import type { Fence, MetadataStore } from '../domain/metadata-store.js';
import type { IntentShard } from '../domain/records.js';
import type { NodePool } from '../domain/node-pool.js';
import type { AuditRecorder } from '../objects/audit-recorder.js';
import type { Logger } from '../observability/logger.js';
import type { Worker } from './worker.js';
import { enforceLifecycle } from './lifecycle-pass.js';

export interface CleanerSummary {
  /** Expired objects whose shards were deleted (`date_delete` set, `purge` logged). */
  purged: number;
  /** Expired objects left for a later pass because a node holding a shard is down. */
  purgesPending: number;
  /** Shards of purged objects kept because a live duplicate shares them. */
  sharedShardsKept: number;
  /** Shards that deduplication freed, deleted from their nodes. */
  freedShards: number;
  freedBytes: number;
  /** S3 multipart uploads older than the multipart expiry, aborted (their parts' shards freed). */
  multipartExpired: number;
  /** Live objects deleted by the buckets' lifecycle Expiration rules. */
  lifecycleExpired: number;
  /** Incomplete multipart uploads aborted by the buckets' lifecycle rules. */
  lifecycleAborted: number;
  /** Abandoned upload intents whose shards were deleted. */
  intentsCleared: number;
  /** Shard files no metadata references, older than the grace, deleted. */
  orphanShards: number;
  orphanBytes: number;
  /** Temp files older than the grace deleted on the nodes. */
  tempFiles: number;
  tempBytes: number;
  /** Nodes skipped because they were down; a later pass catches up. */
  nodesSkipped: string[];
  durationMs: number;
}

const BATCH = 500;

/**
 * The cleaner: enforces the buckets' lifecycle rules, purges expired files' shards, abandoned upload intents, unreferenced shard files and
 * stale temp files. Every step is idempotent and only deletes what is older than the grace period, so a
 * pass may run from several gateways at once without harm, and never touches an upload in progress (its
 * intent is refreshed while it runs; its shard files live in the nodes' temp directories until it ends).
 */
export class Cleaner implements Worker<CleanerSummary> {
  readonly name = 'cleaner';

  constructor(
    private readonly metadata: MetadataStore,
    private readonly nodes: NodePool,
    private readonly audit: AuditRecorder,
    private readonly graceMs: number,
    private readonly log: Logger,
    /** How long an S3 multipart upload may stay incomplete. */
    private readonly multipartExpiryMs: number = 7 * 24 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** `fence`: the pass's lease; the purge marks, garbage removals and intent claims commit only while it holds. */
  async runOnce(fence?: Fence): Promise<CleanerSummary> {
    const started = this.now();
    await this.nodes.refresh();
    const summary: CleanerSummary = {
      purged: 0, purgesPending: 0, sharedShardsKept: 0, freedShards: 0, freedBytes: 0, multipartExpired: 0, lifecycleExpired: 0, lifecycleAborted: 0, intentsCleared: 0, orphanShards: 0, orphanBytes: 0, tempFiles: 0, tempBytes: 0,
      nodesSkipped: this.nodes.list().filter((n) => n.state !== 'up').map((n) => n.id),
      durationMs: 0,
    };
    const lifecycle = await enforceLifecycle(this.metadata, this.audit, this.log, this.now(), fence);
    summary.lifecycleExpired = lifecycle.expired;
    summary.lifecycleAborted = lifecycle.aborted;
    await this.purgeExpired(summary, fence);
    await this.expireMultipartUploads(summary, fence);
    await this.deleteFreedShards(summary, fence);
    await this.clearAbandonedIntents(summary, fence);
    await this.removeOrphans(summary);
    summary.durationMs = this.now() - started;
    await this.audit.flush();
    this.log.info({ ...summary }, 'cleaner pass done');
    return summary;
  }

  private async purgeExpired(summary: CleanerSummary, fence?: Fence): Promise<void> {
    for (const object of await this.metadata.objects.expiredNotPurged(BATCH)) {
      const started = this.now();
      const all = object.parts.flatMap((p) => p.shards.map((s) => ({ nodeId: s.nodeId, shardId: s.shardId })));
      // A duplicate that is still live (or not yet purged) shares these shards: they stay.
      const shared = await this.metadata.objects.referencedShards(all.map((s) => s.shardId), object.id);
      const shards = all.filter((s) => !shared.has(s.shardId));
      summary.sharedShardsKept += all.length - shards.length;
      if (!(await this.deleteShards(shards))) {
        summary.purgesPending += 1;
        continue;
      }
      await this.metadata.objects.markPurged(object.id, this.now(), fence);
      this.audit.record({
        at: this.now(), action: 'purge', objectId: object.id, bucket: object.bucket, key: object.key, client: null,
        bytes: object.size, durationMs: this.now() - started, result: 'ok',
      });
      summary.purged += 1;
    }
  }

  /**
   * Shards that deduplication freed. Nothing can come to reference them again (sharing only copies the
   * references of live objects), but the check before deleting costs little and guards the invariant.
   */
  private async deleteFreedShards(summary: CleanerSummary, fence?: Fence): Promise<void> {
    for (;;) {
      const up = this.nodes.list().filter((n) => n.state === 'up').map((n) => n.id);
      const queued = await this.metadata.garbage.pending(BATCH, up);
      if (queued.length === 0) return;
      const referenced = await this.metadata.objects.referencedShards(queued.map((s) => s.shardId));
      const done: string[] = [];
      for (const shard of queued) {
        if (!referenced.has(shard.shardId)) {
          if (!(await this.deleteShards([shard]))) continue;
          summary.freedShards += 1;
          summary.freedBytes += shard.size;
        }
        done.push(shard.shardId);
      }
      if (done.length > 0) await this.metadata.garbage.remove(done, fence);
      // Whatever is left waits for its node to come back.
      if (done.length < queued.length) return;
    }
  }

  /** Incomplete multipart uploads past their expiry are aborted; their parts' shards join the garbage queue. */
  private async expireMultipartUploads(summary: CleanerSummary, fence?: Fence): Promise<void> {
    for (const upload of await this.metadata.multipart.olderThan(this.now() - this.multipartExpiryMs, BATCH)) {
      if (!(await this.metadata.multipart.abort(upload.id, this.now(), fence))) continue;
      summary.multipartExpired += 1;
      this.log.info({ upload: upload.id, bucket: upload.bucket, key: upload.key }, 'incomplete multipart upload expired');
    }
  }

  private async clearAbandonedIntents(summary: CleanerSummary, fence?: Fence): Promise<void> {
    const cutoff = this.now() - this.graceMs;
    for (const intent of await this.metadata.intents.olderThan(cutoff, BATCH)) {
      // Claim first: once the intent is gone the upload can no longer commit these shards. Shards a down
      // node keeps become unreferenced orphans, removed by a later pass.
      if (!(await this.metadata.intents.claim(intent.id, cutoff, fence))) continue;
      await this.deleteShards(intent.shards);
      summary.intentsCleared += 1;
    }
  }

  /** Shard files on live nodes that no object and no open intent references, older than the grace. */
  private async removeOrphans(summary: CleanerSummary): Promise<void> {
    const graceSeconds = this.graceMs / 1000;
    // Read once per pass: an intent created later only has shards younger than the grace.
    const open = await this.metadata.intents.openShardIds();
    for (const node of this.nodes.list().filter((n) => n.state === 'up')) {
      const store = this.nodes.store(node.id);
      try {
        const temp = await store.purgeTemp(graceSeconds);
        summary.tempFiles += temp.files;
        summary.tempBytes += temp.bytes;
        let batch: { id: string; size: number }[] = [];
        const sweep = async () => {
          const ids = batch.map((s) => s.id);
          const referenced = await this.metadata.objects.referencedShards(ids);
          for (const shard of batch) {
            if (referenced.has(shard.id) || open.has(shard.id)) continue;
            if (await store.delete(shard.id)) {
              summary.orphanShards += 1;
              summary.orphanBytes += shard.size;
              this.log.info({ node: node.id, shard: shard.id, size: shard.size }, 'orphan shard deleted');
            }
          }
          batch = [];
        };
        for await (const shard of store.list()) {
          if (shard.age * 1000 < this.graceMs) continue;
          batch.push(shard);
          if (batch.length >= BATCH) await sweep();
        }
        if (batch.length) await sweep();
      } catch (error) {
        summary.nodesSkipped.push(node.id);
        this.log.warn({ node: node.id, err: (error as Error).message }, 'cleaner skipped a node');
      }
    }
  }

  /** Deletes shards (missing ones count as deleted); false if a node holding one is down or failed. */
  private async deleteShards(shards: readonly IntentShard[]): Promise<boolean> {
    const results = await Promise.all(
      shards.map(async (s) => {
        if (!this.nodes.isUp(s.nodeId)) return false;
        try {
          await this.nodes.store(s.nodeId).delete(s.shardId);
          return true;
        } catch {
          return false;
        }
      }),
    );
    return results.every(Boolean);
  }
}
