import type { IncomingHttpHeaders } from 'node:http';
import { InvalidRequestError } from '../core/errors.js';

/** The body length a request declares, undefined for chunked bodies; throws on a malformed header. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new InvalidRequestError(`malformed Content-Length '${raw}'`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new InvalidRequestError('Content-Length is too large');
  return n;
}
