import { createHash, timingSafeEqual } from 'node:crypto';

export const bearer = (secret: string): string => `Bearer ${secret}`;

/** Constant-time check of an Authorization header against the expected bearer secret. */
export function hasBearer(header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  // Hash both sides so lengths match and the comparison leaks nothing about the secret's length.
  const a = createHash('sha256').update(header.slice(7)).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}
