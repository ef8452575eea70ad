import { hash, timingSafeEqual } from 'node:crypto';

export const bearer = (secret: string): string => `Bearer ${secret}`;

const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/**
 * Constant-time check of an Authorization header against the expected bearer secret. Both sides are
 * hashed, so lengths match and the comparison leaks nothing about the secret's length; two SHA-256 of a
 * few dozen bytes cost about a microsecond, so nothing is cached between calls.
 */
export function hasBearer(header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  return timingSafeEqual(sha256(header.slice(7)), sha256(secret));
}
