import { BufferPool } from '../streams/buffer-pool.js';
import { writeFilled, type PooledTarget } from '../http/pooled-writer.js';
import type { ShardReader } from './shard-files.js';

/** A large read's pieces while few run at once: each piece is one `pread` and one socket write. */
export const LARGE_READ_PIECE = 1024 * 1024;
/** A large read's pieces once the large ones are all taken (below the processes' 128 KiB mmap threshold). */
export const SMALL_READ_PIECE = 64 * 1024;
/** Large reads that may use 1 MiB pieces at once; the rest use 64 KiB pieces. */
export const LARGE_PIECE_READS = 8;
/** Pieces one read holds: one being filled from the disk while the other goes out. */
const LARGE_PIECES_PER_READ = 2;
const SMALL_PIECES_PER_READ = 4;

/** The recycled buffers one large read is sent from, and how many of them it may hold at once. */
export interface ReadPieces {
  readonly pool: BufferPool;
  readonly buffers: number;
  /** The read is over: its place among the large-piece reads is free again. */
  done(): void;
}

/**
 * Chooses the piece size of each large shard read. 1 MiB pieces cost a node a third to a half of the CPU per
 * GiB sent of 64 KiB ones (a sixteenth of the `pread`s through the thread pool and of the socket writes), but
 * a read holds two of them: past LARGE_PIECE_READS reads at once, the next ones take 64 KiB pieces, so that a
 * node serving many readers stays within a fixed budget (8 × 2 MiB + 256 KiB per further read) instead of
 * growing with them. The buffers are recycled, never fresh mappings that fault in page by page.
 */
export class ReadPieceBudget {
  private largeReads = 0;
  private readonly large = new BufferPool(LARGE_READ_PIECE, LARGE_PIECE_READS * LARGE_PIECES_PER_READ);
  private readonly small = new BufferPool(SMALL_READ_PIECE, 64);

  /** Pieces for a read of `length` bytes; `done()` must be called once it is over. */
  take(length: number): ReadPieces {
    if (length <= SMALL_READ_PIECE * SMALL_PIECES_PER_READ || this.largeReads >= LARGE_PIECE_READS) {
      return { pool: this.small, buffers: SMALL_PIECES_PER_READ, done: () => undefined };
    }
    this.largeReads++;
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      this.largeReads--;
    };
    return { pool: this.large, buffers: LARGE_PIECES_PER_READ, done };
  }

  /** Reads using 1 MiB pieces now. */
  get largeReadsRunning(): number {
    return this.largeReads;
  }
}

/** The process's budget: every large read of the node, over HTTP or streamed, shares it. */
export const readPieces = new ReadPieceBudget();

/**
 * Sends bytes [start, start + length) of `shard` to `out` from recycled buffers the file is read into (no fresh
 * buffer per piece for the garbage collector) and ends `out`. The bytes have started by then, so a failure can
 * only cut the connection: `out` is destroyed, and `interrupted` hears why unless the other side went first.
 */
export async function sendShardRange(out: PooledTarget, shard: ShardReader, start: number, length: number, interrupted: (error: Error) => void): Promise<void> {
  const pieces = readPieces.take(length);
  try {
    await writeFilled(out, length, async (buffer, offset, n) => void (await shard.read(start + offset, n, buffer)), pieces.pool, pieces.buffers);
    out.end();
  } catch (error) {
    if (!out.destroyed) interrupted(error as Error);
    out.destroy();
  } finally {
    pieces.done();
  }
}
