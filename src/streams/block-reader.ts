import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BYTES } from '../core/erasure-scheme.js';
import { ChecksumMismatchError } from '../core/errors.js';
import type { SizedBuffers } from './buffer-pool.js';
import type { BlockSource } from '../core/block-frame.js';

/**
 * Reads the frames of a shard stream (block + CRC32C trailer) and returns each verified block.
 *
 * Every network chunk is copied into one block buffer as soon as it arrives, so the chunk can be
 * collected at once; the buffer is reused for the next block. A returned block is therefore valid only
 * until the next call to `next()`, and it is returned only after its checksum matched.
 */
export class BlockReader implements BlockSource {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly block: Buffer;
  private readonly trailer = Buffer.alloc(CHECKSUM_BYTES);
  private chunk: Uint8Array = new Uint8Array(0);
  private offset = 0;
  /** A `next()` is filling the block; a close meanwhile gives the buffer back only once it has stopped. */
  private filling = false;
  private closed = false;
  private givenBack = false;

  constructor(
    source: AsyncIterable<Uint8Array>,
    blockBytes: number,
    private readonly where: string,
    private readonly onChunk: (bytes: number) => void = () => undefined,
    /** Where the block buffer comes from and goes back to on close (else it is the reader's own). */
    private readonly buffers?: SizedBuffers,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
    this.block = buffers?.acquire(blockBytes) ?? Buffer.allocUnsafe(blockBytes);
  }

  /** The next verified block (valid until the next call, and not after close), or undefined at a clean end of stream. */
  async next(): Promise<Buffer | undefined> {
    if (this.closed) throw new Error(`${this.where}: read after close`);
    this.filling = true;
    try {
      if (!(await this.fill(this.block, true))) return undefined;
      if (!(await this.fill(this.trailer, false))) throw new Error(`${this.where}: stream ended before a block's checksum`);
      if (crc32c(this.block) !== this.trailer.readUInt32LE(0)) throw new ChecksumMismatchError(`block checksum mismatch in ${this.where}`);
      if (this.closed) throw new Error(`${this.where}: closed while reading`);
      return this.block;
    } finally {
      this.filling = false;
      if (this.closed) this.giveBack();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.iterator.return?.();
    } finally {
      if (!this.filling) this.giveBack();
    }
  }

  private giveBack(): void {
    if (this.givenBack) return;
    this.givenBack = true;
    this.buffers?.release(this.block);
  }

  /** Copies the next target.length bytes into target; false if the stream ended cleanly before any. */
  private async fill(target: Buffer, atBoundary: boolean): Promise<boolean> {
    let filled = 0;
    while (filled < target.length) {
      if (this.offset === this.chunk.length) {
        const r = await this.iterator.next();
        // Closed while waiting: the buffer is about to go back to its pool, so nothing more is written to it.
        if (this.closed) throw new Error(`${this.where}: closed while reading`);
        if (r.done) {
          if (atBoundary && filled === 0) return false;
          throw new Error(`${this.where}: stream ended inside a frame`);
        }
        this.chunk = r.value;
        this.offset = 0;
        this.onChunk(r.value.length);
        continue;
      }
      const n = Math.min(target.length - filled, this.chunk.length - this.offset);
      target.set(this.chunk.subarray(this.offset, this.offset + n), filled);
      filled += n;
      this.offset += n;
    }
    return true;
  }
}
