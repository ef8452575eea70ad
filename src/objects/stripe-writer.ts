import { blockChecksum } from '../core/block-frame.js';
import type { ErasureCoder } from '../core/erasure-coder.js';
import type { ErasureScheme } from '../core/erasure-scheme.js';
import type { ShardSink } from '../shard-stores/shard-store.js';
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

  constructor(
    private readonly scheme: ErasureScheme,
    private readonly coder: ErasureCoder,
    /** By shard index; a degraded upload has no sink for the parity shards it could not place. */
    private readonly sinks: readonly (ShardSink | undefined)[],
    private readonly stripes: BufferPool,
    private readonly parities: BufferPool,
  ) {}

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
      if (sink) writes.push(sink.write(block), sink.write(blockChecksum(block)));
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
    return Promise.all(this.sinks.map((s) => s?.end()));
  }

  async abort(reason: unknown): Promise<void> {
    for (const s of this.sinks) s?.abort(reason);
    await Promise.all(this.inFlight.splice(0));
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
