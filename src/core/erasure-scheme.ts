/**
 * The erasure scheme is a value: every rule derived from it is a pure function here, so striping,
 * shard sizes and byte→stripe maths have one definition shared by writers, readers and tests.
 *
 * On-disk shard layout: a shard is a sequence of frames, one per stripe; a frame is the block
 * (`blockSize` bytes, the last stripe zero-padded) followed by its CRC32C (4 bytes, little endian).
 */
export interface ErasureScheme {
  readonly dataShards: number;
  readonly parityShards: number;
  readonly blockSize: number;
}

export const CHECKSUM_BYTES = 4;
/** Reed-Solomon (ronomon) needs shard sizes that are multiples of 8. */
export const BLOCK_ALIGNMENT = 8;
export const MAX_TOTAL_SHARDS = 31;

export function validateScheme(scheme: ErasureScheme): string[] {
  const problems: string[] = [];
  const { dataShards: k, parityShards: m, blockSize } = scheme;
  if (!Number.isInteger(k) || k < 1) problems.push(`data shards must be an integer >= 1 (got ${k})`);
  if (!Number.isInteger(m) || m < 0 || m > k) problems.push(`parity shards must be an integer in 0..${k} (got ${m})`);
  if (k + m > MAX_TOTAL_SHARDS) problems.push(`data + parity shards must be <= ${MAX_TOTAL_SHARDS}`);
  if (!Number.isInteger(blockSize) || blockSize < BLOCK_ALIGNMENT || blockSize % BLOCK_ALIGNMENT !== 0) {
    problems.push(`block size must be a positive multiple of ${BLOCK_ALIGNMENT} bytes (got ${blockSize})`);
  }
  if (blockSize > 64 * 1024 * 1024) problems.push('block size must be <= 64 MiB');
  return problems;
}

export const totalShards = (s: ErasureScheme): number => s.dataShards + s.parityShards;
/**
 * The fewest durable shards an acknowledged object may have: its k data shards on k distinct nodes. With
 * fewer live nodes than k + m the object is stored under-replicated and its parity added later (see
 * redundancy.ts): a cluster of k nodes must still store files, and says that it survives no node loss.
 */
export const minimumShards = (s: ErasureScheme): number => s.dataShards;
export const stripeDataBytes = (s: ErasureScheme): number => s.dataShards * s.blockSize;
export const frameBytes = (s: ErasureScheme): number => s.blockSize + CHECKSUM_BYTES;

/** Number of stripes an object of `size` bytes occupies (0 for an empty object). */
export function stripeCount(s: ErasureScheme, size: number): number {
  return Math.ceil(size / stripeDataBytes(s));
}

/** Bytes of every shard file (data and parity alike) of an object of `size` bytes. */
export function shardFileBytes(s: ErasureScheme, size: number): number {
  return stripeCount(s, size) * frameBytes(s);
}

/**
 * A small object gets a smaller block so that its shards are ~size/k rather than a full block each:
 * an object that fits in one stripe uses the smallest aligned block that holds it.
 */
export function schemeForSize(s: ErasureScheme, size: number): ErasureScheme {
  if (size >= stripeDataBytes(s)) return s;
  const perShard = Math.ceil(size / s.dataShards);
  const blockSize = Math.max(BLOCK_ALIGNMENT, Math.ceil(perShard / BLOCK_ALIGNMENT) * BLOCK_ALIGNMENT);
  return { ...s, blockSize: Math.min(blockSize, s.blockSize) };
}

/** Byte range inside shard files that covers stripes [first, last] (inclusive). */
export function shardByteRangeForStripes(s: ErasureScheme, first: number, last: number): { start: number; end: number } {
  const f = frameBytes(s);
  return { start: first * f, end: (last + 1) * f - 1 };
}

/** Which shard indexes are data and which are parity. */
export const isParityShard = (s: ErasureScheme, index: number): boolean => index >= s.dataShards;
