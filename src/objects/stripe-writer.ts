import { blockChecksum } from '../core/block-frame.js';
import type { ErasureCoder } from '../core/erasure-coder.js';
import type { ErasureScheme } from '../core/erasure-scheme.js';
import type { ShardSink } from '../domain/shard-store.js';
import type { BufferPool } from '../streams/buffer-pool.js';
import type { Stripe } from '../streams/stripe-splitter.js';

/** Stripes of one upload on their way to the nodes at once; the window is the upload's memory bound. */
const STRIPES_IN_FLIGHT = 2;

/**
 * Encodes stripes and sends block i of each to shard i. Up to two stripes are in flight while the
 * next one is read from the client; a stripe's buffers go back to the pools only when every node's
 * socket has taken its blocks, so the slowest node paces the upload and memory stays fixed.
 */
export class StripeWriter {
  private readonly inFlight: Promise<void>[] = [];
  private failure: unknown;
  /** Shards whose node failed during the upload, with why: the upload goes on without them. */
  private readonly lost = new Map<number, unknown>();

  constructor(
    private readonly scheme: ErasureScheme,
    private readonly coder: ErasureCoder,
    /** By shard index; a degraded upload has no sink for the parity shards it could not place. */
    private readonly sinks: readonly (ShardSink | undefined)[],
    private readonly stripes: BufferPool,
    private readonly parities: BufferPool,
    /**
     * The fewest shards the upload may end with. A node that fails mid-upload (killed, disk full) costs the
     * object that shard, not its upload, while at least this many are still being written; the part is then
     * recorded under-replicated and the repairer rebuilds the rest. Below it, the upload fails as a whole.
     */
    private readonly keepAtLeast: number = sinks.filter(Boolean).length,
  ) {}

  /** The shards lost during the upload, by index, with their errors. */
  lostShards(): ReadonlyMap<number, unknown> {
    return this.lost;
  }

  private lose(index: number, error: unknown): void {
    if (this.lost.has(index) || this.failure !== undefined) return;
    this.lost.set(index, error);
    this.sinks[index]?.abort(error);
    const left = this.sinks.filter((s, i) => s && !this.lost.has(i)).length;
    if (left < this.keepAtLeast) this.failure = error;
  }

  async write(stripe: Stripe): Promise<void> {
    const { dataShards: k, parityShards: m, blockSize: bs } = this.scheme;
    const dataBytes = k * bs;
    // The last stripe is zero-padded; the object's recorded size says where the data ends.
    if (stripe.length < dataBytes) stripe.buffer.fill(0, stripe.length, dataBytes);
    const data = stripe.buffer.subarray(0, dataBytes);
    const parityBuffer = m * bs === this.parities.bufferSize ? this.parities.acquire() : Buffer.allocUnsafe(m * bs);
    const parity = parityBuffer.subarray(0, m * bs);
    const release = () => {
      this.stripes.release(stripe.buffer);
      this.parities.release(parityBuffer);
    };
    try {
      this.throwIfFailed();
      await this.coder.encode(data, parity);
    } catch (error) {
      release();
      throw error;
    }
    const writes: Promise<void>[] = [];
    for (let i = 0; i < k + m; i++) {
      const block = i < k ? data.subarray(i * bs, (i + 1) * bs) : parity.subarray((i - k) * bs, (i - k + 1) * bs);
      const sink = this.sinks[i];
      if (!sink || this.lost.has(i)) continue;
      const lose = (error: unknown) => this.lose(i, error);
      writes.push(sink.write(block).catch(lose), sink.write(blockChecksum(block)).catch(lose));
    }
    const sent = Promise.all(writes).then(
      () => release(),
      (error: unknown) => {
        this.failure ??= error;
        release();
      },
    );
    this.inFlight.push(sent);
    if (this.inFlight.length >= STRIPES_IN_FLIGHT) await this.inFlight.shift();
    this.throwIfFailed();
  }

  /**
   * Waits for every stripe to leave, then ends each shard and waits for the nodes' confirmations: the
   * stored sizes by shard index (undefined where there is no sink).
   */
  async finish(): Promise<(number | undefined)[]> {
    await Promise.all(this.inFlight.splice(0));
    this.throwIfFailed();
    // A node may still fail at the end (its fsync, its answer): that shard is lost like any other.
    const ends = await Promise.allSettled(this.sinks.map((s, i) => (s && !this.lost.has(i) ? s.end() : undefined)));
    ends.forEach((end, i) => {
      if (end.status === 'rejected') this.lose(i, end.reason);
    });
    this.throwIfFailed();
    return ends.map((end, i) => (end.status === 'fulfilled' && !this.lost.has(i) ? end.value : undefined));
  }

  async abort(reason: unknown): Promise<void> {
    this.failure ??= reason;
    for (const s of this.sinks) s?.abort(reason);
    await Promise.all(this.inFlight.splice(0));
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
