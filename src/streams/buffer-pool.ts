/**
 * A free list of equal-size buffers. Large transient buffers are what make a Node process's RSS
 * balloon (V8 collects their backing stores late, glibc keeps the pages); recycling them keeps
 * memory flat. Callers bound how many they hold at once; the pool only keeps up to `maxIdle` spare.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly bufferSize: number,
    readonly maxIdle: number,
  ) {}

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.bufferSize);
  }

  /** Takes back a buffer of the pool's size; others are left to the garbage collector. */
  release(buffer: Buffer): void {
    if (buffer.length === this.bufferSize && this.free.length < this.maxIdle) this.free.push(buffer);
  }
}

/** Buffers of any size, handed out and taken back. */
export interface SizedBuffers {
  acquire(size: number): Buffer;
  release(buffer: Buffer): void;
}

/**
 * Free lists by size, for the block buffers of shard reads: an object's block size is its own, so reads of
 * different schemes share the process's pools. Buffers above 128 KiB are fresh mappings under the processes'
 * malloc settings (docs/decisions/0002-flat-gateway-memory.md) whose pages fault in one by one on first use;
 * reusing them took that cost off every GET's first stripe.
 */
export class SizedBufferPools implements SizedBuffers {
  private readonly pools = new Map<number, BufferPool>();

  constructor(private readonly maxIdlePerSize: number) {}

  acquire(size: number): Buffer {
    return this.pools.get(size)?.acquire() ?? Buffer.allocUnsafe(size);
  }

  release(buffer: Buffer): void {
    let pool = this.pools.get(buffer.length);
    if (!pool) this.pools.set(buffer.length, (pool = new BufferPool(buffer.length, this.maxIdlePerSize)));
    pool.release(buffer);
  }
}
