import { randomBytes, randomUUID } from 'node:crypto';

export const newObjectId = (): string => randomUUID();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isUuid = (s: string): boolean => UUID_RE.test(s);

/**
 * Shard ids are UUIDv7 (RFC 9562): time-ordered, so shards written close together share their first
 * path components on the node (a shard's path is its id split at the dashes) and directories are reused
 * instead of four new ones per shard. rand_a and rand_b are random (RFC 9562 §5.7): ids of one
 * millisecond need no order among themselves, and the function keeps no state between calls.
 */
export function newShardId(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

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
