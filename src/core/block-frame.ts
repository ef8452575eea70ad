import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BYTES } from './erasure-scheme.js';
import { ChecksumMismatchError } from './errors.js';

/**
 * A shard's verified blocks in order, however they are read: each block is valid until the next call to
 * `next()`, and not after `close()`.
 */
export interface BlockSource {
  /** The next verified block, or undefined at a clean end. */
  next(): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

/** The block of a whole frame (a block of `blockSize` bytes and its CRC32C trailer), checked against its trailer. */
export function verifiedBlock(frame: Buffer, blockSize: number, where: string): Buffer {
  const block = frame.subarray(0, blockSize);
  if (crc32c(block) !== frame.readUInt32LE(blockSize)) throw new ChecksumMismatchError(`block checksum mismatch in ${where}`);
  return block;
}

/** The 4-byte CRC32C trailer (little endian) that follows every block in a shard file. */
export function blockChecksum(block: Uint8Array): Buffer {
  const trailer = Buffer.allocUnsafe(CHECKSUM_BYTES);
  trailer.writeUInt32LE(crc32c(block), 0);
  return trailer;
}

/**
 * Whether a frame (a block of `blockSize` bytes and its CRC32C trailer) that arrived in pieces is whole and
 * intact, checked across the pieces without joining them.
 */
export function frameIntact(pieces: readonly Buffer[], blockSize: number): boolean {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  if (length !== blockSize + CHECKSUM_BYTES) return false;
  let crc = 0;
  let at = 0;
  for (const piece of pieces) {
    const take = Math.min(piece.length, blockSize - at);
    if (take > 0) crc = crc32c(take === piece.length ? piece : piece.subarray(0, take), crc);
    at += piece.length;
  }
  return crc === bytesOf(pieces, blockSize, blockSize + CHECKSUM_BYTES).readUInt32LE(0);
}

/** Bytes [start, end) of what arrived in pieces: a view when one piece holds them, else a copy. */
export function bytesOf(pieces: readonly Buffer[], start: number, end: number): Buffer {
  let at = 0;
  for (const piece of pieces) {
    if (start >= at && end <= at + piece.length) return piece.subarray(start - at, end - at);
    at += piece.length;
  }
  const out = Buffer.allocUnsafe(end - start);
  let filled = 0;
  at = 0;
  for (const piece of pieces) {
    const from = Math.max(start, at);
    const to = Math.min(end, at + piece.length);
    if (from < to) filled += piece.copy(out, filled, from - at, to - at);
    at += piece.length;
  }
  return out;
}
