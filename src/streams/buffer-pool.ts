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
