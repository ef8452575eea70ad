import { createHash, timingSafeEqual } from 'node:crypto';

/** Only a hash of a file's owner key is stored: a leaked database does not hand out delete rights. */
export const hashOwnerKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Constant-time comparison of a presented owner key with the stored hash. */
export function ownerKeyMatches(presented: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashOwnerKey(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
