import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BYTES } from './erasure-scheme.js';

/** The 4-byte CRC32C trailer (little endian) that follows every block in a shard file. */
export function blockChecksum(block: Uint8Array): Buffer {
  const trailer = Buffer.allocUnsafe(CHECKSUM_BYTES);
  trailer.writeUInt32LE(crc32c(block), 0);
  return trailer;
}

