/**
 * Reads fixed-size frames from a byte stream whose chunks do not line up with frame boundaries.
 * A frame that lies inside one chunk is returned as a view without copying.
 */
export class FrameReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private done = false;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly frameBytes: number,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next frame, or undefined at a clean end of stream; throws on a truncated last frame. */
  async next(): Promise<Buffer | undefined> {
    while (this.pendingBytes < this.frameBytes && !this.done) {
      const r = await this.iterator.next();
      if (r.done) this.done = true;
      else if (r.value.length > 0) {
        const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length);
        this.pending.push(b);
        this.pendingBytes += b.length;
      }
    }
    if (this.pendingBytes === 0) return undefined;
    if (this.pendingBytes < this.frameBytes) {
      throw new Error(`stream ended inside a frame (${this.pendingBytes} of ${this.frameBytes} bytes)`);
    }
    return this.take(this.frameBytes);
  }

  async close(): Promise<void> {
    this.done = true;
    this.pending = [];
    this.pendingBytes = 0;
    await this.iterator.return?.();
  }

  private take(n: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= n) {
      const frame = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      this.pendingBytes -= n;
      return frame;
    }
    const frame = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.pending[0]!;
      const k = Math.min(head.length, n - filled);
      head.copy(frame, filled, 0, k);
      filled += k;
      if (k === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(k);
    }
    this.pendingBytes -= n;
    return frame;
  }
}
