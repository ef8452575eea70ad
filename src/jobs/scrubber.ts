import { ChecksumMismatchError, ShardMissingError } from '../core/errors.js';
import type { Fence } from '../domain/metadata-store.js';
import { CHECKSUM_BYTES } from '../core/erasure-scheme.js';
import type { ScrubServices } from '../objects/object-services.js';
import { BlockReader } from '../streams/block-reader.js';
import type { Logger } from '../observability/logger.js';
import type { Worker } from './worker.js';

export interface ScrubSummary {
  shardsChecked: number;
  bytesChecked: number;
  /** Shards whose bytes failed a checksum or that their node no longer has: reported for repair. */
  damaged: number;
  /** Shards skipped because their node was down or did not answer. */
  skipped: number;
  /** Whether this pass reached the end of the catalogue (the next one starts again from the beginning). */
  wrapped: boolean;
  durationMs: number;
}

const BATCH = 200;

/**
 * The scrubber: reads stored shards back at a bounded rate and verifies every frame's checksum, so
 * bitrot on data nobody reads is found while parity can still rebuild it. Damaged shards are reported to
 * the repairer. A pass verifies at most `bytesPerPass` (the rate times the interval) and continues where
 * the previous pass stopped; `full` (`POST /_scrub`) sweeps the whole catalogue once.
 */
export class Scrubber implements Worker<ScrubSummary> {
  readonly name = 'scrub';
  private current: ScrubSummary | undefined;
  private cursor = '';

  constructor(
    private readonly svc: ScrubServices,
    private readonly bytesPerSecond: number,
    private readonly bytesPerPass: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  progress(): ScrubSummary | undefined {
    return this.current;
  }

  /** `fence`: the pass's lease, checked by every damage report it commits. */
  async runOnce(full = false, fence?: Fence): Promise<ScrubSummary> {
    const started = this.now();
    const summary: ScrubSummary = { shardsChecked: 0, bytesChecked: 0, damaged: 0, skipped: 0, wrapped: false, durationMs: 0 };
    this.current = summary;
    if (full) this.cursor = '';
    while (full || summary.bytesChecked < this.bytesPerPass) {
      const batch = await this.svc.metadata.placement.shardsAfter(this.cursor, BATCH);
      if (batch.length === 0) {
        this.cursor = '';
        summary.wrapped = true;
        break;
      }
      for (const shard of batch) {
        this.cursor = shard.shardId;
        const shardStarted = this.now();
        await this.verify(shard, summary, fence);
        // Pace to the rate: n bytes take at least n / rate seconds.
        const minMs = (shard.size / this.bytesPerSecond) * 1000 - (this.now() - shardStarted);
        if (minMs > 0) await new Promise((r) => setTimeout(r, minMs));
        if (!full && summary.bytesChecked >= this.bytesPerPass) break;
      }
    }
    summary.durationMs = this.now() - started;
    this.log.info({ ...summary }, 'scrub pass done');
    this.current = undefined;
    return summary;
  }

  private async verify(shard: { shardId: string; nodeId: string; size: number; blockSize: number }, summary: ScrubSummary, fence?: Fence): Promise<void> {
    if (!this.svc.nodes.isUp(shard.nodeId)) {
      summary.skipped += 1;
      return;
    }
    const abort = new AbortController();
    let blocks: BlockReader | undefined;
    try {
      const body = await this.svc.nodes.store(shard.nodeId).get(shard.shardId, undefined, abort.signal);
      blocks = new BlockReader(body, shard.blockSize, `shard ${shard.shardId} on node ${shard.nodeId}`, this.svc.gcPacer);
      let frames = 0;
      while (await blocks.next()) frames += 1;
      const bytes = frames * (shard.blockSize + CHECKSUM_BYTES);
      summary.shardsChecked += 1;
      summary.bytesChecked += bytes;
      if (bytes !== shard.size) throw new ChecksumMismatchError(`shard ${shard.shardId} holds ${bytes} bytes of frames, expected ${shard.size}`);
    } catch (error) {
      if (error instanceof ChecksumMismatchError || error instanceof ShardMissingError) {
        summary.damaged += 1;
        const reason = error instanceof ChecksumMismatchError ? 'scrub: bad checksum or length' : 'scrub: missing on its node';
        await this.svc.metadata.placement.reportDamaged(shard, reason, this.now(), fence);
        this.log.warn({ shard: shard.shardId, node: shard.nodeId, err: error.message }, 'scrub found a damaged shard');
      } else {
        summary.skipped += 1;
      }
    } finally {
      abort.abort();
      await blocks?.close();
    }
  }
}
