import { crc32c } from '@node-rs/crc32';

/**
 * One record of a volume file (docs/decisions/0007-small-shard-volumes.md): a 44-byte header, then the
 * shard's bytes. Little-endian:
 *
 *   0 magic u32 · 4 kind u8 · 5 three zero bytes · 8 shard id (16 bytes, the GUID's binary form)
 *   24 created (ms since the epoch, f64) · 32 size u32 · 36 aux u32 · 40 CRC32C of bytes 0–39 and the data
 *
 * A tombstone (kind 2) has no data; its aux is the volume that holds the record it deletes, so compaction
 * knows when the tombstone itself can go.
 */
export const RECORD_MAGIC = 0x31565353; // "SSV1" read as little-endian bytes
export const RECORD_HEADER = 44;
export const KIND_SHARD = 1;
export const KIND_TOMBSTONE = 2;
/** Refuses to believe a header that claims more than this (a corrupt length must not drive a huge read). */
export const MAX_RECORD_DATA = 16 * 1024 * 1024;

export interface RecordHeader {
  kind: number;
  shardId: string;
  createdMs: number;
  size: number;
  aux: number;
}

export function encodeHeader(h: RecordHeader, data: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(RECORD_HEADER);
  header.writeUInt32LE(RECORD_MAGIC, 0);
  header.writeUInt8(h.kind, 4);
  header.write(h.shardId.replaceAll('-', ''), 8, 16, 'hex');
  header.writeDoubleLE(h.createdMs, 24);
  header.writeUInt32LE(h.size, 32);
  header.writeUInt32LE(h.aux, 36);
  let crc = crc32c(header.subarray(0, 40));
  for (const chunk of data) crc = crc32c(chunk, crc);
  header.writeUInt32LE(crc >>> 0, 40);
  return header;
}

/** The header at `at`, or undefined when the bytes there are not the start of a plausible record. */
export function decodeHeader(buffer: Buffer, at: number): RecordHeader | undefined {
  if (buffer.length - at < RECORD_HEADER || buffer.readUInt32LE(at) !== RECORD_MAGIC) return undefined;
  const kind = buffer.readUInt8(at + 4);
  const size = buffer.readUInt32LE(at + 32);
  if ((kind !== KIND_SHARD && kind !== KIND_TOMBSTONE) || size > MAX_RECORD_DATA) return undefined;
  if (kind === KIND_TOMBSTONE && size !== 0) return undefined;
  const hex = buffer.toString('hex', at + 8, at + 24);
  const shardId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { kind, shardId, createdMs: buffer.readDoubleLE(at + 24), size, aux: buffer.readUInt32LE(at + 36) };
}

/** Whether the record at `at` (header and `size` data bytes, all in `buffer`) has its checksum. */
export function recordIntact(buffer: Buffer, at: number, size: number): boolean {
  const crc = crc32c(buffer.subarray(at + RECORD_HEADER, at + RECORD_HEADER + size), crc32c(buffer.subarray(at, at + 40)));
  return crc >>> 0 === buffer.readUInt32LE(at + 40);
}
