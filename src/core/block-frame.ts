import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BYTES } from './erasure-scheme.js';

/** The 4-byte CRC32C trailer (little endian) that follows every block in a shard file. */
export function blockChecksum(block: Uint8Array): Buffer {
  const trailer = Buffer.allocUnsafe(CHECKSUM_BYTES);
  trailer.writeUInt32LE(crc32c(block), 0);
  return trailer;
}

/** CRC32C of a block held as several pieces (views of network chunks), without joining them. */
export function checksumOfPieces(pieces: readonly Uint8Array[]): number {
  let crc = 0;
  for (const piece of pieces) crc = crc32c(piece, crc);
  return crc;
}
