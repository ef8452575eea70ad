import { RangeNotSatisfiableError } from './errors.js';
import { stripeDataBytes, type ErasureScheme } from './erasure-scheme.js';

/** An inclusive byte range [start, end] of an object. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Parses an HTTP Range header (RFC 9110 §14.1.2) against an object of `size` bytes.
 * Returns undefined when the header should be ignored (absent, not `bytes=`, or several ranges, which
 * a server may answer with the whole representation), throws RangeNotSatisfiableError for a range
 * that lies wholly outside the object.
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw new RangeNotSatisfiableError(size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined; // syntactically invalid: ignore per RFC
  if (start >= size) throw new RangeNotSatisfiableError(size);
  return { start, end };
}

export const rangeLength = (r: ByteRange): number => r.end - r.start + 1;

/** The stripes [first, last] that hold bytes [start, end] of an object striped with `scheme`. */
export function stripesForRange(scheme: ErasureScheme, range: ByteRange): { first: number; last: number } {
  const stripe = stripeDataBytes(scheme);
  return { first: Math.floor(range.start / stripe), last: Math.floor(range.end / stripe) };
}
