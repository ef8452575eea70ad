import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * Random bytes for ids, drawn from the CSPRNG a few KiB at a time: one `randomBytes(16)` per id was a
 * system call each, eight or nine per upload (Node's own `randomUUID` caches the same way).
 */
const RANDOM_POOL_BYTES = 4096;
const randomPool = Buffer.alloc(RANDOM_POOL_BYTES);
let randomUsed = RANDOM_POOL_BYTES;
function randomSixteen(): Buffer {
  if (randomUsed + 16 > RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomUsed = 0;
  }
  const b = Buffer.from(randomPool.subarray(randomUsed, randomUsed + 16));
  randomUsed += 16;
  return b;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of milliseconds, then 74 random bits (rand_a and rand_b random, §5.7: ids
 * of one millisecond need no order among themselves, and the function keeps no state between calls).
 */
export function newTimeOrderedId(now = Date.now()): string {
  const b = randomSixteen();
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Object ids (also the file store's public GUIDs) are time-ordered, so that the metadata rows of objects
 * written close together share B-tree pages: with random ids every commit touched a fresh leaf page in
 * each of the objects, parts, shards and intents indexes (docs/decisions/0015-time-ordered-object-ids.md).
 */
export const newObjectId = (now = Date.now()): string => newTimeOrderedId(now);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isUuid = (s: string): boolean => UUID_RE.test(s);

/**
 * Shard ids are time-ordered too, for the metadata's index on shard ids. On the node a shard file's directory
 * is picked by the id's last, random, hex digits (src/storage-node/shard-layout.ts), not by its time.
 */
export const newShardId = (now = Date.now()): string => newTimeOrderedId(now);

/** A random secret for tokens (URL-safe). */
export const newSecret = (): string => randomBytes(24).toString('base64url');

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** S3 access key ids: 20 characters like AWS's `AKIA…`, `SS` then 18 random base32 characters. */
export function newAccessKeyId(): string {
  return `SS${[...randomBytes(18)].map((b) => BASE32[b % 32]).join('')}`;
}

/** S3 secret keys: 40 characters of base64url, 240 bits. */
export const newSecretKey = (): string => randomBytes(30).toString('base64url');

/** A new S3 access key record: an id, a secret shown once, what it is for, and whether it administers everything. */
export const newAccessKey = (name: string, admin: boolean) => ({ accessKey: newAccessKeyId(), secretKey: newSecretKey(), name, createdAt: Date.now(), admin });
