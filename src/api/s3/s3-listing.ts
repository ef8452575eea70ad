import type { ObjectListEntry } from '../../domain/records.js';

export interface ListingRequest {
  readonly prefix: string;
  readonly delimiter: string;
  /** Exclusive: list keys after this one (start-after, marker, or a continuation token's key). */
  readonly after: string;
  readonly maxKeys: number;
}

export interface Listing {
  readonly contents: ObjectListEntry[];
  readonly commonPrefixes: string[];
  readonly truncated: boolean;
  /** The last key or common prefix returned: where the next page starts. */
  readonly next: string | undefined;
}

/**
 * A key as listings write it under `encoding-type=url`, the way AWS does: form encoding of the UTF-8 bytes
 * with `/` kept, so a space is `+` and a literal `+` is `%2B` (clients decode with `unquote_plus`).
 */
export function listingUrlEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e || byte === 0x2f) {
      out += String.fromCharCode(byte);
    } else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Compares keys in UTF-8 byte order (S3's), which JavaScript's `<` (UTF-16 units) is not for astral characters. */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Past every key that starts with `p` (noncharacter U+10FFFF sorts after any real key suffix). */
const pastPrefix = (p: string): string => `${p}\u{10FFFF}`;

/**
 * One page of a listing with S3's delimiter semantics: keys whose rest after the prefix contains the
 * delimiter roll up into one common prefix each, which counts once against max-keys; a page never repeats
 * a common prefix an earlier page ended with. `fetch` returns live keys in byte order after a key.
 */
export async function listPage(fetch: (after: string, limit: number) => Promise<ObjectListEntry[]>, req: ListingRequest): Promise<Listing> {
  const contents: ObjectListEntry[] = [];
  const commonPrefixes: string[] = [];
  let after = req.after;
  let next: string | undefined;
  // A page resumed after a common prefix must not list it again.
  const resumedAt = req.after;
  if (req.maxKeys === 0) return { contents, commonPrefixes, truncated: false, next };
  for (;;) {
    const want = Math.min(1000, req.maxKeys - contents.length - commonPrefixes.length + 1);
    const page = await fetch(after, want);
    let requery = false;
    for (const entry of page) {
      let rolled: string | undefined;
      if (req.delimiter) {
        const at = entry.key.indexOf(req.delimiter, req.prefix.length);
        if (at !== -1) rolled = entry.key.slice(0, at + req.delimiter.length);
      }
      if (rolled !== undefined && (rolled === commonPrefixes.at(-1) || compareKeys(rolled, resumedAt) <= 0)) {
        after = pastPrefix(rolled);
        requery = true;
        break;
      }
      if (contents.length + commonPrefixes.length === req.maxKeys) return { contents, commonPrefixes, truncated: true, next };
      if (rolled !== undefined) {
        commonPrefixes.push(rolled);
        next = rolled;
        // The other keys under it are skipped by a fresh query rather than read one by one.
        after = pastPrefix(rolled);
        requery = true;
        break;
      }
      contents.push(entry);
      next = entry.key;
      after = entry.key;
    }
    if (!requery && page.length < want) return { contents, commonPrefixes, truncated: false, next };
  }
}
