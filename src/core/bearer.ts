import { hash, timingSafeEqual } from 'node:crypto';

export const bearer = (secret: string): string => `Bearer ${secret}`;

/** Digests of the few secrets a process checks against (the node secret, admin tokens), computed once. */
const secretDigests = new Map<string, Buffer>();
const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/** Constant-time check of an Authorization header against the expected bearer secret. */
export function hasBearer(header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  let expected = secretDigests.get(secret);
  if (!expected) {
    expected = sha256(secret);
    if (secretDigests.size < 64) secretDigests.set(secret, expected);
  }
  // Hash the offered side too, so lengths match and the comparison leaks nothing about the secret's length.
  return timingSafeEqual(sha256(header.slice(7)), expected);
}
