/**
 * The smallest string greater than every string starting with `prefix`, in code point order (which is
 * UTF-8 byte order, S3's listing order): the prefix with its last code point incremented. Null when there
 * is none (an empty prefix, or one made only of U+10FFFF), i.e. no upper bound.
 */
export function prefixEnd(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Skip the surrogate range: those code points cannot stand alone in a well-formed key.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}

/** The lower bound for a listing: past `after`, and not before the prefix. */
export const listStart = (prefix: string, after: string): { key: string; inclusive: boolean } =>
  after >= prefix ? { key: after, inclusive: false } : { key: prefix, inclusive: true };
