import { checksumOfPieces } from '../core/block-frame.js';
import { CHECKSUM_BYTES } from '../core/erasure-scheme.js';
import { ChecksumMismatchError } from '../core/errors.js';

/**
 * Reads the frames of a shard stream (block + CRC32C trailer) and returns each verified block as the
 * list of views of network chunks that hold it: no copy, no large allocation per block, and a block is
 * handed out only after its checksum matched.
 */
export class BlockReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private chunk: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly blockBytes: number,
    private readonly where: string,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next verified block, or undefined at a clean end of stream. */
  async next(): Promise<Buffer[] | undefined> {
    const pieces = await this.take(this.blockBytes, true);
    if (pieces === undefined) return undefined;
    const trailer = await this.take(CHECKSUM_BYTES, false);
    if (trailer === undefined) throw new Error(`${this.where}: stream ended before a block's checksum`);
    const expected = trailer.length === 1 ? trailer[0]!.readUInt32LE(0) : Buffer.concat(trailer).readUInt32LE(0);
    if (checksumOfPieces(pieces) !== expected) throw new ChecksumMismatchError(`block checksum mismatch in ${this.where}`);
    return pieces;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }

  /** Views of the next `n` bytes; undefined if the stream ends first (cleanly only at a boundary). */
  private async take(n: number, atBoundary: boolean): Promise<Buffer[] | undefined> {
    const pieces: Buffer[] = [];
    let need = n;
    while (need > 0) {
      if (this.offset === this.chunk.length) {
        const r = await this.iterator.next();
        if (r.done) {
          if (atBoundary && need === n) return undefined;
          throw new Error(`${this.where}: stream ended inside a frame`);
        }
        const v = r.value;
        this.chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        this.offset = 0;
        continue;
      }
      const k = Math.min(need, this.chunk.length - this.offset);
      pieces.push(this.chunk.subarray(this.offset, this.offset + k));
      this.offset += k;
      need -= k;
    }
    return pieces;
  }
}
