import { createHmac, timingSafeEqual } from 'node:crypto';

/** The web console's session cookie. */
export const SESSION_COOKIE = 'shardstore_console';

/** A signed-in console stays signed in for 12 hours. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const signature = (adminToken: string, payload: string): Buffer => createHmac('sha256', adminToken).update(`console:${payload}`).digest();

/**
 * A session value `<expiry ms>.<HMAC-SHA256 of it keyed by the admin token>`: stateless, so it works on any
 * gateway of the cluster, and rotating the admin token signs every console out. It carries no secret.
 */
export function issueSession(adminToken: string, now: number, ttlMs = SESSION_TTL_MS): string {
  const expiry = String(now + ttlMs);
  return `${expiry}.${signature(adminToken, expiry).toString('base64url')}`;
}

/** An unexpired expiry and a signature that matches `expected(expiry)`, compared in constant time. */
function signedAndCurrent(expiry: string, mac: string, now: number, expected: (expiry: string) => Buffer): boolean {
  if (!/^\d{1,16}$/.test(expiry) || Number(expiry) <= now) return false;
  const offered = Buffer.from(mac, 'base64url');
  const wanted = expected(expiry);
  return offered.length === wanted.length && timingSafeEqual(offered, wanted);
}

export function isValidSession(adminToken: string, value: string | undefined, now: number): boolean {
  if (!value) return false;
  const dot = value.indexOf('.');
  if (dot <= 0) return false;
  return signedAndCurrent(value.slice(0, dot), value.slice(dot + 1), now, (expiry) => signature(adminToken, expiry));
}

/** The value of cookie `name` in a `Cookie` header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

const keySignature = (secretKey: string, accessKey: string, expiry: string): Buffer =>
  createHmac('sha256', secretKey).update(`console-s3:${accessKey}:${expiry}`).digest();

/**
 * A session for an S3 access key (the console's objects view, S3 buckets only):
 * `<access key>.<expiry ms>.<HMAC-SHA256 keyed by the key's secret>`. Deleting the key ends it.
 */
export function issueKeySession(accessKey: string, secretKey: string, now: number, ttlMs = SESSION_TTL_MS): string {
  const expiry = String(now + ttlMs);
  return `${accessKey}.${expiry}.${keySignature(secretKey, accessKey, expiry).toString('base64url')}`;
}

/** The access key a key session names (not yet verified), or undefined if the value is not one. */
export function keySessionAccessKey(value: string | undefined): string | undefined {
  const parts = value?.split('.');
  return parts?.length === 3 && /^[\w-]{1,128}$/.test(parts[0]!) ? parts[0] : undefined;
}

export function isValidKeySession(secretKey: string, value: string | undefined, now: number): boolean {
  const parts = value?.split('.');
  if (parts?.length !== 3) return false;
  const [accessKey, expiry, mac] = parts as [string, string, string];
  return signedAndCurrent(expiry, mac, now, (at) => keySignature(secretKey, accessKey, at));
}
