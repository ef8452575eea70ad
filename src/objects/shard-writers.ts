import { PassThrough } from 'node:stream';
import type { ShardStore } from '../shard-stores/shard-store.js';

/**
 * One streaming PUT per shard. Frames are written into a small per-shard buffer (two frames), and
 * the stripe loop waits for every shard to drain before cutting the next stripe: the slowest node
 * sets the pace, and memory stays at a few stripes whatever the object's size.
 */
export class ShardWriters {
  private readonly pipes: PassThrough[];
  private readonly results: Promise<number>[];
  private failure: Promise<never>;
  private firstError: unknown;

  constructor(stores: readonly ShardStore[], shardIds: readonly string[], frameBytes: number, signal: AbortSignal) {
    this.pipes = stores.map(() => new PassThrough({ highWaterMark: 2 * frameBytes }));
    this.results = stores.map((store, i) => store.put(shardIds[i]!, this.pipes[i]!, signal));
    this.failure = Promise.race(this.results.map((r) => r.then(() => new Promise<never>(() => undefined))));
    this.failure.catch((error: unknown) => {
      this.firstError ??= error;
    });
    for (const r of this.results) r.catch(() => undefined);
  }

  /** Writes the i-th shard's next frame (block then checksum). */
  write(i: number, block: Buffer, checksum: Buffer): boolean {
    const pipe = this.pipes[i]!;
    pipe.write(block);
    return pipe.write(checksum);
  }

  /** Resolves when every shard buffer has room again; rejects as soon as any shard write fails. */
  async drain(): Promise<void> {
    if (this.firstError) throw this.firstError;
    const waits = this.pipes.filter((p) => p.writableNeedDrain).map((p) => new Promise<void>((resolve) => p.once('drain', resolve)));
    if (waits.length > 0) await Promise.race([Promise.all(waits), this.failure]);
  }

  /** Ends every shard stream and waits until each node has made its shard durable. */
  async finish(): Promise<number[]> {
    for (const p of this.pipes) p.end();
    return Promise.all(this.results);
  }

  /** Stops every shard stream; the nodes discard their temp files. */
  destroy(): void {
    for (const p of this.pipes) p.destroy();
  }

  settled(): Promise<unknown> {
    return Promise.allSettled(this.results);
  }
}
