import type { ContentSharing, Fence } from '../domain/metadata-store.js';
import { LeaseLostError } from '../core/errors.js';
import type { AuditRecorder } from '../objects/audit-recorder.js';
import type { Logger } from '../observability/logger.js';
import type { Worker } from './worker.js';

export interface DedupeSummary {
  /** Groups of live objects with equal content that did not all share shards. */
  groups: number;
  /** Objects that now share another object's shards. */
  objectsShared: number;
  /** Shards (and their bytes on disk) handed to the cleaner. */
  shardsFreed: number;
  bytesFreed: number;
  durationMs: number;
}

const GROUPS_PER_ROUND = 200;
/** Bounds one pass: a group that keeps failing (an object expiring mid-pass) is retried next pass. */
const MAX_ROUNDS = 50;

/**
 * DEDUPLICATE: live objects with the same SHA-256 and size come to share the oldest one's shards;
 * the shards they stop using go to the cleaner's queue. Each share is one metadata transaction, so a
 * crash at any moment leaves every object readable (either on its own shards or on the shared ones).
 */
export class Deduper implements Worker<DedupeSummary> {
  readonly name = 'dedupe';

  constructor(
    private readonly sharing: ContentSharing,
    private readonly audit: AuditRecorder,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** `fence`: the pass's lease, checked by every share it commits (a pass that lost its lease stops). */
  async runOnce(fence?: Fence): Promise<DedupeSummary> {
    const started = this.now();
    const summary: DedupeSummary = { groups: 0, objectsShared: 0, shardsFreed: 0, bytesFreed: 0, durationMs: 0 };
    const seen = new Set<string>();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const groups = await this.sharing.duplicateGroups(GROUPS_PER_ROUND);
      let progress = false;
      for (const group of groups) {
        const content = `${group.sha256}/${group.size}`;
        if (!seen.has(content)) {
          seen.add(content);
          summary.groups += 1;
        }
        const [canonical, ...duplicates] = group.objectIds;
        for (const duplicate of duplicates) {
          const shareStarted = this.now();
          let freed;
          try {
            freed = await this.sharing.share(canonical!, duplicate, shareStarted, fence);
          } catch (error) {
            if (error instanceof LeaseLostError) throw error;
            // A deadlock or serialisation failure with another gateway's pass: the next pass retries.
            this.log.warn({ err: (error as Error).message, canonical, duplicate }, 'share failed; retried next pass');
            continue;
          }
          if (!freed) continue;
          progress = true;
          const bytes = freed.reduce((sum, s) => sum + s.size, 0);
          summary.objectsShared += 1;
          summary.shardsFreed += freed.length;
          summary.bytesFreed += bytes;
          this.audit.record({
            at: this.now(), action: 'dedupe', objectId: duplicate, bucket: null, key: null, client: null, bytes,
            durationMs: this.now() - shareStarted, result: `shares ${canonical}`,
          });
        }
      }
      if (!progress) break;
    }
    summary.durationMs = this.now() - started;
    await this.audit.flush();
    this.log.info({ ...summary }, 'dedupe pass done');
    return summary;
  }
}
