import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BYTES } from './erasure-scheme.js';
import { ChecksumMismatchError } from './errors.js';

/** The 4-byte CRC32C trailer that follows every block in a shard file. */
export function blockChecksum(block: Uint8Array): Buffer {
  const trailer = Buffer.allocUnsafe(CHECKSUM_BYTES);
  trailer.writeUInt32LE(crc32c(block), 0);
  return trailer;
}

/** Verifies a frame (block + trailer) and returns the block; throws on a checksum mismatch. */
export function openFrame(frame: Buffer, where: string): Buffer {
  const blockLength = frame.length - CHECKSUM_BYTES;
  const block = frame.subarray(0, blockLength);
  if (crc32c(block) !== frame.readUInt32LE(blockLength)) {
    throw new ChecksumMismatchError(`block checksum mismatch in ${where}`);
  }
  return block;
}
