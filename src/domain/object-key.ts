import { InvalidKeyError } from '../core/errors.js';

export const MAX_KEY_BYTES = 1024;

/** First path segments that belong to the gateway's other APIs, not to the path namespace. */
export const RESERVED_FIRST_SEGMENTS: readonly string[] = ['filestore', 'fileinfo'];

/**
 * Turns the path of a request URL into an object key, or throws InvalidKeyError.
 * The query string is not part of the key (the path store document: `?version=12` names the same file).
 * Rejected: empty keys, empty segments (`a//b`, trailing `/`), `.` and `..` segments, NUL and other
 * control characters, keys over 1024 bytes of UTF-8, malformed percent-encoding, and a first
 * segment starting with `_` (system endpoints) or naming another API (`filestore`, `fileinfo`).
 */
export function keyFromUrlPath(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (!rawPath.startsWith('/')) throw new InvalidKeyError('the path must start with /');
  let key: string;
  try {
    key = decodeURIComponent(rawPath.slice(1));
  } catch {
    throw new InvalidKeyError('the path has malformed percent-encoding');
  }
  validateKey(key);
  return key;
}

export function validateKey(key: string): void {
  if (key.length === 0) throw new InvalidKeyError('the key is empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new InvalidKeyError(`the key is longer than ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidKeyError('the key contains NUL or control characters');
  if (key.includes('\\')) throw new InvalidKeyError('the key contains a backslash');
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') throw new InvalidKeyError('the key has an empty path segment');
    if (segment === '.' || segment === '..') throw new InvalidKeyError(`the key has a '${segment}' segment`);
  }
  if (segments[0]?.startsWith('_')) {
    throw new InvalidKeyError("the first path segment may not start with '_' (reserved for system endpoints)");
  }
  if (RESERVED_FIRST_SEGMENTS.includes(segments[0]!)) {
    throw new InvalidKeyError(`'/${segments[0]}' is reserved for the file store API`);
  }
}
